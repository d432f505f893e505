"""Errors a user can cause; the CLI and the web map each to an exit code or an HTTP status."""

SHOWN_LENGTH = 100  # characters of a user's value echoed in a message; the rest is cut


def shown(value: object) -> str:
    """A value as a message echoes it: "«abc»", cut to SHOWN_LENGTH characters with "…"
    (a 100 KB id is not sent back whole)."""
    text = str(value)
    return f"«{text[:SHOWN_LENGTH]}…»" if len(text) > SHOWN_LENGTH else f"«{text}»"


class VnsearchError(Exception):
    """Base class: the message is one line, in Vietnamese, shown to the user as is."""

    http_status = 400
    code = "bad_request"


class BadRequest(VnsearchError):
    """A parameter out of range or malformed (page=0, year=abc, from=yesterday)."""


class IndexMissing(VnsearchError):
    http_status = 503
    code = "index_missing"


class IndexOutdated(IndexMissing):
    """The current generation was written in another format version: it must be rebuilt."""


class IndexDamaged(IndexMissing):
    """A file of the current generation is missing, of the wrong size or checksum, or unreadable."""

    code = "index_damaged"


class IndexBusy(VnsearchError):
    """Another rebuild or update holds the index container's lock."""

    http_status = 409
    code = "index_busy"


class ArticleNotFound(VnsearchError):
    http_status = 404
    code = "not_found"


class SourceMissing(VnsearchError):
    """The source folder of articles does not exist."""


class WriteFailed(VnsearchError):
    """The index could not be written (a full disk, no permission): the index in use was left as
    it was, and the message says why."""

    http_status = 507
    code = "write_failed"


class ClusterUnavailable(IndexMissing):
    """The OpenSearch cluster given by --opensearch / VNSEARCH_OPENSEARCH does not answer."""

    code = "cluster_unavailable"
