"""Topics, options papers and commitments in the browser: a delegation that cannot accept an
option takes it out of "what every deciding member can live with" on another delegation's open
page without a reload; a member's request for consultations convenes a meeting that appears on
the topic page another delegation has open; the topic, options and commitment pages have no
axe-core violation."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

AXE = Axe()


def _api(base: str, token: str, method: str, path: str, data: Any = None) -> Any:
    request = urllib.request.Request(
        f"{base}/api{path}",
        data=json.dumps(data).encode() if data is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def sg_token(cli) -> str:
    return cli.json("token", "create", "--user", "sg", "--scope", "write")["token"]


@pytest.fixture(scope="module")
def paper(server, sg_token) -> int:
    """The demo's options paper on the eastern build-up."""
    return _api(server, sg_token, "GET", "/topics/eastern-build-up")["papers"][0]["id"]


def _violations(page: Page) -> list[str]:
    results = AXE.run(page).response
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(", ".join(map(str, n["target"])) for n in v["nodes"])
        for v in results["violations"]
    ]


def test_cannot_accept_takes_an_option_out_of_what_all_can_live_with_live(
    new_context, server, sg_token, paper
):
    analysis = _api(server, sg_token, "GET", f"/options/{paper}")
    assert analysis["agreeable"], "the demo paper has options every ally can live with"
    number = analysis["agreeable"][0]
    url = f"/options/{paper}/"

    germany = new_context("deu-head").new_page()
    germany.goto(url)
    agreeable = germany.locator(f"#agreeable li[data-option='{number}']")
    expect(agreeable).to_have_count(1)
    expect(germany.locator("#live")).to_have_attribute("data-live-connected", "1")
    germany.evaluate("window.__marker = 1")
    shot(germany, "policy-01-deu-head-options")

    france = new_context("fra-head").new_page()
    france.goto(url)
    form = france.locator(f"#option-{number} form.mark")
    form.locator("select[name=mark]").select_option("cannot_accept")
    form.locator("input[name=reason]").fill("Our parliament has not been consulted")
    form.get_by_role("button", name="Mark").click()
    expect(france.locator(".message.success")).to_contain_text("Mark recorded")
    expect(france.locator(f"#option-{number} [data-testid=my-mark]")).to_contain_text(
        "cannot accept"
    )
    shot(france, "policy-02-fra-head-marked")

    # Germany's open page follows, without a reload
    expect(agreeable).to_have_count(0, timeout=5_000)
    miss = germany.locator(f"#misses tr[data-option='{number}']")
    expect(miss).to_contain_text("FRA")
    expect(miss).to_contain_text("Our parliament has not been consulted")
    assert germany.evaluate("window.__marker") == 1, "Germany's page was reloaded"
    shot(germany, "policy-03-deu-head-after")

    # France comes round, so that the demo paper stays as it was for other tests
    form = france.locator(f"#option-{number} form.mark")
    form.locator("select[name=mark]").select_option("can_live_with")
    form.locator("input[name=reason]").fill("")
    form.get_by_role("button", name="Mark").click()
    expect(agreeable).to_have_count(1, timeout=5_000)


def test_a_request_for_consultations_convenes_a_meeting_that_appears_live(
    new_context, server, sg_token
):
    code = f"strait-{uuid.uuid4().hex[:6]}"
    _api(
        server,
        sg_token,
        "POST",
        "/topics",
        {
            "code": code,
            "title": "Naval incidents in a northern strait",
            "threats": ["military_build_up"],
            "tracks": ["deterrence_defence", "dialogue"],
        },
    )
    url = f"/topics/{code}/"
    france = new_context("fra-head").new_page()
    france.goto(url)
    expect(france.locator("[data-testid=requests]")).to_contain_text("None.")
    expect(france.locator("#live")).to_have_attribute("data-live-connected", "1")
    france.evaluate("window.__marker = 1")

    britain = new_context("gbr-head").new_page()
    britain.goto(url)
    britain.locator("#grounds").fill("Repeated close approaches to our frigates")
    britain.get_by_role("button", name="Request consultations").click()
    expect(britain.locator(".message.success")).to_contain_text("Consultations requested")
    meeting = britain.locator("[data-testid=meeting]")
    expect(meeting).to_contain_text("Consultations requested by GBR")
    shot(britain, "policy-04-gbr-head-requested")

    # France's open page shows the request and its meeting without a reload
    row = france.locator("[data-testid=requests] tr[data-state=GBR]")
    expect(row).to_contain_text("Repeated close approaches to our frigates", timeout=5_000)
    expect(row.locator("[data-testid=meeting]")).to_contain_text("Consultations requested by GBR")
    assert france.evaluate("window.__marker") == 1, "France's page was reloaded"
    # ... and the meeting is an ordinary procedure, on every delegation's desk
    row.locator("[data-testid=meeting]").click()
    expect(france.locator("h1")).to_contain_text("Consultations requested by GBR")
    france.goto("/desk/")
    expect(france.locator("[data-testid=desk-consultations]")).to_contain_text(
        "Naval incidents in a northern strait"
    )
    shot(france, "policy-05-fra-head-desk")


@pytest.mark.parametrize("username", ["fra-head", "sg"])
def test_policy_pages_have_no_axe_violations(new_context, server, sg_token, paper, username):
    commitments = _api(server, sg_token, "GET", "/commitments")["items"]
    spending = next(c["id"] for c in commitments if c["kind"] == "spending")
    standard = next(c["id"] for c in commitments if c["kind"] == "standard")
    page = new_context(username).new_page()
    pages = {
        "topics": "/topics/",
        "topic": "/topics/eastern-build-up/",
        "options": f"/options/{paper}/",
        "options-package": f"/options/{paper}/?package=1&package=5#verdict",
        "commitments": "/commitments/",
        "commitment-spending": f"/commitments/{spending}/",
        "commitment-standard": f"/commitments/{standard}/",
        "desk": "/desk/",
    }
    found: list[str] = []
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state()
        shot(page, f"axe-{username}-policy-{name}")
        found += _violations(page)
    assert not found, f"axe found {len(found)} violation(s):\n" + "\n".join(found)
