"""A break of silence shows at once on a page the chair already has open."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import shot

STATEMENT = "France cannot accept paragraph 2 as drafted."


def test_break_shows_live_on_the_chairs_open_page(new_context, open_silence):
    url = f"/procedures/{open_silence}/"
    chair = new_context("sg").new_page()
    chair.goto(url)
    fra_row = chair.locator("[data-testid=grid] li[data-state=FRA]")
    expect(fra_row).not_to_have_class(re.compile(r"\bstance-object\b"))
    expect(chair.locator("#live")).to_have_attribute("data-live-connected", "1")
    chair.evaluate("window.__marker = 1")
    shot(chair, "live-01-chair-before-break")

    france = new_context("fra-head").new_page()
    france.goto(url)
    expect(france.locator("main #statement-break")).to_be_visible()
    shot(france, "live-02-fra-head-break-form")
    france.fill("main #statement-break", STATEMENT)
    france.locator("main").get_by_role("button", name="Break silence").click()
    expect(france.locator("[data-testid=grid] li[data-state=FRA]")).to_have_class(
        re.compile(r"\bstance-object\b")
    )
    shot(france, "live-03-fra-head-after-break")

    expect(fra_row).to_have_class(re.compile(r"\bstance-object\b"), timeout=5_000)
    expect(chair.locator("[data-testid=state]")).to_contain_text("silence broken", timeout=5_000)
    expect(chair.locator("[data-testid=timeline]")).to_contain_text("fra-head", timeout=5_000)
    expect(chair.locator("#live")).to_contain_text(STATEMENT, timeout=5_000)
    assert chair.evaluate("window.__marker") == 1, "the chair's page was reloaded"
    shot(chair, "live-04-chair-after-break")
