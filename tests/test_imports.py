"""What importing costs: the read path never loads the write path, and nothing heavy is built
at import time."""
import subprocess
import sys

import pytest

WRITE_PATH = ("search.build", "search.ingest", "search.store.postings", "search.opensearch.build",
              "search.opensearch.documents")


def _imported(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         check=True).stderr
    return {line.rsplit("|", 1)[-1].strip() for line in out.splitlines() if line.startswith("import time:")}


@pytest.mark.slow
def test_opening_an_index_loads_no_ingest_or_writer_module():
    modules = _imported("import search; search.open_index; import search.searcher")
    assert "search.searcher" in modules
    assert not [m for m in modules if m.startswith(WRITE_PATH)]


@pytest.mark.slow
def test_the_opensearch_read_path_loads_no_writer_module():
    modules = _imported("import search.opensearch.searcher")
    assert "search.opensearch.compile" in modules
    assert not [m for m in modules if m.startswith(WRITE_PATH)]


@pytest.mark.slow
def test_importing_text_loads_only_text():
    modules = _imported("import search.text")
    assert {m for m in modules if m.startswith("search")} == {"search", "search.text"}


@pytest.mark.slow
def test_gazetteer_is_built_on_first_use_not_at_import():
    code = ("import search.ingest.metadata as m, search.ingest.provinces as p\n"
            "assert p.gazetteer.cache_info().currsize == 0\n"
            "assert len(m.PROVINCES_63) == 63 and p.gazetteer.cache_info().currsize == 1\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_rebuild_and_update_are_still_exported():
    import search
    from search import rebuild, update  # noqa: F401

    assert callable(search.rebuild) and callable(search.update)


def test_the_library_imports_neither_flask_nor_click():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "search"
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "import click" not in source and "from click" not in source, path
        assert "import flask" not in source and "from flask" not in source, path


@pytest.mark.slow
def test_the_console_script_is_the_cli_of_manage_py():
    from pathlib import Path

    import manage
    from vnsearch_cli import cli

    assert manage.cli is cli
    script = Path(sys.executable).parent / "vnsearch"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "vnsearch" in done.stdout


@pytest.mark.slow
def test_the_command_line_loads_no_minhash_library_until_it_signs():
    """datasketch loads scipy (most of a second): a no-op update or a search must not pay it."""
    modules = _imported("import vnsearch_cli.commands, search.build")
    assert "search.copies" in modules
    assert not [m for m in modules if m.split(".")[0] in ("datasketch", "scipy")]
