"""Hand-made republished copies for the grouping tests: one story, its copies with the small
edits a republishing outlet makes, and another story on the same topic."""
from __future__ import annotations

STORY = [
    "Sáng 12/3, tại thành phố Hội An, Ủy ban nhân dân tỉnh Quảng Nam tổ chức lễ khởi công dự án nâng cấp "
    "tuyến đê biển dài hơn tám cây số, đi qua ba xã ven biển thường xuyên bị sạt lở vào mùa mưa bão.",
    "Theo Sở Nông nghiệp và Phát triển nông thôn, dự án có tổng vốn đầu tư khoảng 620 tỷ đồng từ ngân sách "
    "trung ương và địa phương, dự kiến hoàn thành trong vòng hai năm, bảo vệ nhà cửa của gần bốn nghìn hộ dân.",
    "Phát biểu tại buổi lễ, ông Trần Văn Tân yêu cầu chủ đầu tư và các nhà thầu bảo đảm chất lượng công trình, "
    "đẩy nhanh tiến độ thi công các đoạn xung yếu trước mùa mưa năm nay, đồng thời phối hợp với chính quyền "
    "các xã trong việc giải phóng mặt bằng.",
    "Người dân xã Cẩm Thanh cho biết, nhiều năm qua sóng biển đã cuốn trôi hàng chục mét bờ cát, làm đổ hàng "
    "dừa và đe dọa các khu nuôi trồng thủy sản, nên ai cũng mong tuyến đê sớm được hoàn thành.",
]
OTHER_STORY = [
    "Chiều 20/3, Ủy ban nhân dân tỉnh Quảng Nam họp bàn phương án di dời các hộ dân sống sát bờ sông Thu Bồn "
    "ra khỏi vùng có nguy cơ sạt lở cao, trước khi bước vào mùa mưa lũ cuối năm.",
    "Theo báo cáo của huyện Đại Lộc, hơn ba trăm hộ gia đình đang sống trong vùng nguy hiểm, trong đó nhiều hộ "
    "đã phải sơ tán tạm thời trong các đợt lũ năm ngoái khi nước sông dâng cao và bờ đất bị khoét sâu.",
    "Lãnh đạo tỉnh đề nghị các sở ngành khẩn trương rà soát quỹ đất tái định cư, hỗ trợ kinh phí xây nhà mới "
    "và ổn định sinh kế cho người dân sau khi chuyển đến nơi ở mới an toàn hơn.",
    "Nhiều hộ dân thôn Hà Nha cho biết họ đồng tình với chủ trương di dời nhưng mong được bố trí đất sản xuất "
    "gần nơi ở để tiếp tục trồng rau màu và chăn nuôi như trước đây.",
]


def article(id_: str, title: str, paragraphs: list[str], **fields) -> dict:
    return {"id": id_, "title": title, "text": "\n".join(paragraphs), **fields}


ORIGINAL = article("copy-a", "Quảng Nam khởi công nâng cấp đê biển Hội An", STORY, published="2024-03-12")
NEW_HEADLINE = article("copy-b", "Khởi công tuyến đê biển hơn 620 tỷ đồng ở Quảng Nam", STORY, published="2024-03-12")
WITH_BYLINE = article("copy-c", "Quảng Nam nâng cấp đê biển Hội An", STORY + ["Nguyễn Văn Hùng"],
                      published="2024-03-13")
# The same title and text once the byline is taken out (ingest makes it the author): an exact copy,
# indexed once (search/ingest content_key), not a near-duplicate.
EXACT_WITH_BYLINE = article("copy-f", ORIGINAL["title"], STORY + ["Lê Thị Mai"], published="2024-03-14")
TRIMMED = article("copy-d", "Quảng Nam: khởi công đê biển", STORY[:-1], published="2024-03-13")
OTHER = article("other-e", "Quảng Nam di dời dân khỏi vùng sạt lở sông Thu Bồn", OTHER_STORY, published="2024-03-20")
COPIES = [ORIGINAL, NEW_HEADLINE, WITH_BYLINE, TRIMMED]
