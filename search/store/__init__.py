"""The index format: every file of a generation and every use of Whoosh's internals, behind a
small interface (docs/ARCHITECTURE.md, "A generation on disk"). Nothing outside this package
imports Whoosh or knows a file's bytes.

    container     the index folder: lock, `current`, generations, report.json; file names
    format        FORMAT_VERSION, written with each generation (format.json) and checked on open
    schema        the Whoosh schema and the stored-article codec
    codec         creating and opening a generation's Whoosh index, whole posting lists,
                  document frequencies (Whoosh's private structures: the pinned version only)
    postings      the bulk postings writer (segments byte for byte those Whoosh writes)
    forward       the forward file and its marks: writer and reader
    positions     the forward file inverted: each syllable hash's positions
    manifest      every file's size and CRC32C (manifest.json), verified on open and by `check`
    reader        GenerationReader: one generation opened for reading
"""
import whoosh as _whoosh

# The one guard on Whoosh's version: codec and postings read and write its private
# structures (W3TermInfo rows, W3LeafMatcher blocks, SegmentWriter internals) as 3.54.0 has them.
PINNED_WHOOSH = (3, 54, 0)
if tuple(_whoosh.__version__[:3]) != PINNED_WHOOSH:
    raise ImportError(f"vnsearch needs whoosh3 {'.'.join(map(str, PINNED_WHOOSH))} (pyproject.toml), "
                      f"not {_whoosh.__version_str__}")
