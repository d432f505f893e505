"""The Flask front end: an HTML search page and its JSON twin over the `search` library.

    from web import create_app
    app = create_app("index_data/index")     # the index is opened on the first request
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from flask import Flask, g, request
from werkzeug.exceptions import BadHost

from search import SearchIndex, open_index
from search.config import Config
from search.requests import MAX_QUERY_LENGTH

log = logging.getLogger("vnsearch")

# Every response: no inline script or style, no framing, no MIME sniffing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class LazyIndex:
    """Opens the SearchIndex on first use, so the app starts (and explains) before an index exists."""

    def __init__(self, index_dir: Path, opensearch: str | None = None):
        self.index_dir = index_dir
        self.opensearch = opensearch
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> SearchIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = open_index(self.index_dir, opensearch=self.opensearch)  # raises IndexMissing until one is built
        return self._index


def create_app(index_dir: str | os.PathLike | None = None, opensearch: str | None = None, **config) -> Flask:
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # an article id may hold "//"; never redirect it elsewhere
    app.config.update(
        MAX_CONTENT_LENGTH=16 * 1024,  # every route is a GET; nothing large is ever uploaded
        MAX_FORM_MEMORY_SIZE=16 * 1024,
    )
    app.config.update(config)
    app.debug = False  # never the interactive debugger: it executes code sent by the browser
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    settings = Config.from_env(index_dir=index_dir, opensearch=opensearch)
    app.extensions["vnsearch_index"] = LazyIndex(settings.index_dir, settings.opensearch)
    app.jinja_env.globals["max_query_length"] = MAX_QUERY_LENGTH
    _log_to_stderr_unless_configured()

    from . import views

    app.register_blueprint(views.bp)

    @app.before_request
    def start_clock():
        g.started = time.perf_counter()
        if not host_is_valid(request.host):
            raise BadHost()  # before a route builds an absolute URL from it (the Atom feed does)

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.after_request
    def log_request(response):
        log.info("%s", request_line(response.status_code))
        return response

    return app


def host_is_valid(host: str) -> bool:
    """Whether an absolute URL can be built on this Host header: "xn--" passes Werkzeug's routing
    but fails its IDNA decoding when url_for(_external=True) runs."""
    if host.startswith("["):  # an IPv6 literal, with or without a port
        return host.endswith("]") or "]:" in host
    name = host.rpartition(":")[0] if ":" in host else host
    try:
        name.encode("idna").decode("idna")
    except UnicodeError:
        return False
    return True


def request_line(status: int) -> str:
    """"GET /search?q=b%C3%A3o 200 12.3ms": one line per request, the query string as sent."""
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    path = quote(request.path, safe="/:@!$&'()*+,;=~")  # as sent: a %0A in the path cannot break the line
    query = request.query_string.decode("latin-1")
    if query:
        path = f"{path}?{query}"
    return f"{request.method} {path} {status} {elapsed:.1f}ms"


def _log_to_stderr_unless_configured() -> None:
    """Request lines reach stderr under `serve`; an embedding app's own logging config wins."""
    if log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # waitress configures the root logger later: one line a request, not two
