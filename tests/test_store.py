"""The index format (search/store/): a format version with each generation, and a clear
rebuild message for a generation of another version or none."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from search import open_index, rebuild, update
from search.errors import IndexMissing, IndexOutdated
from search.store.container import FORMAT, current_generation
from search.store.format import FORMAT_VERSION
from search.store.manifest import MANIFEST

from helpers import write_articles

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def built(tmp_path):
    source, index_dir = tmp_path / "src", tmp_path / "index"
    write_articles(source, "a.jsonl", [{"id": "one", "title": "Bản tin", "text": "Thông tin mới từ huyện."}])
    rebuild(source, index_dir)
    return source, index_dir


def test_a_rebuild_records_the_format_version(built):
    _, index_dir = built
    assert json.loads((current_generation(index_dir) / FORMAT).read_text()) == {"format": FORMAT_VERSION}


@pytest.mark.parametrize("content", [None, '{"format": 0}', "not json"])
def test_a_generation_of_another_format_asks_for_a_rebuild(built, content):
    source, index_dir = built
    path = current_generation(index_dir) / FORMAT
    (path.parent / MANIFEST).unlink()  # generations of other versions have none (tests/test_damage.py: damage)
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
    with pytest.raises(IndexOutdated, match="hãy dựng lại: python manage.py rebuild") as raised:
        open_index(index_dir)
    assert isinstance(raised.value, IndexMissing) and "\n" not in str(raised.value)
    with pytest.raises(IndexOutdated):
        update(source, index_dir)
    rebuild(source, index_dir)
    assert open_index(index_dir).count() == 1


@pytest.mark.slow
def test_the_cli_says_rebuild_in_one_line_without_a_traceback(built):
    _, index_dir = built
    (current_generation(index_dir) / FORMAT).unlink()
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "search", "tin", "--index", str(index_dir)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "rebuild" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
