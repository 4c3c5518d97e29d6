"""axe-core (bundled with axe-playwright-python: nothing is fetched) finds no violation on the
main pages, for a delegation head and for the chair of the Council."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import shot

AXE = Axe()


def _violations(page: Page) -> list[str]:
    results = AXE.run(page).response
    found = []
    for v in results["violations"]:
        targets = "; ".join(", ".join(map(str, n["target"])) for n in v["nodes"])
        found.append(f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return found


def _first_link(page: Page, prefix: str) -> str:
    """The first link in the page's main part to a page under ``prefix`` (not the list itself)."""
    hrefs = page.locator(f"main a[href^='{prefix}']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    targets = [h for h in hrefs if h.split("?")[0] != prefix]
    assert targets, f"no link to a page under {prefix} on {page.url}"
    return targets[0]


def test_sign_in_page_has_no_axe_violations(new_context):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    shot(page, "axe-login")
    found = _violations(page)
    page.fill("#id_username", "fra-head")
    page.fill("#id_password", "concord-demo")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/verify/**")
    shot(page, "axe-verify")
    found += _violations(page)
    assert not found, "axe found violations:\n" + "\n".join(found)


@pytest.mark.parametrize("username", ["fra-head", "sg"])
def test_main_pages_have_no_axe_violations(new_context, demo, username):
    page = new_context(username).new_page()
    page.goto("/documents/")
    document = _first_link(page, "/documents/")
    page.goto("/decisions/")
    decision = _first_link(page, "/decisions/")
    pages = {
        "login": "/accounts/login/",
        "desk": "/desk/",
        "procedures": "/procedures/",
        "procedure-running": f"/procedures/{demo['running_silence']['id']}/",
        "documents": "/documents/",
        "document": document,
        "bodies": "/bodies/",
        "body-nac": "/bodies/NAC/",
        "decisions": "/decisions/",
        "decision": decision,
        "notifications": "/notifications/",
        "profile": "/profile/",
    }
    found = []
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        shot(page, f"axe-{username}-{name}")
        found += _violations(page)
    for line in found:
        print(line)
    assert not found, f"axe found {len(found)} violation(s):\n" + "\n".join(found)
