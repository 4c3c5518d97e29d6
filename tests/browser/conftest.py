"""Browser tests: Debian's Chromium, driven by Playwright, against the real ``concord serve
--with-worker`` on a database of its own (seeded by ``concord demo``).

The whole folder is skipped when /usr/bin/chromium is missing. No browser is ever downloaded.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

import pyotp  # noqa: E402
from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.functional.conftest import Cli, _fresh_database  # noqa: E402

PASSWORD = "concord-demo"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Chromium logs every CSP violation to the console with these words.
CSP_WORDS = "Content Security Policy"

expect.set_options(timeout=10_000)


# -- the server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The fixtures below are package-scoped: one database, one server and one Chromium serve every test
# of this folder, and all of them stop as soon as its last test is done (not at the end of the whole
# suite, which would keep a server and its worker busy while the other tests run).
@pytest.fixture(scope="package")
def cli(tmp_path_factory) -> Iterator[Cli]:
    tmp = tmp_path_factory.mktemp("concord-browser")
    for extra in _fresh_database(tmp):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
        env.update(extra)
        env["CONCORD_WORKER_INTERVAL"] = "0.2"
        env["CONCORD_LIVE_POLL"] = "0.2"
        yield Cli(env)


@pytest.fixture(scope="package")
def demo(cli) -> dict[str, Any]:
    """The report of ``concord demo --json``: logins, the TOTP secret, the running silence."""
    return cli.json("demo")


@pytest.fixture(scope="package")
def server(cli, demo) -> Iterator[str]:
    port = _free_port()
    proc = cli.popen("serve", "--port", str(port), "--host", "127.0.0.1", "--with-worker")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise AssertionError("concord serve did not answer within 20 s")
        if proc.poll() is not None:
            raise AssertionError(f"concord serve exited with status {proc.returncode}")
        yield base
    finally:
        proc.terminate()
        try:
            _out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        if "Traceback" in (err or ""):
            print(f"concord serve wrote to stderr:\n{err}")


# -- the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser(server) -> Iterator[Browser]:
    """One Chromium for the folder; it depends on the server, so it closes before the server
    stops (an open live stream would otherwise keep the server waiting)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What every page of a test showed: CSP reports in the console, uncaught script errors and
    HTML pages served without a Content-Security-Policy header."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.csp: list[str] = []
        self.errors: list[str] = []
        self.without_header: list[str] = []
        self.pages_seen = 0

    def attach(self, page: Page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("response", self._response)

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if CSP_WORDS.lower() in message.text.lower():
            self.csp.append(f"{page.url}: {message.text}")

    def _response(self, response: Response) -> None:
        if not response.url.startswith(self.base) or response.request.resource_type != "document":
            return
        self.pages_seen += 1
        if response.status >= 300 or not response.headers.get("content-type", "").startswith(
            "text/html"
        ):
            return
        policy = response.headers.get("content-security-policy", "")
        if "script-src 'self'" not in policy or "default-src 'self'" not in policy:
            self.without_header.append(f"{response.url}: {policy!r}")

    def check(self) -> None:
        problems = []
        if self.csp:
            problems.append("Content Security Policy violations:\n  " + "\n  ".join(self.csp))
        if self.errors:
            problems.append("uncaught script errors:\n  " + "\n  ".join(self.errors))
        if self.without_header:
            problems.append(
                "pages without a strict Content-Security-Policy header:\n  "
                + "\n  ".join(self.without_header)
            )
        assert not problems, "\n".join(problems)


class Accounts:
    """Signing in through the pages, with TOTP codes computed from the published demo key.

    django-otp refuses a code whose time step a device has already accepted, so each user's last
    step is remembered and a repeat waits for the next step. A verified session of a demo user is
    kept (cookies only) so that other tests can open a fresh context already signed in."""

    def __init__(self, base: str, demo_secret: str) -> None:
        self.base = base
        self.demo_secret = demo_secret
        self.last_step: dict[str, int] = {}
        self.states: dict[str, Any] = {}

    def code(self, username: str, secret: str | None = None) -> str:
        totp = pyotp.TOTP(secret or self.demo_secret)
        while True:
            now = time.time()
            step = int(now // 30)
            # Keep clear of a step boundary: the server checks a moment later than we compute.
            if now - step * 30 > 28.5 or step <= self.last_step.get(username, -1):
                time.sleep((step + 1) * 30 - now + 0.2)
                continue
            self.last_step[username] = step
            return totp.at(step * 30)

    def password(self, page: Page, username: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state()

    def second_factor(self, page: Page, code: str) -> None:
        page.fill("main input[name=token]", code)
        page.click("main button[type=submit]")
        page.wait_for_load_state()

    def sign_in(self, page: Page, username: str) -> None:
        self.password(page, username)
        expect(page).to_have_url(re.compile(r"/accounts/verify/"))
        self.second_factor(page, self.code(username))
        expect(page).to_have_url(re.compile(r"^http://[^/]+/desk/$"))


@pytest.fixture(scope="package")
def accounts(server, demo) -> Accounts:
    return Accounts(server, demo["totp_secret"])


@pytest.fixture
def new_context(browser, server, accounts) -> Iterator[Callable[..., BrowserContext]]:
    """Open a fresh browser context (optionally already signed in as a demo user); every page in
    it is watched, and the test fails on a CSP violation, a script error or a missing header."""
    watch = Watch(server)
    contexts: list[BrowserContext] = []

    def open_context(username: str | None = None) -> BrowserContext:
        state = None
        if username is not None:
            if username not in accounts.states:
                with_password = _context(browser, server, watch, None)
                try:
                    accounts.sign_in(with_password.new_page(), username)
                    accounts.states[username] = with_password.storage_state()
                finally:
                    with_password.close()
            state = accounts.states[username]
        context = _context(browser, server, watch, state)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert watch.pages_seen or not contexts, "the pages of this test were not watched"
    watch.check()


def _context(browser: Browser, base: str, watch: Watch, state: Any) -> BrowserContext:
    context = browser.new_context(
        base_url=base,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/Brussels",
        storage_state=state,
    )
    context.set_default_timeout(10_000)
    context.on("page", watch.attach)
    return context


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in artifacts/browser/, for a human to look at.

    Now and then, most often on a busy machine and just after a navigation, Chromium answers
    "Unable to capture screenshot": the page is then given time to settle and shot again."""
    page.wait_for_load_state()
    for attempt in range(3):
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            return
        except Error as exc:
            if "Unable to capture screenshot" not in exc.message or attempt == 2:
                raise
            page.wait_for_timeout(500)


# -- the data --------------------------------------------------------------------------------------


@pytest.fixture
def open_silence(cli, demo) -> int:
    """A running silence procedure on the Council that FRA has not broken yet: the demo's, or a
    fresh one on the same document when an earlier test broke it."""
    for row in cli.json("procedure", "list"):
        if (
            row["kind"] == "silence"
            and row["body"] == "NAC"
            and row["state"] == "open"
            and not row["objecting"]
        ):
            return row["id"]
    running = cli.json("procedure", "show", str(demo["running_silence"]["id"]))
    expires = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0).isoformat()
    opened = cli.json(
        "procedure",
        "open-silence",
        "--body",
        "NAC",
        "--document",
        running["document"],
        "--expires",
        expires,
        "--as",
        "sg",
    )
    return opened["id"]
