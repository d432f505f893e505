"""The client of an `--opensearch URL` and the one place OpenSearch's errors become ours: a
cluster that does not answer, or an alias that points nowhere, is one Vietnamese line."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from ..errors import BadRequest, ClusterUnavailable, IndexMissing
from .mapping import DEFAULT_ALIAS

ENV = "VNSEARCH_OPENSEARCH"
TIMEOUT_SECONDS = 30


def split_url(url: str) -> tuple[str, str]:
    """"http://host:9200/archive" → ("http://host:9200", "archive"): the path names the alias
    (default `vnsearch`)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"Địa chỉ OpenSearch không hợp lệ: «{url}» (ví dụ http://127.0.0.1:9200)")
    alias = parts.path.strip("/") or DEFAULT_ALIAS
    if "/" in alias or alias != alias.lower() or alias.startswith(("-", "_", "+")):
        raise BadRequest(f"Tên bí danh OpenSearch không hợp lệ: «{alias}» (chữ thường, không có «/»)")
    return f"{parts.scheme}://{parts.netloc}", alias


def client_of(url: str):
    """(OpenSearch client, alias) of a URL."""
    from opensearchpy import OpenSearch

    base, alias = split_url(url)
    return OpenSearch(hosts=[base], timeout=TIMEOUT_SECONDS, max_retries=2, retry_on_timeout=True,
                      http_compress=False, pool_maxsize=32), alias


@contextmanager
def answered(url: str) -> Iterator[None]:
    """OpenSearch's transport errors as ClusterUnavailable, a missing index as IndexMissing."""
    from opensearchpy import exceptions

    try:
        yield
    except exceptions.ConnectionError as error:
        raise ClusterUnavailable(f"Không kết nối được OpenSearch tại {url}: {_cause(error)}") from error
    except exceptions.NotFoundError as error:
        raise IndexMissing(f"Chưa có chỉ mục trên OpenSearch tại {url}; hãy chạy: "
                           f"python manage.py rebuild --opensearch {url}") from error
    except exceptions.TransportError as error:
        raise ClusterUnavailable(f"OpenSearch tại {url} trả lỗi {error.status_code}: {_cause(error)}") from error


def _cause(error) -> str:
    info = getattr(error, "info", None)
    if isinstance(info, dict):
        reason = info.get("error", {})
        if isinstance(reason, dict):
            return str(reason.get("reason") or reason.get("type") or error)[:200]
    return str(getattr(error, "error", "") or error).splitlines()[0][:200]
