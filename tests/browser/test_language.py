"""The header's language button switches the interface between English and French."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import shot


def test_french_interface(new_context):
    page = new_context("deu-head").new_page()
    page.goto("/desk/")
    html, nav = page.locator("html"), page.locator("header nav")
    expect(html).to_have_attribute("lang", "en")
    page.locator("header").get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/desk/$"))  # back on the same page
    expect(nav).to_contain_text("Mon bureau")
    expect(page.locator("main h1")).to_have_text("Mon bureau")
    shot(page, "language-01-desk-fr")

    page.goto("/procedures/")  # the choice holds from page to page
    expect(html).to_have_attribute("lang", "fr")
    expect(nav).to_contain_text("Procédures")
    shot(page, "language-02-procedures-fr")

    page.locator("header").get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(nav).to_contain_text("My desk")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/procedures/$"))
    shot(page, "language-03-procedures-en")


def test_language_switch_before_sign_in(new_context):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.locator("header").get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("main h1")).to_have_text("Connexion")
    expect(page.locator("main #id_username")).to_be_visible()
    shot(page, "language-04-login-fr")
