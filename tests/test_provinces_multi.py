"""Every province an article is about (SPEC §2 `provinces`), and the province facets over those lists (§5)."""
import json

import pytest

from helpers import client_of, index_of
from search import open_index
from search.ingest.metadata import article_fields_from_record
from search.ingest.provinces import infer_places, infer_provinces
from search.requests import SearchRequest


@pytest.mark.parametrize("title, text, expected", [
    ("Ninh Thuận, Bình Thuận đói do hạn hán", "Tỉnh Ninh Thuận có hàng nghìn hộ thiếu ăn. Nông dân Ninh Thuận chờ mưa.",
     ["Ninh Thuận", "Bình Thuận"]),
    ("Dịch cúm tấn công Cao Bằng, Thái Nguyên", "Dịch bùng phát ở tỉnh Cao Bằng. Người chăn nuôi đã tiêu hủy hàng nghìn con gà vịt. Cao Bằng lập chốt kiểm dịch.",
     ["Cao Bằng", "Thái Nguyên"]),
    ("Mất xe SH ở Hà Nội, được tìm thấy ở Quảng Ninh",
     "Đồn Biên phòng Bắc Sơn (TP Móng Cái, tỉnh Quảng Ninh) bàn giao chiếc xe. Biên phòng Quảng Ninh cho biết.",
     ["Quảng Ninh", "Hà Nội"]),
    ("Khai mạc lễ hội", "HÀ NỘI - Sáng nay lễ hội mùa xuân khai mạc với hàng nghìn người dự. Người dân Hà Nội đổ về.", ["Hà Nội"]),
])
def test_every_province_named_in_the_title_or_dateline_is_listed(title, text, expected):
    assert infer_provinces(title, text) == expected


@pytest.mark.parametrize("title, text", [
    ("Ninh Thuận, Bình Thuận đói do hạn hán", "Người dân nhiều nơi thiếu ăn vì hạn hán kéo dài."),
    ("Giá vàng hôm nay", "Giá vàng tại Hà Nội tăng. Tại TP.HCM giá vàng cũng tăng. Hà Nội và TP.HCM đông khách."),
])
def test_without_a_main_province_the_list_is_empty(title, text):
    # SPEC §2: `provinces` is `[province]` or longer; places named with none main make a national story.
    assert infer_provinces(title, text) == []
    fields = article_fields_from_record({"title": title, "text": text})
    assert fields["province"] is None and fields["provinces"] == [] and fields["provinces_2025"] == []


def test_a_province_named_twice_in_the_body_joins_the_main_one():
    text = ("Công an tỉnh Gia Lai triệt phá nhóm cướp ngân hàng. Nhóm này từng gây án ở Kon Tum. "
            "Chúng mang theo dao, súng tự chế và xe máy không biển số. Tại Kon Tum, chúng thuê nhà trọ.")
    assert infer_provinces("Triệt phá nhóm cướp ngân hàng ở Gia Lai", text) == ["Gia Lai", "Kon Tum"]


def test_a_province_named_once_in_the_body_or_as_a_residence_is_not_listed():
    text = ("Vụ việc xảy ra tại xã Kim Xuyên, huyện Kim Thành, tỉnh Hải Dương. "
            "Nạn nhân trú tại huyện Mai Sơn, tỉnh Sơn La. Trước đó nạn nhân trú tại Sơn La.")
    assert infer_provinces("Nữ công nhân ở Hải Dương tử vong", text) == ["Hải Dương"]


@pytest.mark.parametrize("title, text", [
    ("Cảnh sát chặn xe buýt của Tôn Ngộ Không",
     "Cảnh sát tại thành phố Tế Nguyên (tỉnh Hà Nam, Trung Quốc) dừng xe. Ở Hà Nam, chuyện lạ được chia sẻ."),
    ("Điện thoại bốc cháy trong túi xách",
     "Sự việc xảy ra tại tỉnh Hà Nam, Trung Quốc. Người dân Hà Nam rất hoảng sợ. Hà Nam vừa có mưa lớn."),
    ("Lúa mì lai lập kỷ lục", "Các nhà khoa học Trung Quốc thử nghiệm tại Bắc Kinh, Hà Nam và Giang Tô. "
                              "Năng suất gần 10 tấn ở Hà Nam."),
])
def test_a_foreign_homonym_is_not_our_province(title, text):
    assert infer_provinces(title, text) == []
    assert article_fields_from_record({"title": title, "text": text})["province"] is None


def test_ha_nam_among_our_provinces_stays_ours_in_an_article_mentioning_china():
    text = ("Dịch cúm gia cầm lan từ Trung Quốc. Ổ dịch xuất hiện ở xã Đạo Lý, huyện Lý Nhân, tỉnh Hà Nam. "
            "Tỉnh Hà Nam đã tiêu hủy gia cầm.")
    assert infer_provinces("Cúm gia cầm ở Hà Nam", text) == ["Hà Nam"]


@pytest.mark.parametrize("title, text", [
    ("Kỷ niệm ngày sinh Chủ tịch Hồ Chí Minh",
     "Chủ tịch Hồ Chí Minh kính yêu. Học tập tư tưởng, đạo đức, phong cách Hồ Chí Minh. Chủ tịch Hồ Chí Minh."),
    ("Cổ phiếu tăng trần", "Công ty Bến Thành Long An báo lãi. Công ty Bến Thành Long An chia cổ tức."),
    ("Thị trường thép", "Các công ty lớn như gang thép Thái Nguyên dù lỗ vẫn phải làm. Công ty thép Thái Nguyên cho biết."),
])
def test_a_person_or_organisation_name_is_no_province(title, text):
    assert infer_provinces(title, text) == []


def test_record_fields_hold_both_lists_main_first_and_2025_units_once():
    fields = article_fields_from_record({"title": "Long An và Tây Ninh hợp tác phát triển",
                                         "text": "Lãnh đạo tỉnh Long An và tỉnh Tây Ninh ký kết hợp tác.",
                                         "province": "Long An"})
    assert fields["provinces"] == ["Long An", "Tây Ninh"]
    assert fields["provinces_2025"] == ["Tây Ninh"]  # both merged into Tây Ninh since 1 July 2025


def test_a_given_province_leads_the_list():
    fields = article_fields_from_record({"title": "Hạn hán ở Ninh Thuận, Bình Thuận", "text": "Thiếu nước.",
                                         "province": "Bình Thuận"})
    assert fields["province"] == "Bình Thuận" and fields["provinces"] == ["Bình Thuận", "Ninh Thuận"]


ARTICLES = [
    {"id": "two", "title": "Ninh Thuận, Bình Thuận đói do hạn hán",
     "text": "Tỉnh Ninh Thuận hạn hán kéo dài. Nông dân Ninh Thuận thiếu ăn."},
    {"id": "one", "title": "Hạn hán ở Bình Thuận", "text": "Tỉnh Bình Thuận thiếu nước, hạn hán kéo dài."},
    {"id": "none", "title": "Hạn hán trên thế giới", "text": "Hạn hán kéo dài ở nhiều nước."},
]


@pytest.fixture(scope="module")
def multi_index(tmp_path_factory, backend):
    return open_index(index_of(tmp_path_factory, ARTICLES, "multi", backend))


def test_filter_on_a_secondary_province_selects_the_article(multi_index):
    result = multi_index.search(SearchRequest(q="hạn hán", filters={"province": ["ninh thuan"]}))
    assert [h.id for h in result.hits] == ["two"]
    # Since 1 July 2025 Ninh Thuận is part of Khánh Hòa and Bình Thuận of Lâm Đồng.
    khanh_hoa = multi_index.search(SearchRequest(q="hạn hán", filters={"province_2025": ["Khánh Hòa"]}))
    assert [h.id for h in khanh_hoa.hits] == ["two"]
    lam_dong = multi_index.search(SearchRequest(q="hạn hán", filters={"province_2025": ["Lâm Đồng"]}))
    assert sorted(h.id for h in lam_dong.hits) == ["one", "two"]


def test_facets_count_an_article_under_each_of_its_provinces(multi_index):
    result = multi_index.search(SearchRequest(q="hạn hán", filters={"province": ["Ninh Thuận"]}))
    counts = {v.value: v.count for v in result.facets["province"]}
    assert counts == {"Bình Thuận": 2, "Ninh Thuận": 1, "Không rõ": 1}  # its own filter ignored
    unknown = multi_index.search(SearchRequest(q="hạn hán", filters={"province": ["Không rõ"]}))
    assert [h.id for h in unknown.hits] == ["none"]


def test_hits_and_json_carry_both_lists(multi_index):
    result = multi_index.search(SearchRequest(q="Ninh Thuận"))
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    hit = next(h for h in doc["hits"] if h["id"] == "two")
    assert hit["provinces"] == ["Ninh Thuận", "Bình Thuận"]
    assert hit["provinces_2025"] == ["Khánh Hòa", "Lâm Đồng"]
    assert multi_index.get("two").provinces == ["Ninh Thuận", "Bình Thuận"]


@pytest.mark.parametrize("title, text, expected", [
    # A facility, school, exchange or club named after a province is no place of the story.
    ("Hà Nội cắt điện luân phiên", "Hà Nội thiếu điện vì thủy điện Hòa Bình cạn nước. Thủy điện Hòa Bình chỉ chạy một tổ máy.",
     ["Hà Nội"]),
    ("Cổ phiếu mới ở Đà Nẵng", "Công ty ở TP Đà Nẵng sẽ chào sàn Hà Nội. Ngày đầu trên sàn Hà Nội giá tăng.",
     ["Đà Nẵng"]),
    ("Học sinh Vĩnh Phúc lo lắng", "Trường ở thị xã Phúc Yên, tỉnh Vĩnh Phúc bị sáp nhập. Phụ huynh Vĩnh Phúc lo lắng. "
                                   "Em từng đỗ Sư phạm Hà Nội và Đại học Huế. Em bỏ Sư phạm Hà Nội, rồi bỏ cả Đại học Huế.",
     ["Vĩnh Phúc"]),
    ("Bóng đá Gia Lai sôi động", "Tỉnh Gia Lai đón CLB Hà Nội. Người dân Gia Lai chờ câu lạc bộ Hà Nội từ sáng.",
     ["Gia Lai"]),
])
def test_a_facility_school_exchange_or_club_named_after_a_province_is_not_listed(title, text, expected):
    assert infer_provinces(title, text) == expected


def test_local_authorities_name_their_province():
    text = ("Công an tỉnh Quảng Nam bắt nhóm trộm. Nhóm này gây án ở Đà Nẵng nhiều lần. "
            "Công an tỉnh Quảng Nam phối hợp với Công an Đà Nẵng truy bắt.")
    assert infer_provinces("Bắt nhóm trộm liên tỉnh ở Quảng Nam", text) == ["Quảng Nam", "Đà Nẵng"]


def test_football_clubs_named_after_provinces_are_teams_not_places():
    text = ("Tỉnh Long An đón đội khách. Trận đấu vòng 5 V-League diễn ra trên sân nhà. "
            "Hải Phòng thắng Long An 2-0 mùa trước. HLV của Hải Phòng tự tin, Hải Phòng có đội hình mạnh.")
    assert infer_places("Long An – Hải Phòng: thách thức cho á quân", text, given="Long An") == ("Long An", ["Long An"])
    assert infer_provinces("Long An – Hải Phòng: thách thức cho á quân", text) == []


@pytest.mark.parametrize("text", [
    "Vụ việc xảy ra tại tỉnh Phú Thọ. Bệnh nhân tên Thúy, sinh năm 1991, ở thành phố Tuyên Quang. "
    "Người nhà của Thúy, sinh năm 1986, ở huyện Yên Sơn, tỉnh Tuyên Quang, bị triệu tập.",
    "Vụ việc xảy ra tại tỉnh Phú Thọ. Anh Tuấn (SN 1990, Tuyên Quang) và chị Lan (ở huyện Yên Sơn, Tuyên Quang) bị triệu tập.",
])
def test_where_a_person_was_born_or_lives_is_a_residence(text):
    assert infer_provinces("Phú Thọ: làm rõ vụ hành hung bác sĩ", text) == ["Phú Thọ"]


def test_a_title_opening_with_a_province_and_a_colon_names_the_main_province():
    text = ("Ca sĩ ở Hà Nội nộp thuế ít. Tại TP.HCM, thị trường ca nhạc sôi động hơn nhiều nơi khác trong cả "
            "nước. Ca sĩ ở TP.HCM nộp nhiều hơn.")
    assert infer_places("Hà Nội: ca sĩ nộp thuế thu nhập", text)[0] == "Hà Nội"
    assert infer_places("Ca sĩ Hà Nội nộp thuế thu nhập", text)[0] is None  # without it, a tie


def test_a_facility_in_the_title_does_not_share_the_title():
    text = ("Hà Nội bắt đầu cắt điện luân phiên từ hôm nay. Người dân nhiều quận nội thành mua quạt tích điện. "
            "Điện lực Hà Nội cho biết sẽ cắt điện theo lịch. Nhiều nhà máy ở Hà Nội phải nghỉ. "
            "Do hồ Hòa Bình cạn nước, cả miền Bắc thiếu điện.")
    assert infer_places("Hà Nội trở lại thời chưa có thủy điện Hòa Bình", text) == ("Hà Nội", ["Hà Nội"])


def test_a_long_list_of_provinces_is_background_not_competitors():
    others = ("Sơn La, Lai Châu, Lào Cai, Điện Biên, Yên Bái, Quảng Bình, Quảng Trị, Quảng Nam, Thanh Hóa, "
              "Nghệ An, Hà Tĩnh, Quảng Ninh, Bắc Giang, Lạng Sơn, Cao Bằng, Tuyên Quang, Thái Nguyên")
    text = ("Sở TT&TT TP. Đà Nẵng cho biết thuê bao đã chuyển mã vùng. Đà Nẵng là một trong nhiều tỉnh thành "
            f"chuyển mã vùng đầu tiên. Các tỉnh chuyển trong giai đoạn này gồm {others}.")
    assert infer_places("Thuê bao chuyển đổi mã vùng", text) == ("Đà Nẵng", ["Đà Nẵng"])


def test_the_long_xuyen_quadrangle_is_a_region_not_the_city():
    text = "Lửa cháy tại huyện Kiên Lương, tỉnh Kiên Giang. Kiên Giang huy động lực lượng."
    assert infer_places("Rừng ở tứ giác Long Xuyên vẫn cháy", text) == ("Kiên Giang", ["Kiên Giang"])
    assert infer_places("Mưa lớn ở Long Xuyên", "Nước ngập nhiều tuyến đường.")[0] == "An Giang"


def test_the_page_shows_every_province_of_a_hit_and_of_the_article(multi_index):
    client = client_of(getattr(multi_index, "index_dir", None) or multi_index.url)
    html = client.get("/search?q=h%E1%BA%A1n+h%C3%A1n").get_data(as_text=True)
    assert '<span class="province">Ninh Thuận, Bình Thuận</span>' in html
    article = client.get("/articles/two").get_data(as_text=True)
    assert "<dt>Cũng nói về</dt><dd>Bình Thuận</dd>" in article


@pytest.mark.parametrize("title, text, main", [
    ("Bão số 8 hướng vào Quảng Bình",
     "Bão đi sát bờ biển Thừa Thiên Huế, Quảng Trị. Ban chỉ đạo tỉnh Quảng Bình cho biết mưa rất to. "
     "Tại Quảng Trị, gió giật mạnh. Đà Nẵng và Quảng Nam đã dừng học. Ở Quảng Trị nhiều nhà tốc mái. "
     "Huế mưa to. Người dân Quảng Bình đã đi tránh bão.", "Quảng Bình"),
    ("Tiền Giang thu mua gà bệnh",
     "Tỉnh ủy Tiền Giang thông qua phương án hỗ trợ. Trước đó, Long An đã áp dụng biện pháp này. "
     "Dịch cúm gà ở Tiền Giang lan rộng. Tại Long An, dịch đã lan ra nhiều huyện.", "Tiền Giang"),
])
def test_the_one_province_of_the_title_confirmed_by_the_text_is_main(title, text, main):
    # Nothing outweighs it (a tie goes to the title), even if the others together do.
    assert infer_places(title, text)[0] == main


def test_a_province_only_in_the_title_is_not_main_against_another_in_the_lead():
    title = "Giá vàng SJC tại Hà Nội ở mức 55,1 triệu đồng/lượng"
    text = "Tại TP.HCM, giá vàng SJC niêm yết ở mức 55,1 triệu đồng/lượng. Giá vàng thế giới giảm."
    assert infer_places(title, text) == (None, [])


_FILLER = "Hàng nghìn du khách trong và ngoài nước đã đến tham quan, trải nghiệm văn hóa các dân tộc. "


def test_a_province_weighing_three_times_any_other_is_main_among_many():
    text = ("Năm Du lịch quốc gia do tỉnh Lào Cai đăng cai. Các hoạt động do tỉnh Lào Cai chủ trì. "
            "Lễ hội tại huyện Sa Pa, tỉnh Lào Cai. Hội chợ ở TP. Lào Cai, tỉnh Lào Cai. "
            "Đua ngựa ở huyện Bắc Hà, tỉnh Lào Cai. " + _FILLER * 5
            + "".join(f"Lễ hội tại tỉnh {name}. {_FILLER}Chợ phiên ở tỉnh {name}. {_FILLER}"
                      for name in ("Điện Biên", "Hòa Bình", "Sơn La", "Lai Châu", "Yên Bái")))
    main, listed = infer_places("Chương trình hoạt động trong Năm Du lịch quốc gia", text)
    assert main == "Lào Cai"
    assert set(listed) == {"Lào Cai", "Điện Biên", "Hòa Bình", "Sơn La", "Lai Châu", "Yên Bái"}


def test_a_route_between_two_provinces_is_no_list():
    # Three provinces close together make a list, unless two of them are the ends of a route.
    text = ("Công an quận Tây Hồ (Hà Nội) kiểm tra xe khách đi tuyến Sơn La – Thái Nguyên, phát hiện ma túy. "
            "Trên xe, đối tượng buộc quanh bụng một hộp chứa heroin. Tại cơ quan điều tra, đối tượng khai "
            "được một phụ nữ thuê vận chuyển. Người phụ nữ nhờ chở một bánh heroin từ Mộc Châu, Sơn La về "
            "Thái Nguyên với giá 4 triệu đồng. "
            "Khi đến thị trấn Sóc Sơn, đối tượng bị bắt quả tang. Tòa án nhân dân thành phố Hà Nội đã xét xử vụ án.")
    assert infer_provinces("Tù chung thân cho đối tượng vận chuyển ma túy ở Hà Nội", text) == [
        "Hà Nội", "Sơn La", "Thái Nguyên"]


def test_a_line_named_after_two_provinces_is_no_route():
    text = ("Hà Nội phải cắt điện nhiều giờ. Đường dây 500 kV Đà Nẵng - Hà Tĩnh đã đóng mạch, người dân "
            "Hà Nội chịu nóng. Điện từ đường dây 500 kV Đà Nẵng - Hà Tĩnh không đủ cho miền Bắc, Hà Nội lại cắt điện.")
    assert infer_provinces("Hà Nội mất điện", text) == ["Hà Nội"]


def test_a_province_named_twice_in_lists_of_the_body_is_listed():
    filler = "Lực lượng chức năng đã có mặt để giúp dân khắc phục hậu quả, dọn dẹp cây đổ và sửa nhà. "
    text = ("Ban chỉ đạo tỉnh Quảng Bình cho biết bão vần vũ ở bờ biển Quảng Bình. " + filler * 2
            + "Có 5 người chết tại Quảng Ngãi, 4 người tại Huế. Tại Quảng Nam có 1 người mất tích. " + filler * 2
            + "Các tỉnh Quảng Ngãi, Quảng Nam, Đà Nẵng đang khắc phục hậu quả.")
    assert infer_provinces("Bão số 8 hướng vào Quảng Bình", text) == ["Quảng Bình", "Quảng Ngãi", "Quảng Nam"]
