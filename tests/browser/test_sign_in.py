"""Signing in takes a password and a second factor; a first sign-in enrols an authenticator."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import shot

VERIFY = re.compile(r"/accounts/verify/")
DESK = re.compile(r"^http://[^/]+/desk/$")
#: django-otp makes a device wait 1 s after a wrong code (doubling with each further failure).
THROTTLE = 1.2


def test_sign_in_needs_the_second_factor(new_context, accounts):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    shot(page, "sign-in-01-login")
    accounts.password(page, "jpn-delegate")
    expect(page).to_have_url(VERIFY)
    expect(page.locator("main input[name=token]")).to_be_visible()
    shot(page, "sign-in-02-verify")

    # A password alone reaches no page but the second-factor form, nor the live stream.
    for path in ("/desk/", "/procedures/", "/profile/"):
        page.goto(path)
        expect(page).to_have_url(VERIFY)
        assert f"next={path.replace('/', '%2F')}" in page.url
    stream = page.request.get("/live/desk/", max_redirects=0)
    assert stream.status == 403 or (
        stream.status == 302 and "/accounts/verify/" in stream.headers["location"]
    ), stream.status

    current = {pyotp.TOTP(accounts.demo_secret).at(time.time() + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "123456", "999999") if c not in current)
    accounts.second_factor(page, wrong)
    expect(page).to_have_url(VERIFY)
    expect(page.locator("#token-error")).to_contain_text("not valid")
    shot(page, "sign-in-03-wrong-code")
    page.goto("/desk/")
    expect(page).to_have_url(VERIFY)

    time.sleep(THROTTLE)
    accounts.second_factor(page, accounts.code("jpn-delegate"))
    expect(page).to_have_url(DESK)
    expect(page.locator("header nav")).to_contain_text("jpn-delegate (JPN)")
    shot(page, "sign-in-04-desk")


def test_first_sign_in_enrols_an_authenticator(new_context, accounts, cli):
    cli.run(
        "manage",
        "shell",
        "-c",
        "from concord.alliance.models import Delegation, User; "
        "User.objects.create_user('newcomer', password='newcomer-pass-2026', "
        "role='delegation_head', state_id='FRA', "
        "delegation=Delegation.objects.filter(state_id='FRA').first())",
        check=True,
    )
    context = new_context()
    page = context.new_page()
    accounts.password(page, "newcomer", "newcomer-pass-2026")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    expect(page.locator("main img")).to_be_visible()  # the QR code
    shot(page, "enrol-01-setup")
    # Without a second factor, the desk sends the newcomer back to the same enrolment.
    page.goto("/desk/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next=%2Fdesk%2F$"))
    expect(page.locator("[data-testid=totp-secret]")).to_have_text(secret)

    accounts.second_factor(page, accounts.code("newcomer", secret))
    codes = page.locator("[data-testid=recovery-codes] li")
    expect(codes).to_have_count(10)
    recovery = [c.strip() for c in codes.all_inner_texts()]
    assert len(set(recovery)) == 10 and all(recovery), recovery
    shot(page, "enrol-02-recovery-codes")
    page.locator("main").get_by_role("button", name="Continue").click()
    expect(page).to_have_url(DESK)
    page.click("header button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/desk/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/desk/$"))

    # A recovery code stands in for the authenticator, once.
    accounts.password(page, "newcomer", "newcomer-pass-2026")
    expect(page).to_have_url(VERIFY)
    accounts.second_factor(page, recovery[0])
    expect(page).to_have_url(DESK)
    shot(page, "enrol-03-desk-with-recovery-code")
    page.click("header button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    accounts.password(page, "newcomer", "newcomer-pass-2026")
    expect(page).to_have_url(VERIFY)
    accounts.second_factor(page, recovery[0])
    expect(page).to_have_url(VERIFY)
    expect(page.locator("#token-error")).to_be_visible()
    shot(page, "enrol-04-recovery-code-refused")
    page.goto("/desk/")
    expect(page).to_have_url(VERIFY)
