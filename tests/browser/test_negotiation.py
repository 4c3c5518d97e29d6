"""Negotiating a text in the browser: a delegation proposes an amendment, the chair accepts it
and issues a revision that cleans a bracket, and the bracket disappears on the delegation's open
page without a reload. The text and comparison pages have no axe-core violation."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

AXE = Axe()
OPENING = "Allies [will / may] strengthen the protection of ports and terminals."
CLEANED = "Allies will strengthen the protection of ports and terminals."


def _api(base: str, token: str, method: str, path: str, data: Any, **headers: str):
    request = urllib.request.Request(
        f"{base}/api{path}",
        data=json.dumps(data).encode() if data is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **headers,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read()), response.headers


@pytest.fixture
def draft(cli, server) -> str:
    """A fresh draft in the Council with one open bracket, already at its first revision (so
    that its latest revision is not the original): its reference."""
    token = cli.json("token", "create", "--user", "sg", "--scope", "write")["token"]
    made, _headers = _api(
        server,
        token,
        "POST",
        "/documents",
        {
            "series": "PO",
            "body": "NAC",
            "title": "Draft statement on the security of ports",
            "paragraphs": [
                {
                    "text": OPENING,
                    "text_fr": "Les Alliés [renforceront / pourront renforcer] la protection "
                    "des ports et des terminaux.",
                },
                {
                    "text": "The Council will review progress.",
                    "text_fr": "Le Conseil fera le point.",
                },
            ],
        },
    )
    ref = made["reference"]
    _text, headers = _api(server, token, "GET", f"/documents/{ref}/negotiation", None)
    _api(
        server,
        token,
        "POST",
        f"/documents/{ref}/revisions",
        {"note": "for negotiation"},
        **{"If-Match": headers["ETag"]},
    )
    return ref


def _violations(page: Page) -> list[str]:
    results = AXE.run(page).response
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(", ".join(map(str, n["target"])) for n in v["nodes"])
        for v in results["violations"]
    ]


def test_a_cleaned_bracket_disappears_on_the_delegations_open_page(new_context, draft):
    url = f"/documents/{draft}/text/"
    france = new_context("fra-head").new_page()
    streams: list[str] = []
    france.on("request", lambda r: streams.append(r.url) if "/live/document:" in r.url else None)
    france.goto(url)
    expect(france.locator("h1")).to_contain_text(f"{draft}-REV1")
    expect(france.locator("#live mark[data-bracket=b1]")).to_have_count(2)  # English, French

    # France proposes an amendment through the form
    form = france.locator("#propose form")
    form.locator("select[name=op]").select_option("replace_span")
    form.locator("select[name=paragraph]").select_option(label="2")
    form.locator("input[name=old]").fill("review progress")
    form.locator("textarea[name=new]").fill("review progress every six months")
    form.locator("textarea[name=rationale]").fill("A date gives the review teeth.")
    form.get_by_role("button", name="Propose").click()
    expect(france.locator("#amendment-A1")).to_have_attribute("data-state", "proposed")
    expect(france.locator("#live")).to_have_attribute("data-live-connected", "1")
    france.evaluate("window.__marker = 1")
    streams.clear()
    bracket = france.locator("#live mark[data-bracket=b1]")
    expect(bracket).to_have_count(2)
    shot(france, "negotiation-01-fra-head-proposed")

    # the chair, in another browser, accepts it and issues a revision cleaning the bracket
    chair = new_context("sg").new_page()
    chair.goto(url)
    chair.locator("#amendment-A1").get_by_role("button", name="Accept").click()
    expect(chair.locator("#amendment-A1")).to_have_attribute("data-state", "accepted")
    # France's open page follows the chair's decision
    expect(france.locator("#amendment-A1")).to_have_attribute(
        "data-state", "accepted", timeout=5_000
    )
    issue = chair.locator("#issue form")
    issue.locator("select[name=clean-b1]").select_option("1")  # keep "will"
    issue.locator("input[name=note]").fill("Bracket cleaned; A1 applied.")
    shot(chair, "negotiation-02-chair-issuing")
    issue.get_by_role("button", name="Issue revision").click()
    expect(chair.locator("h1")).to_contain_text(f"{draft}-REV2")
    expect(chair.locator("#live mark[data-bracket]")).to_have_count(0)
    shot(chair, "negotiation-03-chair-after-revision")

    # ... and the bracket disappears on France's page, which was not reloaded
    expect(bracket).to_have_count(0, timeout=5_000)
    expect(france.locator("#live")).to_contain_text(CLEANED)
    expect(france.locator("#live")).to_contain_text("review progress every six months")
    expect(france.locator("#live")).to_contain_text("0 open brackets")
    expect(france.locator("#amendment-A1")).to_contain_text(f"{draft}-REV2")
    assert france.evaluate("window.__marker") == 1, "France's page was reloaded"
    # one stream carried every change: it did not break off and reconnect after an event
    assert streams == [], streams
    shot(france, "negotiation-04-fra-head-after-revision")

    # the text and comparison pages have no axe-core violation, for either of them
    found = _violations(france)
    chair.goto(url)
    found += _violations(chair)
    for page, who in ((france, "fra-head"), (chair, "sg")):
        page.goto(f"/documents/{draft}/compare/?from=1&to=2")
        expect(page.locator("table.diff ins").first).to_contain_text("every six months")
        shot(page, f"negotiation-05-{who}-compare")
        found += _violations(page)
    page = france
    page.goto(f"{url}?mine=1")
    found += _violations(page)
    assert not found, f"axe found {len(found)} violation(s):\n" + "\n".join(found)
