"""Every province an article is about (SPEC §2 `provinces`), and the province facets over those lists (§5)."""
import json

import pytest

from conftest import write_articles
from search import open_index, rebuild
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
def multi_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("multi")
    write_articles(root / "src", "a.jsonl", ARTICLES)
    rebuild(root / "src", root / "index")
    return open_index(root / "index")


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
