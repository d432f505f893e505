"""The index format: every file of a generation and every use of Whoosh's internals, behind a
small interface (docs/ARCHITECTURE.md, "A generation on disk").

    container     the index folder: lock, `current`, generations, report.json
    schema        the Whoosh schema and the stored-article codec
    whoosh_codec  creating and opening a generation's Whoosh index
    forward       the forward file and its marks (writer)
"""
