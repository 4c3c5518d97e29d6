"""Shared test set-up. The database comes from CONCORD_DATABASE_URL (SQLite by default); the
suite runs once on each in ``make test``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(request):
    try:
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:  # the domain tests run without Django too
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin("django"):
        return
    postgres = on_postgres()
    for item in items:
        if "postgres_only" in item.keywords and not postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL (make test-postgres runs it)")
            )
