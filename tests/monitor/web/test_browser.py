"""The console in a real browser: Debian's chromium, headless, driven by selenium through chromium-driver.

Logs in, acknowledges an alert, fills and signs today's inspection (inspector, then reviewer),
approves a MAC into the registry; then, on a 390×844 phone (chromium's mobile emulation), every
page fits the screen, the navigation is all on it, and the inspection is signed from it.
Screenshots of each step are saved as artifacts in
``$ROOMWATCH_ARTIFACTS`` (default: the test's temporary directory) and their paths printed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.model import Reading
from monitor.web import app as app_mod
from monitor.web import server
from tests.monitor.web.conftest import PASSWORD, T0, Console, parts_for

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (scripts/apt.d/web.txt)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Console]]:
    """The console served by uvicorn on loopback (its own loop in a thread), with one firing
    alert and one unknown device seen."""
    port = _free_port()
    registry = tmp_path / "bindings.csv"
    registry.write_text("ip,mac,hostname\n", encoding="utf-8")
    settings, parts, clock, src = parts_for(
        tmp_path, f'[bindings]\nfile = "{registry}"\n'.replace("[bindings]", "\n[bindings]"))
    settings.web.listen = f"127.0.0.1:{port}"
    console = Console(client=None, src=src, parts=parts, clock=clock, settings=settings)  # type: ignore[arg-type]
    console.fire()
    labels = {"device": "acc-sw-1", "ip": "192.0.2.77", "mac": "02:00:00:00:00:77", "switch": "acc-sw-1",
              "port": "Gi0/7"}
    parts.store.write([Reading("arp_unknown_mac", 1.0, labels, T0 - 60)])
    parts.store.flush()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    app = app_mod.build(src, https=False)
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(server.serve(app, settings.web, stop),), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", console
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=15)
        loop.close()
        src.accounts.close()
        parts.store.close()
        parts.outbox.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    yield from _chromium(tmp_path, "--window-size=1280,1000")


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[object]:
    """Chromium emulating a 390×844 phone (device pixel ratio 3, touch, a phone's user agent)."""
    yield from _chromium(tmp_path, "--window-size=390,844", mobile={
        "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": True},
        "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/120.0 Mobile Safari/537.36"})


def _chromium(tmp_path: Path, size: str, mobile: dict[str, object] | None = None) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    if mobile is not None:
        options.add_experimental_option("mobileEmulation", mobile)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 size, "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps",
                 "--disable-domain-reliability", "--no-pings", "--dns-prefetch-disable",
                 # Anything not on loopback goes to a closed local port: the test talks to nothing else.
                 "--proxy-server=http://127.0.0.1:9", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: object, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("ROOMWATCH_ARTIFACTS", tmp_path / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"web-{name}.png"
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    print(f"screenshot: {path}")
    assert path.stat().st_size > 1000


def _sees(driver: object, text: str, element: str = "main") -> None:
    """Wait (bounded) until the page after a click shows ``text`` in ``element`` (an id or tag)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    where = (By.TAG_NAME, element) if element in ("main", "body") else (By.ID, element)
    # While the next page replaces the old one chromium may answer "node does not belong to the
    # document" for the element just found: that is the page changing, so keep waiting.
    wait = WebDriverWait(driver, 10, ignored_exceptions=(WebDriverException,))
    wait.until(expected_conditions.text_to_be_present_in_element(where, text))


def _login(driver: object, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "name").send_keys(name)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "login").click()  # type: ignore[attr-defined]


def test_duty_engineer_day_in_the_browser(served: tuple[str, Console], browser: object,
                                          tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    base, console = served
    d: object = browser
    find = d.find_element  # type: ignore[attr-defined]
    _login(d, base, "oper1")
    _sees(d, "一号机房")
    _shot(d, tmp_path, "1-overview")

    d.get(f"{base}/alerts")  # type: ignore[attr-defined]
    find(By.NAME, "comment").send_keys("空调复位中")
    find(By.CSS_SELECTOR, "button.ack").click()
    _sees(d, "已认领 oper1", "firing")
    _shot(d, tmp_path, "2-acknowledged")

    d.get(f"{base}/inspection")  # type: ignore[attr-defined]
    for n in range(4):
        find(By.ID, f"status-{n}-{'abnormal' if n == 2 else 'normal'}").click()
    find(By.ID, "note-2").send_keys("UPS 间地面有积水，已通知物业")
    find(By.ID, "sign").click()
    _sees(d, "巡检人: oper1")
    _shot(d, tmp_path, "3-signed")

    find(By.ID, "logout").click()
    _sees(d, "密码")
    _login(d, base, "admin1")
    _sees(d, "一号机房")
    d.get(f"{base}/inspection")  # type: ignore[attr-defined]
    find(By.ID, "review-comment").send_keys("已核")
    find(By.ID, "review").click()
    _sees(d, "审核人: admin1")
    _shot(d, tmp_path, "4-reviewed")

    d.get(f"{base}/bindings")  # type: ignore[attr-defined]
    form = find(By.CSS_SELECTOR, "form.approve")
    form.find_element(By.NAME, "hostname").send_keys("printer-3f")
    form.find_element(By.TAG_NAME, "button").click()
    _sees(d, "printer-3f", "registry")
    _shot(d, tmp_path, "5-approved")

    actions = [e.action for e in console.src.accounts.audit()]
    for done in ("alert.ack", "inspection.sign", "inspection.review", "bindings.approve"):
        assert done in actions


PAGES = ("/", "/alerts", "/inspection", "/bindings", "/changes", "/audit")


def _fits(driver: object) -> None:
    """The page's layout is no wider than the phone's screen (tables may scroll inside themselves)."""
    # A page wider than the screen makes the phone's browser zoom out (innerWidth grows with it).
    width, inner, wide = driver.execute_script(  # type: ignore[attr-defined]
        "return [document.documentElement.scrollWidth, window.innerWidth,"
        " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))]")
    where = driver.current_url  # type: ignore[attr-defined]
    assert width <= 390 and inner == 390, f"{where} is {width} px wide on a 390 px screen ({inner}): {wide}"


def test_phone_width_pages_fit_and_the_inspection_is_signed(served: tuple[str, Console], phone: object,
                                                            tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    base, console = served
    d: object = phone
    find = d.find_element  # type: ignore[attr-defined]
    _login(d, base, "oper1")
    _sees(d, "一号机房")
    for path in PAGES:
        d.get(f"{base}{path}")  # type: ignore[attr-defined]
        _fits(d)
        name = path.strip("/") or "overview"
        _shot(d, tmp_path, f"phone-{name}")
        # Every page is reachable from every other: the whole navigation is on the screen.
        for link in find(By.TAG_NAME, "nav").find_elements(By.TAG_NAME, "a"):
            box = link.rect
            assert link.is_displayed() and box["x"] >= 0 and box["x"] + box["width"] <= 390, link.text
    # Through the navigation, as a thumb would: to 巡检, then fill and sign it.
    find(By.CSS_SELECTOR, "nav a[href='/inspection']").click()
    _sees(d, "消防设施")
    for n in range(4):
        find(By.ID, f"status-{n}-normal").click()
    find(By.ID, "sign").click()
    _sees(d, "巡检人: oper1")
    _fits(d)
    _shot(d, tmp_path, "phone-signed")
    assert next(e.action for e in console.src.accounts.audit()) == "inspection.sign"  # newest first
