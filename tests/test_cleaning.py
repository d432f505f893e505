"""Boilerplate removal and title finding on text pasted from portals."""
import pytest
from hypothesis import given, strategies as st

from search.ingest.cleaning import clean_text, drop_repeats, find_title, is_boilerplate, iter_lines, split_lines


@pytest.mark.parametrize("line", [
    "Tiếng Việt | English", "English | Tiếng Việt", "Chia sẻ bài viết", "Số lượt xem: 695", "Tin cùng chuyên mục",
    "Chi tiết bài viết Tin tức", "Trang chủ > Tin tức > Sự kiện", "null", "Facebook Zalo Email", "Từ khóa: đại hội",
    "In bài viết", "1.234 lượt xem",
])
def test_navigation_share_counter_and_language_lines_are_boilerplate(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV, nhiệm kỳ 2020-2025",
    "Hùng Cường",
    "Ngày 29-5, Đảng bộ Sở tổ chức Đại hội.",
])
def test_article_lines_are_not_boilerplate(line):
    assert not is_boilerplate(line)


def test_null_artefact_prefix_is_removed():
    assert split_lines("null Khai mạc Đại hội\n\nnull\n") == ["Khai mạc Đại hội"]


def test_view_counter_is_cut_out_of_a_dateline():
    assert split_lines("31/05/2020 08:49 Số lượt xem: 695") == ["31/05/2020 08:49"]


def test_caption_repeated_twice_in_a_row_is_kept_once():
    lines = ["Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Sau đó"]
    assert drop_repeats(lines) == ["Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Sau đó"]


def test_title_repeated_by_the_page_wins_over_the_site_name():
    raw = ("Xuất bản thông tin\n\nnull Khai mạc Đại hội đảng viên Đảng bộ Sở Thông tin và Truyền thông\n\n"
           "Chi tiết bài viết Tin tức\n\nKhai mạc Đại hội đảng viên Đảng bộ Sở Thông tin và Truyền thông\n\n"
           "Đại hội đảng viên lần thứ II chính thức khai mạc sáng ngày 26/6.\n")
    title, body, _ = clean_text(raw)
    assert title == "Khai mạc Đại hội đảng viên Đảng bộ Sở Thông tin và Truyền thông"
    assert body == ["Đại hội đảng viên lần thứ II chính thức khai mạc sáng ngày 26/6."]


def test_caption_repeated_right_away_is_not_taken_for_the_title():
    lines = ["Đại hội Đảng bộ Sở Thông tin và Truyền thông TP. Hồ Chí Minh lần thứ IV", "15:39 26/06/2020",
             "(HMC) - Sáng 26/6, Đảng bộ Sở tổ chức Đại hội.",
             "Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Đại hội trang trọng thực hiện nghi lễ Chào cờ"]
    assert find_title(lines) == 0


def test_language_switcher_and_dateline_above_the_title_are_dropped():
    raw = ("Tiếng Việt | English\n\n01/06/2020 - 09:29\n\n"
           "Ông Nguyễn Bá Luân tái đắc cử Bí thư Đảng bộ cơ sở Sở Thông tin và Truyền thông Long An\n\n"
           "Với khẩu hiệu hành động, Đảng bộ vừa tổ chức Đại hội.\n\nHùng Cường\n\nChia sẻ bài viết\n")
    title, body, top = clean_text(raw)
    assert title.startswith("Ông Nguyễn Bá Luân")
    assert body == ["Với khẩu hiệu hành động, Đảng bộ vừa tổ chức Đại hội.", "Hùng Cường"]
    assert "01/06/2020 - 09:29" in top


def test_related_list_and_everything_after_it_is_cut():
    raw = ("Một tiêu đề bài viết đủ dài để là tiêu đề\nĐoạn một.\nTin cùng chuyên mục\nBài khác 1\nBài khác 2\n")
    _, body, _ = clean_text(raw)
    assert body == ["Đoạn một."]


def test_photo_numbered_repeats_of_the_title_are_dropped():
    raw = ("Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV\nĐoạn một.\n"
           "Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV - Ảnh 1\n"
           "Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV - Ảnh 2\nĐoạn hai.\n")
    _, body, _ = clean_text(raw)
    assert body == ["Đoạn một.", "Đoạn hai."]


@given(st.text(max_size=500))
def test_cleaning_never_raises_and_body_never_repeats_title(raw):
    title, body, _ = clean_text(raw)
    if title and body:
        assert body[0] != title


@given(st.lists(st.text(alphabet="abc Đđ\n", max_size=20), max_size=20))
def test_drop_repeats_is_idempotent(lines):
    once = drop_repeats(lines)
    assert drop_repeats(once) == once


@given(st.text(alphabet="ab \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029"))
def test_lines_are_iterated_as_splitlines_makes_them(text):
    assert list(iter_lines(text)) == text.splitlines()


# Lines of the 24h, Dân trí, VNTC and Báo Mới corpora (shortened), each with what must remain.
@pytest.mark.parametrize("raw, kept", [
    ("Lưu bài viết thành công Bạn có thể xem lại bài viết đã lưu ở trangTin bài đã lưu 8 đối tượng bị khởi tố.",
     "8 đối tượng bị khởi tố."),
    ("Lưu bài viết thành công Bạn có thể xem lại bài viết đã lưu ở trang Giá vàng tăng.", "Giá vàng tăng."),
    ("Các luống hoa ly bị kẻ xấu chặt nham nhở. (Ảnh: NVCC) “Tôi gần như không đứng vững”.",
     "Các luống hoa ly bị kẻ xấu chặt nham nhở. “Tôi gần như không đứng vững”."),
    ("8 đối tượng liên quan đường dây xăng giả ở TP.HCM bị khởi tố. Ảnh: CACC Ngày 3/2, Nguyễn Văn Yên bị bắt.",
     "8 đối tượng liên quan đường dây xăng giả ở TP.HCM bị khởi tố. Ngày 3/2, Nguyễn Văn Yên bị bắt."),
    ("Khách xếp hàng chờ mua vàng. Ảnh: Thái Nguyễn Còn theo ông Văn Nam, giá vàng tăng.",
     "Khách xếp hàng chờ mua vàng. Còn theo ông Văn Nam, giá vàng tăng."),
    ("Công an khám nghiệm hiện trường. Ảnh: Công an tỉnh Phú Thọ. Cú va chạm bất ngờ.",
     "Công an khám nghiệm hiện trường. Cú va chạm bất ngờ."),
    ("Chappell Roan trên thảm đỏ Grammy. Ảnh: Instagram Chappell Roan cũng chia sẻ.",
     "Chappell Roan trên thảm đỏ Grammy. Chappell Roan cũng chia sẻ."),
    ("Bà Kim tại cuộc họp báo ngày 24/4 (Ảnh: Reuters).", "Bà Kim tại cuộc họp báo ngày 24/4."),
    ("Thanh Bình ăn mừng bàn mở tỷ số. Ảnh: Nguyễn Tuấn", "Thanh Bình ăn mừng bàn mở tỷ số."),
    ("Đỏ: Cầu thủ xuất sắc nhất trận Liverpool - Man City 08.02 Dự đoán tỷ số trận đấu.Cơ hội trúng ngay "
     "500.000 đồng!!! Dortmund và Heidenheim có 5 bàn thắng. Nguồn: [Link nguồn]Nguồn: [Link nguồn]",
     "Đỏ: Cầu thủ xuất sắc nhất trận"),
    # The related article's lead before the link placeholders: cut with "...", or whole.
    ("Hiện 6 ngôi mộ đã được giải tỏa, ông Thắng thông tin. Ngôi mộ cổ ở phường An Sơn, TP. Tam Kỳ (Quảng Nam) "
     "được cho là liên quan đến phần mộ của nữ sĩ Hồ Xuân Hương. Ngành chức năng đã tiến... "
     "Nguồn: [Link nguồn]Nguồn: [Link nguồn]",
     "Hiện 6 ngôi mộ đã được giải tỏa, ông Thắng thông tin."),
    ("Tiền Phong sẽ tiếp tục thông tin về vụ việc. Vụ cháy xảy ra lúc 1 giờ sáng 5/2 (NLĐO) - Khi dập tắt đám "
     "cháy, cảnh sát phát hiện 3 mẹ con đã tử vong trong nhà. Nguồn: [Link nguồn]Nguồn: [Link nguồn]",
     "Tiền Phong sẽ tiếp tục thông tin về vụ việc."),
])
def test_save_notices_photo_credits_promotions_and_related_leads_are_cut(raw, kept):
    assert split_lines(raw) == [kept]


@pytest.mark.parametrize("line", [
    # A last sentence longer than a related lead can be is the article's own.
    "Giới quan sát nhận định như vậy. Các quan chức Iran tuyên bố nước này không có kế hoạch chuyển vật liệu hạt "
    "nhân đã được làm giàu sang quốc gia thứ 3 và ưu tiên trong các cuộc đàm phán là dỡ bỏ toàn bộ lệnh trừng phạt.",
    "Ảnh hưởng của bão số 3: nhiều nhà bị tốc mái ở Quảng Ninh.",
    "Triển lãm ảnh: Hà Nội xưa và nay thu hút đông đảo người xem.",
    "Đối tượng Trần Quốc Dũng. Ảnh: Công an xã Gio Linh Sau hơn 2 tuần theo dõi, công an bắt giữ.",
    "Ông nói: “Nguồn: cán bộ xã cung cấp” là chưa đủ.",
    "Ca sĩ Thanh Thảo. Ảnh: Weibo Lương Vân Phi cho biết cô vẫn khỏe.",
])
def test_article_sentences_are_never_cut(line):
    assert split_lines(line) == [line]
