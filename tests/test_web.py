"""The counter officer's web page (digitize serve), at the HTTP level: nothing without a login, no
form without its CSRF token, login attempts limited, roles enforced, ids and page numbers only
(no paths), and OCR text that holds markup shown as text. The browser tests are in
test_web_browser.py."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conftest import run_cli
from web_helpers import PASSWORD, make_web_archive
from digitize.config import from_env
from digitize.web.app import create_app



@pytest.fixture(scope="module")
def web_archive(tmp_path_factory) -> Path:
    return make_web_archive(tmp_path_factory.mktemp("web"))


@pytest.fixture()
def client(web_archive):
    app = create_app(from_env(archive=web_archive))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, name: str, password: str = PASSWORD):
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": token,
                                       "next": "/"})


def _record_ids(web_archive) -> list[str]:
    return [o["record_id"] for o in run_cli("search", "", "--archive", str(web_archive),
                                            "--json").objects()] or []


def any_record(client) -> str:
    html = client.get("/?q=ubnd").text
    return re.search(r'href="/record/([0-9a-f]+)"', html).group(1)


ROUTES_GET = ["/", "/?q=an", "/citizen?id=001090012345", "/record/{rid}",
              "/record/{rid}/page/1", "/record/{rid}/page/1/thumb", "/record/{rid}/crop/number",
              "/record/{rid}/document.pdf", "/record/{rid}/signed.pdf", "/review",
              "/admin/users"]
ROUTES_POST = ["/logout", "/record/{rid}/attach", "/record/{rid}/field/number", "/admin/users"]


def test_nothing_without_a_login(client):
    assert login(client, "lan").status_code == 303
    rid = any_record(client)
    client.cookies.clear()
    for path in ROUTES_GET:
        r = client.get(path.format(rid=rid))
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    for path in ROUTES_POST:
        r = client.post(path.format(rid=rid), data={"csrf": "x"})
        assert r.status_code in (401, 403), path
    assert client.get("/static/app.css").status_code == 200  # assets need no login


def test_session_cookie_flags_and_headers(client):
    r = login(client, "lan")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_forged_post_without_csrf_is_refused(client, web_archive):
    login(client, "minh")
    rid = any_record(client)
    for path in ROUTES_POST[1:]:
        r = client.post(path.format(rid=rid), data={"dossier": "H55.01-250207-0001",
                                                    "value": "x", "name": "evil",
                                                    "role": "admin", "password": "p" * 12})
        assert r.status_code == 403, path
    assert "evil" not in [u for u in run_cli("user", "list", "--archive", str(web_archive)).output]


def test_login_attempts_are_rate_limited(client, web_archive):
    for _ in range(5):
        assert login(client, "lan", "wrong password").status_code == 401
    r = login(client, "lan")  # even the right password waits now
    assert r.status_code == 429 and "Thử lại sau" in r.text
    from digitize.web.app import create_app
    other = create_app(from_env(archive=web_archive))  # another server process: same count
    with TestClient(other, follow_redirects=False) as c2:
        assert login(c2, "lan").status_code == 429
    from storage.users import Users
    for key in ("user:lan", "ip:testclient"):  # the other tests log in from here too
        Users(web_archive).clear_failures(key)


def test_officer_cannot_correct_or_review(client):
    login(client, "lan")
    rid = any_record(client)
    page = client.get(f"/record/{rid}").text
    assert "/field/" not in page  # no correction form for an officer
    r = client.post(f"/record/{rid}/field/number", data={"csrf": _csrf(page), "value": "1/X"})
    assert r.status_code == 403
    assert client.get("/review").status_code == 403
    assert client.get("/admin/users").status_code == 403


@pytest.mark.parametrize("path", [
    "/record/..%2F..%2F..%2Fetc%2Fpasswd/page/1", "/record/{rid}/page/0",
    "/record/{rid}/page/999", "/record/%2Fetc%2Fpasswd/document.pdf",
    "/record/{rid}/crop/..%2F..%2Fmetadata.json", "/static/..%2F..%2F..%2Fstorage%2Fusers.py",
    "/record/{rid}/page/1/..%2F..%2F..%2F..%2Fcatalogue.sqlite3"])
def test_no_path_traversal(client, path):
    login(client, "minh")
    rid = any_record(client)
    r = client.get(path.format(rid=rid))
    assert r.status_code in (303, 404), (path, r.status_code)
    assert b"root:" not in r.content and b"SQLite format" not in r.content
    assert b"argon2" not in r.content


def test_markup_in_ocr_text_is_shown_as_text(client):
    login(client, "minh")
    html = client.get("/?q=script").text
    rid = re.search(r'href="/record/([0-9a-f]+)"', html).group(1)
    page = client.get(f"/record/{rid}").text
    assert "<script" not in page.replace('<script src="/static/app.js" defer></script>', "")
    assert "<img src=x" not in page and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in page  # the markup OCR read, as text
    assert "&lt;script" in page


def test_search_without_diacritics_and_citizen_page(client):
    login(client, "lan")
    html = client.get("/?q=nguyen+van+an").text
    assert "kết quả" in html and "/record/" in html
    r = client.get("/citizen?id=001090012345")
    assert r.status_code == 303
    cit = client.get(r.headers["location"]).text
    assert "001090012345" in cit and "/record/" in cit


def test_views_of_records_are_logged(client, web_archive):
    login(client, "lan")
    rid = any_record(client)
    client.get(f"/record/{rid}")
    client.get(f"/record/{rid}/document.pdf")
    from storage.users import Users
    log = Users(web_archive).access_log(rid)
    assert {"view", "download"} <= {e["action"] for e in log if e["user"] == "lan"}
