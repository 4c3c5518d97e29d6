"""Shared test set-up. The database comes from CONCORD_DATABASE_URL (SQLite by default); the
suite runs once on each in ``make test``."""

from __future__ import annotations

import pytest
from hypothesis import settings as hypothesis_settings

# Tests never assert on wall-clock time: no per-example deadline for the property tests (on a
# machine busy with other work a single example can take longer than Hypothesis's 200 ms).
hypothesis_settings.register_profile("concord", deadline=None)
hypothesis_settings.load_profile("concord")


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


# -- running in parallel (pytest-xdist) ------------------------------------------------------------
#
# ``make test`` runs the suite in two worker processes (``-n 2``) with the scheduler below. Each
# worker takes whole modules, so that a module's shared fixtures (a ``concord`` database seeded once,
# a running server) are set up once, on one worker, and its tests run in their usual order; the
# browser tests share one server and one Chromium across their folder, which goes whole to one
# worker. Modules are handed out in this order, so that both workers finish together:
#
# 0. the load tests (the benchmarks, and the fault tests when they are not run on their own as
#    ``make test`` does): long, many processes and database connections; beside them the other
#    worker runs
# 1. the in-process integration and functional tests (one process, one connection);
# 2. the browser tests and the modules that run ``concord`` commands and servers;
# 3. the rest (the unit tests: many short modules, which fill in at the end).
#
# Within each group the modules with the most tests go first (xdist's own order).

#: Folders handed out whole, each to one worker: their tests share package-scoped fixtures.
_WHOLE = ("tests/browser/",)
_LOAD = ("tests/faults/", "tests/functional/test_bench.py")
_PROCESSES = (
    "tests/browser/",
    "tests/functional/test_api_schema.py",
    "tests/functional/test_archive.py",
    "tests/functional/test_batched_positions.py",
    "tests/functional/test_cli.py",
    "tests/functional/test_fanout.py",
    "tests/functional/test_live.py",
    "tests/functional/test_policy_cli.py",
    "tests/functional/test_serve.py",
)
_IN_PROCESS = ("tests/integration/", "tests/functional/")


def _group(scope: str) -> int:
    if scope.startswith(_LOAD):
        return 0
    if scope.startswith(_PROCESSES):
        return 2
    if scope.startswith(_IN_PROCESS):
        return 1
    return 3


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":  # --dist loadfile, loadgroup, …: xdist's own
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WholeModules(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            for folder in _WHOLE:
                if nodeid.startswith(folder):
                    return folder
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node):
            if not self.ordered:  # the queue is complete before its first unit is handed out
                self.ordered = True
                for scope in sorted(self.workqueue, key=_group):  # stable: xdist's order within
                    self.workqueue.move_to_end(scope)
            super()._assign_work_unit(node)

    return WholeModules(config, log)
