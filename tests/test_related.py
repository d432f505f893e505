"""Related articles (SPEC §5, §7): the most similar others by the article's distinctive words,
itself and its copies excluded; the JSON route, the article page's "Bài liên quan", the CLI."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import client_of, index_of, where
from search import open_index
from search.related import RELATED_SIZE, copies_of, distinctive_terms
from vnsearch_cli.commands import cli

STORMS = [
    {"id": f"storm-{n}", "title": title, "text": text, "date": f"2020-10-{10 + n}", "province": "Quảng Ngãi"}
    for n, (title, text) in enumerate([
        ("Bão số 9 đổ bộ Quảng Ngãi", "Bão số 9 với sức gió giật cấp 15 đổ bộ vào Quảng Ngãi, hàng nghìn "
         "ngôi nhà tốc mái, cây xanh ngã đổ, mất điện diện rộng."),
        ("Quảng Ngãi khắc phục hậu quả bão số 9", "Sau bão số 9, Quảng Ngãi huy động lực lượng dựng lại nhà "
         "tốc mái, dọn cây ngã đổ và khôi phục điện."),
        ("Sức gió của bão số 9 mạnh nhất 20 năm", "Các trạm khí tượng ghi nhận gió giật cấp 15 khi bão số 9 "
         "vào đất liền; nhiều nhà tốc mái."),
        ("Người dân sơ tán trước bão", "Hàng nghìn hộ dân ven biển sơ tán tránh bão, chằng chống nhà cửa "
         "trước khi bão đổ bộ, gió giật mạnh."),
    ], start=1)
]
FOOTBALL = [
    {"id": f"football-{n}", "title": title, "text": text, "date": f"2021-03-0{n}", "province": "Hà Nội"}
    for n, (title, text) in enumerate([
        ("Đội tuyển Việt Nam thắng Indonesia", "Đội tuyển bóng đá Việt Nam thắng Indonesia 4-0 ở vòng loại "
         "World Cup; tiền đạo ghi hai bàn thắng, thủ môn giữ sạch lưới."),
        ("Huấn luyện viên khen các tiền đạo", "Sau trận thắng ở vòng loại World Cup, huấn luyện viên đội "
         "tuyển khen hàng tiền đạo ghi bàn và thủ môn."),
        ("Vé xem đội tuyển bán hết", "Vé trận đấu của đội tuyển bóng đá ở vòng loại World Cup bán hết "
         "trong hai giờ; cổ động viên xếp hàng."),
    ], start=1)
]
SCHOOLS = [
    {"id": "school-1", "title": "Học sinh thi tốt nghiệp", "text": "Hơn một triệu học sinh bước vào kỳ thi "
     "tốt nghiệp trung học phổ thông; đề thi môn văn được đánh giá vừa sức.", "date": "2022-06-28"},
    {"id": "school-2", "title": "Điểm thi tốt nghiệp công bố", "text": "Bộ Giáo dục công bố điểm thi tốt "
     "nghiệp trung học phổ thông; điểm môn văn cao hơn năm trước.", "date": "2022-07-20"},
]
ARTICLES = STORMS + FOOTBALL + SCHOOLS


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, backend):
    return index_of(tmp_path_factory, ARTICLES, "related", backend)


@pytest.fixture(scope="module")
def index(index_dir):
    return open_index(index_dir)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The embedded index alone: the tests of its copies and terms look at its store."""
    return open_index(index_of(tmp_path_factory, ARTICLES, "related-embedded"))


def related_ids(index, article_id):
    return [hit.id for hit in index.related(article_id).hits]


def test_related_articles_are_about_the_same_subject(index):
    storm = related_ids(index, "storm-1")
    assert storm[:3] and set(storm[:3]) <= {"storm-2", "storm-3", "storm-4"}
    football = related_ids(index, "football-1")
    assert set(football[:2]) <= {"football-2", "football-3"}
    assert related_ids(index, "school-1")[0] == "school-2"


def test_related_never_lists_the_article_itself_and_at_most_five(index):
    for article in ARTICLES:
        found = related_ids(index, article["id"])
        assert article["id"] not in found
        assert len(found) <= RELATED_SIZE
        assert len(found) == len(set(found))


def test_related_scores_are_in_descending_order(index):
    scores = [hit.score for hit in index.related("storm-1").hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_copies_of_an_article_are_never_related(embedded, monkeypatch):
    """Whatever copies_of says is a copy (today: the same content key; near-duplicate groups
    join there) is left out."""
    before = related_ids(embedded, "storm-1")
    assert "storm-2" in before
    view = embedded._snapshot()
    copy = view.store.docnum_of("storm-2")
    original = copies_of
    monkeypatch.setattr("search.related.copies_of",
                        lambda view, docnum: np.union1d(original(view, docnum), [copy]))
    after = related_ids(embedded, "storm-1")
    assert "storm-2" not in after
    assert after[:len(before) - 1] == [i for i in before if i != "storm-2"]


def test_copies_of_holds_the_article_itself(embedded):
    view = embedded._snapshot()
    docnum = view.store.docnum_of("school-1")
    assert docnum in copies_of(view, docnum).tolist()


def test_distinctive_terms_prefer_rare_words_and_skip_numbers(embedded):
    view = embedded._snapshot()
    stored = view.store.stored(view.store.docnum_of("storm-1"))
    terms = [t for t, _ in distinctive_terms(view, stored)]
    assert "bão" in terms and "ngãi" in terms
    assert "9" not in terms and "15" not in terms


def test_unknown_article_answers_404_json(index_dir):
    client = client_of(index_dir)
    answer = client.get("/api/articles/no-such-article/related")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_related_json_has_hits_like_search(index_dir):
    client = client_of(index_dir)
    doc = client.get("/api/articles/storm-1/related").get_json()
    assert doc["id"] == "storm-1" and isinstance(doc["took_ms"], float)
    hit = doc["hits"][0]
    assert {"id", "title", "title_html", "snippet_html", "published", "provinces", "score"} <= set(hit)
    assert hit["id"].startswith("storm-")


def test_article_page_lists_related_articles_with_links(index_dir):
    client = client_of(index_dir)
    page = client.get("/articles/football-1?q=bóng").get_data(as_text=True)
    assert "Bài liên quan" in page
    assert 'href="/articles/football-2?q=b%C3%B3ng"' in page or 'href="/articles/football-3?q=b%C3%B3ng"' in page


def test_cli_related_prints_the_api_document(index_dir):
    runner = CliRunner()
    result = runner.invoke(cli, ["related", "storm-1", "--json", *where(index_dir)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["id"] == "storm-1" and doc["hits"][0]["id"].startswith("storm-")
    plain = runner.invoke(cli, ["related", "storm-1", *where(index_dir)])
    assert plain.exit_code == 0 and "1. " in plain.output
    missing = runner.invoke(cli, ["related", "nope", *where(index_dir)])
    assert missing.exit_code != 0 and "Không tìm thấy bài viết" in missing.output
    assert "Traceback" not in missing.output
