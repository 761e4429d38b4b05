"""The counter officer's web page: find a past result, check it against the scan, reuse it.

    app = create_app(settings)          # a Starlette ASGI app; `digitize serve` runs it

Every page is rendered on the server (Jinja2, autoescaped) and served with its CSS and JavaScript
by the app itself: counters often have no internet. Search, correction and linking go through the
same library calls as the CLI (digitize.service); this module only turns requests into those
calls and their results into pages. File and image URLs take a record id and a page number, never
a path.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from digitize import service, validate
from digitize.config import Settings
from digitize.errors import DigitizeError, NotFound
from digitize.fields.model import FIELD_NAMES
from digitize.web import pages
from digitize.web.security import (LoginLimiter, NeedLogin, checked_form, csrf_token,
                                   current_user, require, security_headers)
from indexer.base import Query
from storage.users import Users

HERE = Path(__file__).resolve().parent
RECORD_ID = re.compile(r"^[0-9a-f]{8,64}$")
PAGE_SIZE = 10
FIELD_LABELS = {
    "issuer_parent": "Cơ quan chủ quản", "issuer": "Cơ quan ban hành", "number": "Số, ký hiệu",
    "place": "Địa danh", "issued_date": "Ngày ban hành", "doc_type": "Loại văn bản",
    "subject": "Trích yếu", "recipients": "Nơi nhận", "signer_title": "Chức vụ người ký",
    "signer_name": "Người ký", "urgency": "Độ khẩn", "confidentiality": "Độ mật",
    "persons": "Người được nêu", "holders": "Người được cấp / liên quan",
    "organisations": "Tổ chức", "objects": "Đối tượng (thửa đất, hộ kinh doanh, ...)",
    "number_seq": "Số", "number_type_code": "Mã loại", "number_issuer_code": "Mã cơ quan",
    "distribution": "Nơi nhận (phân phối)",
}


def _marks(snippet: str) -> Markup:
    """A search snippet with its [matched] words highlighted; everything else escaped."""
    out = []
    for word in snippet.split(" "):
        if len(word) > 2 and word.startswith("[") and word.endswith("]"):
            out.append(Markup("<mark>%s</mark>") % word[1:-1])
        else:
            out.append(escape(word))
    return Markup(" ").join(out)


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        parts = []
        for v in value:
            if isinstance(v, dict):
                parts.append(", ".join(f"{k}: {x}" for k, x in v.items()
                                       if x not in (None, "", [], {}) and k not in
                                       ("evidence", "needs_review")))
            else:
                parts.append(str(v))
        return "; ".join(parts)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["marks"] = _marks
    t.env.filters["value_text"] = _value_text
    t.env.globals["FIELD_LABELS"] = FIELD_LABELS
    return t


def _rid(request: Request) -> str:
    rid = request.path_params["rid"]
    if not RECORD_ID.match(rid):
        raise HTTPException(404, "Không có hồ sơ này.")
    return rid


class App:
    """The routes over one archive."""

    def __init__(self, settings: Settings, tls: bool = False):
        self.settings = settings
        self.users = Users(settings.archive)
        self.limiter = LoginLimiter(self.users)
        self.templates = _templates()
        self.tls = tls

    # helpers -------------------------------------------------------------------------------
    def page(self, request: Request, name: str, status: int = 200, **ctx) -> Response:
        ctx.update(user=current_user(request), csrf=csrf_token(request))
        return self.templates.TemplateResponse(request, name, ctx, status_code=status)

    async def record(self, rid: str) -> dict[str, Any]:
        try:
            return await run_in_threadpool(service.show, self.settings, rid)
        except NotFound:
            raise HTTPException(404, "Không có hồ sơ này.") from None

    def _page_no(self, request: Request, doc: dict[str, Any]) -> int:
        n = int(request.path_params["n"])
        if not 1 <= n <= int(doc.get("page_count") or 0):
            raise HTTPException(404, "Không có trang này.")
        return n

    # login ---------------------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        return self.page(request, "login.html", next=request.query_params.get("next", "/"))

    async def login(self, request: Request) -> Response:
        form = await checked_form(request)
        name, password = form.get("name", "").strip(), form.get("password", "")
        client = f"ip:{request.client.host if request.client else '?'}"
        keys = (client, f"user:{name.lower()}")
        wait = self.limiter.wait_s(*keys)
        nxt = form.get("next", "/")
        nxt = nxt if nxt.startswith("/") and not nxt.startswith("//") else "/"
        if wait:
            return self.page(request, "login.html", 429, next=nxt,
                             error=f"Quá nhiều lần đăng nhập sai. Thử lại sau {wait} giây.")
        user = await run_in_threadpool(self.users.check, name, password)
        if user is None:
            self.limiter.failed(*keys)
            self.users.log_access(name or "?", "login-failed", detail=client)
            return self.page(request, "login.html", 401, next=nxt,
                             error="Sai tên đăng nhập hoặc mật khẩu.")
        self.limiter.succeeded(*keys)
        request.session.clear()  # a new session on login: no fixation
        request.session["user"] = user.name
        csrf_token(request)
        self.users.log_access(user.name, "login", detail=client)
        return RedirectResponse(nxt, 303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        user = current_user(request)
        if user:
            self.users.log_access(user.name, "logout")
        request.session.clear()
        return RedirectResponse("/login", 303)

    # search --------------------------------------------------------------------------------
    async def search(self, request: Request) -> Response:
        user = require(request, "search")
        p = request.query_params
        filters = {k: p.get(k, "").strip() for k in ("q", "type", "issuer", "from", "to",
                                                     "dossier", "person_id", "person")}
        page_no = max(1, int(p.get("page", "1") or 1)) if p.get("page", "1").isdigit() else 1
        result, error = None, None
        if any(filters.values()):
            q = Query(filters["q"], filters["type"] or None, filters["issuer"] or None, None,
                      filters["from"] or None, filters["to"] or None, filters["dossier"] or None,
                      filters["person_id"] or None, filters["person"] or None,
                      limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE, facets=True)
            try:
                result = await run_in_threadpool(service.search, self.settings, q)
            except DigitizeError as e:
                error = str(e)
            if filters["person_id"]:
                self.users.log_access(user.name, "search-person-id",
                                      detail=filters["person_id"][:32])
        pages_total = -(-result.total // PAGE_SIZE) if result else 0
        base = {k: v for k, v in filters.items() if v}
        return self.page(request, "search.html", filters=filters, result=result, error=error,
                         page_no=page_no, pages_total=pages_total,
                         page_url=lambda n: "/?" + urlencode({**base, "page": n}),
                         facet_url=lambda k, v: "/?" + urlencode({**base, k: v}),
                         year_url=lambda y: "/?" + urlencode(
                             {**base, "from": f"{y}-01-01", "to": f"{y}-12-31"}))

    async def citizen(self, request: Request) -> Response:
        """A citizen's page: every result about one personal ID, newest first (the search page
        with that filter, so it pages and facets the same way)."""
        require(request, "search")
        person_id = request.query_params.get("id", "").strip()
        if not person_id:
            return RedirectResponse("/", 303)
        return RedirectResponse("/?" + urlencode({"person_id": person_id}), 303)

    # a record ------------------------------------------------------------------------------
    async def show(self, request: Request) -> Response:
        user = require(request, "view")
        rid = _rid(request)
        doc = await self.record(rid)
        self.users.log_access(user.name, "view", rid)
        texts = await run_in_threadpool(_page_texts, doc)
        boxes = _evidence_boxes(doc)
        return self.page(request, "record.html", doc=doc, texts=texts, boxes=boxes,
                         fields=[(n, f) for n in FIELD_NAMES
                                 if isinstance(f := doc.get("fields", {}).get(n), dict)
                                 and (f.get("value") not in (None, "", [], {})
                                      or f.get("needs_review"))],
                         signed=bool(_signed_copy(doc)),
                         may_correct=user.may("correct"),
                         message=request.query_params.get("msg", ""))

    async def page_image(self, request: Request) -> Response:
        require(request, "view")
        doc = await self.record(_rid(request))
        n = self._page_no(request, doc)
        width = 320 if request.url.path.endswith("/thumb") else 1400
        data = await run_in_threadpool(pages.page_jpeg, Path(doc["pdf"]), n, width)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private"})

    async def field_crop(self, request: Request) -> Response:
        require(request, "review")
        doc = await self.record(_rid(request))
        name = request.path_params["field"]
        f = doc.get("fields", {}).get(name) if name in FIELD_NAMES else None
        if not f or not f.get("page") or not f.get("box"):
            raise HTTPException(404, "Trường này không có vùng ảnh.")
        page = doc["pages"][int(f["page"]) - 1]
        data = await run_in_threadpool(pages.crop_jpeg, Path(doc["pdf"]), int(f["page"]),
                                       [int(v) for v in f["box"]],
                                       (int(page["width"]), int(page["height"])))
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private"})

    async def download(self, request: Request) -> Response:
        user = require(request, "view")
        rid = _rid(request)
        doc = await self.record(rid)
        signed = request.url.path.endswith("/signed.pdf")
        path = _signed_copy(doc) if signed else doc.get("pdf")
        if not path or not Path(path).is_file():
            raise HTTPException(404, "Không có bản này.")
        self.users.log_access(user.name, "download-signed" if signed else "download", rid)
        name = f"{rid}{'.signed' if signed else ''}.pdf"
        return FileResponse(path, media_type="application/pdf", filename=name)

    async def attach(self, request: Request) -> Response:
        user = require(request, "attach")
        rid = _rid(request)
        form = await checked_form(request)
        try:  # the code checked as the CLI checks it
            code, warning = validate.dossier_code(form.get("dossier", ""))
        except ValueError as e:
            return RedirectResponse(f"/record/{rid}?" + urlencode(
                {"msg": f"Mã hồ sơ không hợp lệ: {e}"}), 303)
        try:
            added = await run_in_threadpool(service.link, self.settings, rid, code, user.name)
        except NotFound:
            raise HTTPException(404, "Không có hồ sơ này.") from None
        self.users.log_access(user.name, "attach", rid, code)
        msg = f"Đã gắn vào hồ sơ {code}." if added else f"Đã có trong hồ sơ {code}."
        if warning:
            msg += f" Lưu ý: {warning}."
        return RedirectResponse(f"/record/{rid}?" + urlencode({"msg": msg}), 303)

    # review --------------------------------------------------------------------------------
    async def review(self, request: Request) -> Response:
        require(request, "review")
        items = await run_in_threadpool(service.review, self.settings)
        return self.page(request, "review.html", items=items[:200], total=len(items),
                         message=request.query_params.get("msg", ""))

    async def correct(self, request: Request) -> Response:
        user = require(request, "correct")
        rid = _rid(request)
        name = request.path_params["field"]
        if name not in FIELD_NAMES:
            raise HTTPException(404, "Không có trường này.")
        form = await checked_form(request)
        doc = await self.record(rid)
        old = (doc.get("fields", {}).get(name) or {}).get("value")
        if form.get("action") == "accept":
            import json
            value = old if isinstance(old, str) else json.dumps(old, ensure_ascii=False)
        else:
            value = form.get("value", "")
        back = form.get("back") if form.get("back") in ("review", "record") else "review"
        try:
            await run_in_threadpool(service.set_field, self.settings, rid, name, value or "",
                                    user.name)
        except DigitizeError as e:
            msg = f"Không lưu được: {e}"
        else:
            self.users.log_access(user.name, "correct", rid, name)
            msg = f"Đã lưu {FIELD_LABELS.get(name, name)}."
        target = "/review?" if back == "review" else f"/record/{rid}?"
        return RedirectResponse(target + urlencode({"msg": msg}), 303)

    # users ---------------------------------------------------------------------------------
    async def users_page(self, request: Request) -> Response:
        require(request, "users")
        return self.page(request, "users.html", users=self.users.list(),
                         log=self.users.access_log(limit=50),
                         message=request.query_params.get("msg", ""))

    async def users_change(self, request: Request) -> Response:
        admin = require(request, "users")
        form = await checked_form(request)
        name = form.get("name", "").strip()
        try:
            if form.get("action") == "remove":
                if name == admin.name:
                    raise ValueError("không thể tự xóa tài khoản đang dùng")
                self.users.remove(name)
                msg = f"Đã xóa {name}."
            else:
                self.users.add(name, form.get("role", "officer"), form.get("password", ""))
                msg = f"Đã lưu tài khoản {name}."
            self.users.log_access(admin.name, f"user-{form.get('action', 'add')}", detail=name)
        except ValueError as e:
            msg = f"Lỗi: {e}"
        return RedirectResponse("/admin/users?" + urlencode({"msg": msg}), 303)


def _page_texts(doc: dict[str, Any]) -> list[str]:
    """The OCR text of each page, from the record's current files."""
    files = doc.get("files") or {}
    out = []
    for n in range(1, int(doc.get("page_count") or 0) + 1):
        name = f"pages/p{n:04d}.txt"
        path = files.get(name) or (Path(doc["record_dir"]) / name if doc.get("record_dir") else None)
        try:
            out.append(Path(path).read_text(encoding="utf-8") if path else "")
        except OSError:
            out.append("")
    return out


def _signed_copy(doc: dict[str, Any]) -> str | None:
    """The agency-signed copy of the record's PDF/A, when it has one."""
    return (doc.get("files") or {}).get("document.signed.pdf")


def _evidence_boxes(doc: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """Per page, each field's evidence box as percentages of the page (for the overlay)."""
    out: dict[int, list[dict[str, Any]]] = {}
    pages_meta = doc.get("pages") or []
    for name, f in (doc.get("fields") or {}).items():
        if not isinstance(f, dict) or not f.get("box") or not f.get("page"):
            continue
        n = int(f["page"])
        if not 1 <= n <= len(pages_meta):
            continue
        w, h = float(pages_meta[n - 1].get("width") or 0), float(pages_meta[n - 1].get("height") or 0)
        if w <= 0 or h <= 0:
            continue
        x0, y0, x1, y1 = (float(v) for v in f["box"])
        out.setdefault(n, []).append({
            "field": name, "label": FIELD_LABELS.get(name, name), "review": f.get("needs_review"),
            "left": round(100 * x0 / w, 2), "top": round(100 * y0 / h, 2),
            "width": round(100 * (x1 - x0) / w, 2), "height": round(100 * (y1 - y0) / h, 2)})
    return out


def app_from_env() -> Starlette:
    """The app for a server process started by `digitize serve --workers N` (uvicorn imports
    it by name in each worker): the settings come from the DIGITIZE_* environment `serve` set."""
    import os

    from digitize.config import from_env
    return create_app(from_env(), tls=os.environ.get("DIGITIZE_WEB_TLS") == "1")


def create_app(settings: Settings, tls: bool = False) -> Starlette:
    """The ASGI app over the archive of `settings` (which must exist)."""
    app_ = App(settings, tls)
    routes = [
        Route("/login", app_.login_form, methods=["GET"]),
        Route("/login", app_.login, methods=["POST"]),
        Route("/logout", app_.logout, methods=["POST"]),
        Route("/", app_.search, methods=["GET"]),
        Route("/citizen", app_.citizen, methods=["GET"]),
        Route("/record/{rid}", app_.show, methods=["GET"]),
        Route("/record/{rid}/page/{n:int}", app_.page_image, methods=["GET"]),
        Route("/record/{rid}/page/{n:int}/thumb", app_.page_image, methods=["GET"]),
        Route("/record/{rid}/crop/{field}", app_.field_crop, methods=["GET"]),
        Route("/record/{rid}/document.pdf", app_.download, methods=["GET"]),
        Route("/record/{rid}/signed.pdf", app_.download, methods=["GET"]),
        Route("/record/{rid}/attach", app_.attach, methods=["POST"]),
        Route("/record/{rid}/field/{field}", app_.correct, methods=["POST"]),
        Route("/review", app_.review, methods=["GET"]),
        Route("/admin/users", app_.users_page, methods=["GET"]),
        Route("/admin/users", app_.users_change, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    async def need_login(request: Request, exc: Exception) -> Response:
        if request.method == "GET":
            return RedirectResponse("/login?" + urlencode({"next": request.url.path}), 303)
        return Response("Cần đăng nhập.", 401)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return app_.page(request, "error.html", exc.status_code, message=exc.detail)

    app = Starlette(routes=routes, exception_handlers={NeedLogin: need_login,
                                                       # Starlette types a handler as taking
                                                       # any Exception; this one is HTTP's
                                                       HTTPException: http_error},  # type: ignore[dict-item]
                    middleware=[Middleware(SecurityHeaders), Middleware(SessionMiddleware,
                                           secret_key=app_.users.session_secret(),
                                           session_cookie="digitize_session", max_age=8 * 3600,
                                           same_site="strict", https_only=tls)])
    app.state.users = app_.users
    return app


class SecurityHeaders:
    """ASGI middleware: the security headers on every response (see security.py)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                security_headers(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
