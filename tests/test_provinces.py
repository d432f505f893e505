"""Province gazetteer (63 → 34) and inference from explicit evidence only."""
import pytest
from hypothesis import given, settings, strategies as st

from search.ingest.provinces import (
    canonical_province, infer_province, outlet_province, province_2025_of, provinces_34, provinces_63,
)


def test_the_two_unit_lists_have_63_and_34_canonical_names():
    assert len(provinces_63()) == 63 and len(set(provinces_63())) == 63
    assert len(provinces_34()) == 34 and len(set(provinces_34())) == 34
    assert {"Hồ Chí Minh", "Thừa Thiên Huế", "Bà Rịa - Vũng Tàu", "Long An"} <= set(provinces_63())
    assert {"Huế", "Tây Ninh", "Hồ Chí Minh"} <= set(provinces_34())
    assert "Huế" not in provinces_63()


@pytest.mark.parametrize("name, canonical", [
    ("long an", "Long An"), ("Tỉnh Long An", "Long An"), ("LONG AN", "Long An"),
    ("ho chi minh", "Hồ Chí Minh"), ("tphcm", "Hồ Chí Minh"), ("TP.HCM", "Hồ Chí Minh"),
    ("Thành phố Hồ Chí Minh", "Hồ Chí Minh"), ("Sài Gòn", "Hồ Chí Minh"),
    ("ha tay", "Hà Nội"), ("Hà Tây", "Hà Nội"), ("hue", "Thừa Thiên Huế"), ("Thừa Thiên - Huế", "Thừa Thiên Huế"),
    ("Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu"), ("Đắc Lắc", "Đắk Lắk"), ("Hoà Bình", "Hòa Bình"),
    ("Atlantis", None), ("", None), (None, None), (42, None),
])
def test_canonical_province_accepts_any_spelling(name, canonical):
    assert canonical_province(name) == canonical


@pytest.mark.parametrize("old, new", [
    ("Long An", "Tây Ninh"), ("Hà Giang", "Tuyên Quang"), ("Thừa Thiên Huế", "Huế"),
    ("Bà Rịa - Vũng Tàu", "Hồ Chí Minh"), ("Bình Dương", "Hồ Chí Minh"), ("Bắc Ninh", "Bắc Ninh"),
    ("Phú Thọ", "Phú Thọ"), ("Hà Nội", "Hà Nội"), ("Nowhere", None),
])
def test_province_2025_follows_the_official_merger(old, new):
    assert province_2025_of(old) == new


def test_every_unit_of_63_maps_into_the_34():
    assert {province_2025_of(p) for p in provinces_63()} == set(provinces_34())


@pytest.mark.parametrize("source, url, province", [
    ("PhuthoPortal", None, "Phú Thọ"),
    (None, "https://baobacninh.vn/tin-a.html", "Bắc Ninh"),
    (None, "http://longan.gov.vn/tin", "Long An"),
    (None, "https://stttt.bacninh.gov.vn/", "Bắc Ninh"),
    ("Báo Long An", None, "Long An"),
    ("Dân trí", "https://dantri.com.vn/a.htm", None),
    ("VnExpress", "https://vnexpress.net/a", None),
    ("HMC", None, None),
])
def test_provincial_outlets_imply_their_province_and_national_ones_nothing(source, url, province):
    assert outlet_province(source, url) == province


@pytest.mark.parametrize("title, text", [
    ("Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
     "Chỉ thị 05-CT/TW của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh."),
    ("Kỷ niệm ngày sinh Chủ tịch Hồ Chí Minh", "Chủ tịch Hồ Chí Minh và Bác Hồ kính yêu. Đoàn TNCS Hồ Chí Minh."),
    ("Bão mạnh trên Thái Bình Dương", "Một cơn bão mạnh hình thành trên Thái Bình Dương."),
    ("Ca sĩ biểu diễn tại Grammy", "Tối 1/2 giờ Los Angeles, tức sáng 2/2 giờ Hà Nội, ca sĩ xuất hiện."),
    ("Vợ bán nhà không báo chồng", "Sự việc xảy ra tại Trùng Khánh, Trung Quốc."),
    ("Phim giờ vàng", "Nữ diễn viên đóng cặp với Thanh Sơn trong phim mới."),
    ("Giá vàng hôm nay", "Giá vàng SJC tại Hà Nội ở mức 55 triệu, tại TP.HCM ở mức 55,1 triệu."),
    ("Khai mạc Đại hội", "Đại hội khai mạc tại Hội trường Ủy ban nhân dân Phường 1. Của tỉnh. Tỉnh ủy. UBND tỉnh."),
    ("Nhà hàng trên đường Hà Nội", "Quán nằm trên đường Hà Nội và phố Huế, được ông Hòa Bình quản lý."),
    ("Thuốc giả", "Phát hiện thuốc giả ở Hà Nội, TP.HCM, Cần Thơ, Đồng Tháp, Cà Mau."),
    ("HLV mới", "HLV Kiatisuk giúp HA Gia Lai thăng hoa và Becamex Bình Dương thất bại."),
])
def test_phrases_that_only_contain_a_place_name_give_no_province(title, text):
    assert infer_province(title, text) is None


@pytest.mark.parametrize("title, text, province", [
    ("Đại hội Đảng bộ Sở TT&TT TP. Hồ Chí Minh", "Sáng 26/6, Đại hội diễn ra.", "Hồ Chí Minh"),
    ("Một vụ tai nạn", "Ngày 2/7, tại thị xã Thuận An, tỉnh Bình Dương, một vụ tai nạn đã xảy ra.", "Bình Dương"),
    ("Đề án đô thị thông minh", "Ưu tiên triển khai trước tại TP.Tân An, với nhiều dự án.", "Long An"),
    ("Rừng ngập mặn", "Người dân huyện Cần Giờ chung tay bảo vệ rừng ngập mặn.", "Hồ Chí Minh"),
    ("Tin cũ", "Ngày xưa, tỉnh Hà Tây có nhiều làng nghề.", "Hà Nội"),
    ("Mưa lớn ở Lai Châu", "Mưa lớn kéo dài trên địa bàn tỉnh Lai Châu.", "Lai Châu"),
    ("Hà Tĩnh: Truy tìm kẻ vứt xác lợn", "Ngày 8/2, UBND huyện Thạch Hà (Hà Tĩnh) cho biết.", "Hà Tĩnh"),
    ("Nữ công nhân ở Hải Dương tử vong",
     "Vụ việc xảy ra tại xã Kim Xuyên, huyện Kim Thành, tỉnh Hải Dương. Nạn nhân trú tại huyện Mai Sơn, tỉnh Sơn La.",
     "Hải Dương"),
])
def test_explicit_evidence_gives_the_province(title, text, province):
    assert infer_province(title, text) == province


def test_district_name_shared_by_several_provinces_is_not_evidence():
    assert infer_province("Một sự kiện", "Người dân huyện Châu Thành tham gia sự kiện.") is None


def test_huyen_quang_ninh_is_in_quang_binh_not_quang_ninh():
    assert infer_province("Một sự kiện", "Người dân huyện Quảng Ninh tham gia lễ hội. Huyện Quảng Ninh phát triển.") \
        == "Quảng Bình"


def test_outlet_decides_for_a_provincial_portal_article_without_names():
    assert infer_province("Hội nghị tổng kết", "Đảng bộ Sở tổ chức hội nghị của tỉnh.", outlet="Phú Thọ") == "Phú Thọ"


def test_bare_tinh_alone_gives_nothing():
    assert infer_province("Hội nghị", "Tỉnh ủy, UBND tỉnh, HĐND tỉnh và các sở của tỉnh đã họp.") is None


def test_a_local_article_naming_one_province_once_gets_it():
    text = "Tham mưu Tỉnh ủy, UBND tỉnh. Phát triển của tỉnh. Đảng ủy Khối tỉnh. Đầu tư FDI tại Bắc Ninh."
    assert infer_province("Đại hội Đảng bộ Sở", text) == "Bắc Ninh"


def test_a_lowercase_common_phrase_is_not_a_place():
    assert infer_province("Giữ gìn hòa bình", "Mong ước hòa bình và thái bình cho muôn nơi, bến tre xưa.") is None


@settings(max_examples=60)
@given(st.text(max_size=400), st.text(max_size=60))
def test_inference_never_raises_and_returns_a_known_unit(text, title):
    result = infer_province(title, text)
    assert result is None or result in provinces_63()
    canonical_province(text)
    province_2025_of(title)
