"""``concord bench`` in a tiny size: the JSON it prints and the exactly-once facts it checks
(not its timings). The benchmarks run at once, each on a throwaway database of its own,
to keep the module short; each must drop its database when it ends."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("CONCORD_DATABASE_URL", "").startswith("postgres"),
    reason="the benchmarks run on PostgreSQL (make test-postgres runs them)",
)

RUNS = {
    "writes": ["--clients", "4", "--seconds", "2"],
    "live": ["--clients", "20"],
    "deadlines": ["--procedures", "100"],
    "text": ["--paragraphs", "60", "--brackets", "150", "--amendments", "150"],
}
KEYS = {"bench", "params", "ours", "reference", "ratio", "goal", "goal_met", "notes"}


def _server() -> str:
    base, _, _ = os.environ["CONCORD_DATABASE_URL"].rpartition("/")
    return f"{base}/postgres"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[int, dict, str]]:
    folder: Path = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
    env.update({"CONCORD_VAR_DIR": str(folder), "CONCORD_BENCH_POSTGRES_URL": _server()})
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "concord.cli", "bench", name, *args, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in RUNS.items()
    }
    done = {}
    try:
        for name, process in started.items():
            out, err = process.communicate(timeout=150)
            data = json.loads(out) if process.returncode == 0 else {}
            done[name] = (process.returncode, data, err)
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
    return done


def _ran(runs, name: str) -> dict:
    code, data, err = runs[name]
    assert code == 0, err
    assert set(data) >= KEYS and "table" not in data
    assert data["bench"] == name
    assert isinstance(data["goal_met"], bool)
    return data


def test_every_throwaway_database_is_dropped(runs):
    import psycopg

    names = [
        n for _code, _data, err in runs.values() for n in re.findall(r"concord_bench_\w+", err)
    ]
    assert len(names) == len(RUNS)
    with psycopg.connect(_server(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [names]
        ).fetchall()
    assert left == []


def test_writes(runs):
    data = _ran(runs, "writes")
    ours, reference = data["ours"], data["reference"]
    assert data["params"]["clients"] == 4
    assert ours["requests_ok"] > 0 and ours["errors"] == 0
    assert ours["positions_committed"] == ours["requests_ok"]  # one commit per 2xx
    assert ours["batched"] == ours["requests_ok"]  # each through the batching desk
    assert ours["positions_per_transaction"] >= 1
    assert ours["positions_per_item"]["max"] >= 1
    assert ours["audit_chain_ok"] is True
    assert ours["p50_ms"] <= ours["p99_ms"] <= ours["max_ms"]
    assert {p["role"] for p in ours["server_processes"]} >= {"parent", "uvicorn worker"}
    assert all(p["peak_rss_mb"] > 0 for p in ours["server_processes"])
    assert reference["inserts"] > 0 and reference["errors"] == 0
    assert data["ratio"] == pytest.approx(ours["requests_per_s"] / reference["inserts_per_s"], 0.01)


def test_live(runs):
    data = _ran(runs, "live")
    ours, reference = data["ours"], data["reference"]
    assert ours["failures"] == {}  # e.g. {"answered 503": 10}: streams the server refused
    assert ours["clients"] == ours["connected"] == ours["received"] == 20
    assert ours["p50_ms"] <= ours["p99_ms"] <= ours["max_ms"]
    assert reference["listeners"] == reference["received"] == 20


def test_deadlines(runs):
    data = _ran(runs, "deadlines")
    ours, reference = data["ours"], data["reference"]
    assert ours["procedures"] == ours["final"] == 100
    # every outcome once: one expired event and one decision sheet each
    assert ours["expired_events"] == ours["procedures_with_event"] == 100
    assert ours["duplicate_outcomes"] == ours["missing_outcomes"] == 0
    assert ours["decisions"] == ours["adopted"] == 100
    assert ours["outcomes_exactly_once"] is True
    # a worker was killed half-way, and the others finished
    assert ours["killed"]["recorded_then"] >= 50
    assert sum(ours["outcomes_by_worker"].values()) == 100
    # every recipient told once
    assert ours["audience"] > 0
    assert ours["notifications"] == ours["notifications_expected"] == 100 * ours["audience"]
    assert ours["duplicate_notifications"] == ours["missing_notifications"] == 0
    assert ours["notifications_exactly_once"] is True
    assert ours["audit_chain_ok"] is True
    assert ours["lag_s"] is not None
    assert reference["rows"] == 100


def test_text(runs):
    data = _ran(runs, "text")
    ours, reference = data["ours"], data["reference"]
    assert data["params"] == {"paragraphs": 60, "brackets": 150, "amendments": 150}
    assert ours["brackets"] == ours["open_brackets_reported"] == 150
    assert ours["clean_paragraphs"] > 0 and ours["paragraphs_in_diff"] > 0
    # the standard library finds the same paragraphs changed
    assert reference["paragraphs_changed"] == ours["paragraphs_in_diff"]
    assert ours["page"]["small"]["queries"] == ours["page"]["large"]["queries"]
    assert ours["page_queries_constant"] is True
