"""A damaged index is said in one line (search/store/manifest.py): every damage of every kind
of file of a generation ends in the undamaged index's answers or in IndexDamaged (or
IndexMissing) naming the remedy, never in a wrong answer or a traceback."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search import open_index, rebuild
from search.errors import IndexMissing, IndexOutdated
from search.requests import SearchRequest
from search.store.container import current_generation
from search.store.manifest import MANIFEST

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "index_data" / "articles"
QUERIES = ["bão", '"mưa lớn"', "Hà Nội", "kinh tế", "tỉnh"]
KINDS = {  # file kind -> a glob in the generation
    "trm": "*.trm", "pst": "*.pst", "stored": "*._stored.col", "fwd.col": "*.fwd.col", "datekey": "*.datekey.col",
    "toc": "_MAIN_*.toc", "forward": "forward.u32", "marks": "marks.u16", "codes": "positions-*.codes.npy",
    "pos": "positions-*.pos.npy", "report": "report.json", "format": "format.json", "manifest": MANIFEST,
}
DAMAGES = ["truncate", "zero", "delete", "random"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("pristine") / "index"
    rebuild(SAMPLES, index_dir)
    return index_dir, answers(index_dir)


def answers(index_dir):
    index = open_index(index_dir)
    return [[hit.id for hit in index.search(SearchRequest(q=q, size=20)).hits] for q in QUERIES]


def damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "truncate":
        os.truncate(path, size // 2)
    elif how == "zero":
        path.write_bytes(bytes(size))
    elif how == "delete":
        path.unlink()
    else:
        data = bytearray(path.read_bytes())
        at = size // 3
        data[at:at + 64] = os.urandom(min(64, size - at))
        path.write_bytes(bytes(data))


@pytest.fixture()
def copy(pristine, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(pristine[0], index_dir, symlinks=True)
    return index_dir


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_file_gives_the_right_answers_or_one_line(pristine, copy, kind, how):
    path = sorted(current_generation(copy).glob(KINDS[kind]))[0]
    damage(path, how)
    try:
        got = answers(copy)
    except IndexMissing as error:
        message = str(error)
        assert "\n" not in message and "python manage.py rebuild" in message
        if not isinstance(error, IndexOutdated):
            assert path.name in message or current_generation(copy).name in message
        return
    assert got == pristine[1]


def test_check_full_names_the_damaged_file(copy):
    path = sorted(current_generation(copy).glob("*.pst"))[0]
    damage(path, "random")
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--full", "--index", str(copy)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"lỗi: Chỉ mục hỏng: {path.name} (tổng kiểm tra sai); "
                                   "hãy chạy: python manage.py rebuild")


def test_check_says_an_intact_index_is_intact(copy):
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--full", "--index", str(copy)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "nguyên vẹn" in done.stdout


def test_a_cut_toc_is_an_error_not_ctrl_c(copy):
    toc = sorted(current_generation(copy).glob("_MAIN_*.toc"))[0]
    damage(toc, "truncate")
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "search", "bão", "--index", str(copy)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "đã dừng" not in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and toc.name in done.stderr


def test_healthz_answers_503_for_a_damaged_index(copy):
    from web import create_app

    damage(current_generation(copy) / "forward.u32", "truncate")
    response = create_app(index_dir=copy, TESTING=True).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_damaged"
    assert "forward.u32" in response.get_json()["error"]["message"]


def test_the_server_keeps_its_last_good_generation_when_a_newer_one_is_damaged(pristine, copy):
    from web import create_app

    client = create_app(index_dir=copy, TESTING=True).test_client()
    assert client.get("/healthz").status_code == 200
    rebuild(SAMPLES, copy)
    damage(current_generation(copy) / "marks.u16", "zero")
    assert client.get("/api/search?q=bão").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503 and "marks.u16" in health.get_json()["error"]["message"]


def test_a_generation_without_a_manifest_asks_for_a_rebuild(copy):
    generation = current_generation(copy)
    (generation / MANIFEST).unlink()
    (generation / "format.json").write_text('{"format": 1}')
    with pytest.raises(IndexOutdated, match="python manage.py rebuild"):
        open_index(copy)
