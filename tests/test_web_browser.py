"""The counter officer's page driven in a real headless Chromium (Debian's chromium and
chromium-driver, Selenium), against `digitize serve` started here and stopped by its PID: log in,
search without diacritics, open the hit, see the evidence boxes, correct a field, attach to a
dossier, log out; an officer gets no correction form and a forged post is refused.

Set DIGITIZE_SCREENSHOTS=DIR to keep the search and record pages as PNGs (the README's pictures)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from scripts import webserver
from web_helpers import PASSWORD, make_web_archive

selenium = pytest.importorskip("selenium", reason="selenium: run scripts/setup.sh --test")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    try:
        proc, base = webserver.start(make_web_archive(tmp_path_factory.mktemp("webui")))
    except RuntimeError as e:
        pytest.fail(str(e))
    yield base
    webserver.stop(proc)  # by the PID started here


@pytest.fixture()
def browser(tmp_path):
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.fail("chromium and chromium-driver are not installed: run scripts/setup.sh --test")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={tmp_path}/ud"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(options=opts, service=webdriver.ChromeService(DRIVER))
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _login(b, server, name):
    b.get(server + "/login")
    b.find_element(By.ID, "name").send_keys(name)
    b.find_element(By.ID, "password").send_keys(PASSWORD)
    b.find_element(By.ID, "login").click()
    WebDriverWait(b, 30).until(EC.presence_of_element_located((By.ID, "q")))


def _shot(b, name):
    folder = os.environ.get("DIGITIZE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        b.save_screenshot(str(Path(folder) / name))


def test_the_reuse_loop(browser, server):
    b = browser
    b.get(server + "/")  # not logged in: the login page
    assert "/login" in b.current_url
    _login(b, server, "minh")
    q = b.find_element(By.ID, "q")
    q.send_keys("nguyen van an")  # typed without diacritics
    b.find_element(By.ID, "search").click()
    hit = WebDriverWait(b, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a.hit-link")))
    assert "Nguyễn Văn An" in b.page_source
    WebDriverWait(b, 30).until(lambda d: d.execute_script(
        "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"))
    _shot(b, "search.png")
    hit.click()
    WebDriverWait(b, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".sheet img")))
    WebDriverWait(b, 30).until(lambda d: d.execute_script(
        "const i = document.querySelector('.sheet img'); return i.complete && i.naturalWidth > 0"))
    boxes = [e for e in b.find_elements(By.CSS_SELECTOR, ".page:not(.hidden) .evidence")]
    assert boxes and any(e.size["width"] > 5 and e.size["height"] > 3 for e in boxes)
    _shot(b, "record.png")
    record_url = b.current_url
    # correct a field: the same path as `digitize set` (history follows)
    row = b.find_element(By.CSS_SELECTOR, 'tr[data-field="signer_name"]')
    value = row.find_element(By.NAME, "value")
    value.clear()
    value.send_keys("Trần Thị Bình")
    row.find_element(By.CSS_SELECTOR, 'button[value="correct"]').click()
    WebDriverWait(b, 30).until(EC.presence_of_element_located((By.CLASS_NAME, "message")))
    assert "Đã lưu" in b.find_element(By.CLASS_NAME, "message").text
    assert "corrected" in b.find_element(By.CLASS_NAME, "history").text
    # attach to a new dossier (the code checked as the CLI checks it)
    b.find_element(By.ID, "dossier").send_keys("000.00.15.H55-250207-0001")
    b.find_element(By.ID, "attach").click()
    WebDriverWait(b, 30).until(EC.presence_of_element_located((By.CLASS_NAME, "message")))
    assert "000.00.15.H55-250207-0001" in b.find_element(By.CLASS_NAME, "message").text
    b.find_element(By.ID, "logout").click()
    WebDriverWait(b, 30).until(EC.presence_of_element_located((By.ID, "password")))
    b.get(record_url)
    assert "/login" in b.current_url  # the session is gone


def test_officer_cannot_correct_and_forged_post_is_refused(browser, server):
    b = browser
    _login(b, server, "lan")
    b.get(server + "/?q=quyet+dinh")
    WebDriverWait(b, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a.hit-link"))).click()
    WebDriverWait(b, 30).until(EC.presence_of_element_located((By.ID, "attach")))
    assert not b.find_elements(By.CSS_SELECTOR, "form.correct")
    rid = b.current_url.rstrip("/").split("/record/")[1].split("?")[0]
    status = b.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/record/%s/attach', {method: 'POST', body: new URLSearchParams({dossier: 'X'}),
                                     redirect: 'manual'}).then(r => done(r.status));""" % rid)
    assert status == 403
