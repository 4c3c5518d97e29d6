"""The command line, end to end: demo, procedures, worker, audit."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from concord.domain.procedures import State


@pytest.fixture(scope="module")
def demo(cli):
    first = cli.run("demo", check=True)
    assert "Demo alliance seeded." in first.stdout
    assert "fra-head" in first.stdout and "concord-demo" in first.stdout
    return cli


def test_demo_is_idempotent(demo):
    before = demo.json("procedure", "list")
    again = demo.run("demo", check=True)
    assert "already present" in again.stdout
    assert demo.json("procedure", "list") == before


def test_demo_has_running_broken_and_adopted_silence_procedures(demo):
    rows = demo.json("procedure", "list")
    silence = [r for r in rows if r["kind"] == "silence"]
    states = {r["state"] for r in silence}
    assert {"open", "adopted", "not_adopted"} <= states
    running = next(r for r in silence if r["state"] == "open")
    expires = datetime.fromisoformat(running["expires_at"])
    assert timedelta(minutes=50) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert "CET" in running["expiry_text"] or "CEST" in running["expiry_text"]


def test_show_gives_participants_positions_and_decision(demo):
    rows = demo.json("procedure", "list")
    adopted = next(r for r in rows if r["kind"] == "silence" and r["state"] == "adopted")
    shown = demo.json("procedure", "show", str(adopted["id"]))
    assert len(shown["participants"]) == 32
    assert shown["decision"]["text_sha256"] and len(shown["decision"]["bound"]) == 32
    broken = next(r for r in rows if r["state"] == "not_adopted")
    shown = demo.json("procedure", "show", str(broken["id"]))
    assert {p["state"] for p in shown["positions"]} == {"FRA", "DEU"}
    assert shown["decision"] is None
    text = demo.run("procedure", "show", str(broken["id"]), check=True).stdout
    assert "objecting  DEU FRA" in text


def test_open_break_extend_withdraw(demo):
    expires = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    opened = demo.json(
        "procedure",
        "open-silence",
        "--body",
        "NAC",
        "--document",
        "PO(2026)0001",
        "--expires",
        expires,
        "--as",
        "sg",
    )
    pid = str(opened["id"])
    assert opened["state"] == "open" and len(opened["participants"]) == 32
    broken = demo.json(
        "procedure",
        "break",
        pid,
        "--state",
        "fra",
        "--statement",
        "France objects.",
        "--as",
        "fra-head",
    )
    assert broken["objecting"] == ["FRA"] and broken["state_label"] == "open (silence broken)"
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    extended = demo.json("procedure", "extend", pid, "--expires", later, "--as", "sg")
    assert datetime.fromisoformat(extended["expires_at"]) == datetime.fromisoformat(later)
    withdrawn = demo.json("procedure", "withdraw", pid, "--as", "sg")
    assert withdrawn["state"] == "withdrawn"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--body", "XYZ", "--document", "PO(2026)0001"], "unknown body"),
        (["--body", "NAC", "--document", "PO(2026)0099"], "no document"),
        (["--body", "PC", "--document", "PO(2026)0001"], "does not chair"),
    ],
)
def test_open_errors_are_one_line_and_exit_1(demo, args, message):
    expires = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    before = len(demo.json("procedure", "list"))
    done = demo.run("procedure", "open-silence", *args, "--expires", expires, "--as", "sg")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert len(demo.json("procedure", "list")) == before


def test_bad_instants_and_past_expiry(demo):
    naive = demo.run(
        "procedure",
        "open-silence",
        "--body",
        "NAC",
        "--document",
        "PO(2026)0001",
        "--expires",
        "2030-01-01T10:00",
        "--as",
        "sg",
    )
    assert naive.returncode == 2 and "time zone" in naive.stderr
    past = demo.run(
        "procedure",
        "open-silence",
        "--body",
        "NAC",
        "--document",
        "PO(2026)0001",
        "--expires",
        "2020-01-01T10:00Z",
        "--as",
        "sg",
    )
    assert past.returncode == 1 and "not in the future" in past.stderr


def test_break_refusals(demo):
    running = next(
        r
        for r in demo.json("procedure", "list")
        if r["kind"] == "silence" and r["state"] == "open" and not r["objecting"]
    )
    pid = str(running["id"])
    cases = [
        (["--state", "JPN", "--statement", "x", "--as", "jpn-delegate"], "partner"),
        (["--state", "FRA", "--statement", " ", "--as", "fra-head"], "statement"),
        (["--state", "FRA", "--statement", "x", "--as", "fra-adviser"], "may not speak"),
        (["--state", "FRA", "--statement", "x", "--as", "nobody"], "no active user"),
        (["--state", "QQQ", "--statement", "x", "--as", "fra-head"], "unknown state"),
    ]
    for args, message in cases:
        done = demo.run("procedure", "break", pid, *args)
        assert done.returncode == 1, args
        assert message in done.stderr, (args, done.stderr)
    assert demo.json("procedure", "show", pid)["positions"] == []
    adopted = next(
        r
        for r in demo.json("procedure", "list")
        if r["state"] == "adopted" and r["kind"] == "silence"
    )
    late = demo.run(
        "procedure",
        "break",
        str(adopted["id"]),
        "--state",
        "FRA",
        "--statement",
        "x",
        "--as",
        "fra-head",
    )
    assert late.returncode == 1 and "expired" in late.stderr


def test_several_workers_record_each_outcome_once(demo):
    expires = (datetime.now(UTC) + timedelta(seconds=12)).isoformat()  # time to open six
    ids = [
        demo.json(
            "procedure",
            "open",
            "--kind",
            "silence",
            "--body",
            "NAC",
            "--document",
            "PO(2026)0002",
            "--expires",
            expires,
            "--as",
            "sg",
        )["id"]
        for _ in range(6)
    ]
    workers = [demo.popen("worker") for _ in range(3)]
    try:
        # Nothing can be recorded before the expiry: wait for it idle, then look every half second
        # with one `procedure list` (each command is a process of its own) until all six are.
        wait = datetime.fromisoformat(expires) - datetime.now(UTC)
        time.sleep(max(0.0, wait.total_seconds()))
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while datetime.now(UTC) < deadline:
            recorded = {
                r["id"]: State(r["recorded_state"]).final for r in demo.json("procedure", "list")
            }
            if all(recorded[i] for i in ids):
                break
            time.sleep(0.5)
        shown = [demo.json("procedure", "show", str(i)) for i in ids]
    finally:
        for w in workers:
            w.terminate()
        outputs = [w.communicate(timeout=20) for w in workers]
    recorded = sum(out.count("outcome(s)") for out, _err in outputs)
    assert recorded >= 1
    assert all(s["outcome"]["recorded"] for s in shown)
    assert all(s["decision"] is not None for s in shown)
    assert all(w.returncode == 0 for w in workers)
    verify = demo.run("audit", "verify", "--json", check=True)
    assert '"ok": true' in verify.stdout


def test_audit_verify_names_the_first_tampered_event(demo, tmp_path):
    if "CONCORD_DATABASE_URL" in demo.env:
        pytest.skip("tampering with the SQLite file; the PostgreSQL case is an integration test")
    assert demo.run("audit", "verify").returncode == 0
    db = sqlite3.connect(f"{demo.env['CONCORD_VAR_DIR']}/concord.sqlite3")
    (actor,) = db.execute("SELECT actor FROM records_auditevent WHERE seq = 7").fetchone()
    with db:
        db.execute("UPDATE records_auditevent SET actor = 'mallory' WHERE seq = 7")
    done = demo.run("audit", "verify")
    assert done.returncode == 1 and "sequence 7" in done.stderr
    with db:  # put it back so that later tests see an intact chain
        db.execute("UPDATE records_auditevent SET actor = ? WHERE seq = 7", (actor,))
    db.close()
    assert demo.run("audit", "verify").returncode == 0
