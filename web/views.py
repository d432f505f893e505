"""One blueprint: the HTML pages and their /api twins (README, HTTP), and the one place errors map to HTTP.

Each route turns the request into one library call and renders its result.
"""
from __future__ import annotations

import itertools
import re

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask.globals import request_ctx
from werkzeug.exceptions import BadHost, HTTPException

from search import SearchIndex
from search.errors import VnsearchError
from search.export import MEDIA_TYPES, export_lines
from search.requests import shortened, validate
from search.text import fold_accents

from . import feeds, openapi
from .params import export_format, link, search_request, state_pairs, without
from .present import article_url, safe_external_url, search_page, vn_date

bp = Blueprint("web", __name__)

# Status → (error code, Vietnamese message) for errors raised by routing rather than the library.
HTTP_ERRORS = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    404: ("not_found", "Không tìm thấy trang này."),
    405: ("method_not_allowed", "Phương thức HTTP này không được hỗ trợ ở đây."),
    413: ("payload_too_large", "Yêu cầu quá lớn."),
}


def search_index() -> SearchIndex:
    return current_app.extensions["vnsearch_index"].get()


@bp.get("/")
@bp.get("/search")
def search():
    result = search_index().search(search_request(request.args))
    return render_template("search.html", page=search_page(result, state_pairs(request.args)))


@bp.get("/search.atom")
def feed():
    asked = search_request(request.args)
    validate(shortened(asked)[0])  # a page, size or sort out of contract is a bad request here too
    result = search_index().search(feeds.feed_request(asked))
    pairs = state_pairs(request.args)
    kept = without(pairs, *feeds.FEED_IGNORED)
    document = feeds.atom_feed(
        result, feed_id=feeds.feed_id(pairs), self_url=external(link("web.feed", pairs)),
        page_url=external(link("web.search", kept)),
        article_url=lambda article_id: url_for("web.article", article_id=article_id, _external=True),
    )
    return Response(document, content_type=feeds.MEDIA_TYPE)


@bp.get("/articles/<path:article_id>")
def article(article_id: str):
    index = search_index()
    found = index.get(article_id)
    title_html, text_html = index.highlight_article(found, request.args.get("q", ""),
                                                    ignore_accents=request.args.get("accents") == "ignore")
    pairs = state_pairs(request.args)
    return render_template(
        "article.html", article=found, title_html=title_html, text_html=text_html,
        date=vn_date(found.published), external_url=safe_external_url(found.url),
        back_url=link("web.search", pairs), has_search=bool(pairs),
        related=[(hit, article_url(hit.id, pairs), vn_date(hit.published)) for hit in index.related(found.id).hits],
    )


@bp.get("/api/search")
def api_search():
    return jsonify(search_index().search(search_request(request.args)).to_dict())


@bp.get("/api/articles/<path:article_id>")
def api_article(article_id: str):
    return jsonify(search_index().get(article_id).to_dict())


@bp.get("/api/articles/<path:article_id>/related")
def api_related(article_id: str):
    return jsonify(search_index().related(article_id).to_dict())


@bp.get("/api/export")
def export():
    fmt = export_format(request.args)
    wanted = search_request(request.args)
    articles = search_index().export(wanted)
    # The library validates when the generator starts: start it before the response does.
    first = next(articles, None)
    rows = itertools.chain([first] if first else [], articles)
    filename = f"{export_name(wanted.q)}.{fmt}"
    return Response(export_lines(rows, fmt), content_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/api/openapi.json")
def api_openapi():
    return jsonify(openapi.document())


@bp.get("/healthz")
def healthz():
    """A real query on the current generation; a damaged one answers 503 saying what is wrong."""
    return jsonify(status="ok", articles=search_index().health()["articles"])


def external(path: str) -> str:
    """A site path (as `link` gives it) as an absolute URL, for documents read elsewhere."""
    return request.host_url.rstrip("/") + path


def export_name(q: str) -> str:
    """"Đại hội Đảng" → "vnsearch-dai-hoi-dang": an ASCII file name, safe in a header."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold_accents(q).lower()).strip("-")[:40].strip("-")
    return f"vnsearch-{slug}" if slug else "vnsearch"


# ---- errors: one place -------------------------------------------------------------------

def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/search.atom")


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    if request_ctx.url_adapter is None:
        # The Host header could not be bound (`Host: a..b`): the page's links are site paths,
        # so any placeholder host lets url_for build them.
        request_ctx.url_adapter = current_app.url_map.bind(
            "invalid", script_name=request.script_root or "/", url_scheme=request.scheme)
    if wants_json():
        response = jsonify(error={"code": code, "message": message})
    else:
        response = Response(render_template("error.html", status=status, message=message),
                            mimetype="text/html")
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.app_errorhandler(VnsearchError)
def library_error(error: VnsearchError):
    return error_response(error.http_status, error.code, str(error))


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    status = error.code or 500
    code, message = HTTP_ERRORS.get(status, ("http_error", "Yêu cầu không thực hiện được."))
    if isinstance(error, BadHost):
        message = "Tên máy chủ (tiêu đề Host) của yêu cầu không hợp lệ."
    methods = getattr(error, "valid_methods", None)
    return error_response(status, code, message, {"Allow": ", ".join(methods)} if methods else None)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    current_app.logger.exception("unexpected error on %s", request.path)
    return error_response(500, "internal_error", "Đã xảy ra lỗi không mong muốn. Vui lòng thử lại sau.")
