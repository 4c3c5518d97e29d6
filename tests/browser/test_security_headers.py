"""Every page carries a strict Content-Security-Policy, and the pages keep to it (no inline
script or style): the ``new_context`` fixture fails a test on any CSP report in the console."""

from __future__ import annotations

PAGES = ("/desk/", "/procedures/", "/documents/", "/bodies/", "/decisions/", "/profile/")


def test_pages_carry_a_content_security_policy(new_context):
    page = new_context("fra-head").new_page()
    for path in ("/accounts/login/", *PAGES):
        response = page.goto(path)
        assert response is not None and response.ok, path
        policy = response.headers.get("content-security-policy", "")
        directives = {
            d.strip().split(" ")[0]: d.strip().split(" ")[1:] for d in policy.split(";") if d
        }
        assert directives.get("script-src") == ["'self'"], (path, policy)
        assert directives.get("style-src") == ["'self'"], (path, policy)
        assert directives.get("object-src") == ["'none'"], (path, policy)
        assert directives.get("frame-ancestors") == ["'none'"], (path, policy)
        assert response.headers.get("x-frame-options") == "DENY", path
