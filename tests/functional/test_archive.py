"""`concord export` and `concord import`: the whole record out and back, the chain intact."""

from __future__ import annotations

import json

from tests.functional.conftest import Cli, _fresh_database


def test_export_then_import_into_an_empty_database(cli, tmp_path):
    cli.run("demo", check=True)
    cli.run(
        "procedure",
        "break",
        str(_running(cli)),
        "--state",
        "FRA",
        "--statement",
        "No.",
        "--as",
        "fra-head",
        check=True,
    )
    path = tmp_path / "record.jsonl"
    exported = cli.json("export", str(path))
    assert exported["objects"] > 100 and len(exported["head_hash"]) == 64
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["head_hash"] == exported["head_hash"]

    for extra in _fresh_database(tmp_path / "restored"):
        (tmp_path / "restored").mkdir(exist_ok=True)
        other = Cli({**cli.env, **extra})
        restored = other.json("import", str(path))
        assert restored["head_hash"] == exported["head_hash"]
        assert other.run("audit", "verify", check=True).returncode == 0
        assert other.json("procedure", "list") == cli.json("procedure", "list")
        again = other.run("import", str(path))
        assert again.returncode == 1 and "not empty" in again.stderr


def test_a_damaged_export_is_refused_and_nothing_is_written(cli, tmp_path):
    cli.run("demo", check=True)
    path = tmp_path / "record.jsonl"
    cli.json("export", str(path))
    lines = path.read_text().splitlines()
    forged = [line.replace('"actor": "sg"', '"actor": "mallory"', 1) for line in lines]
    assert forged != lines
    bad = tmp_path / "forged.jsonl"
    bad.write_text("\n".join(forged) + "\n")
    for extra in _fresh_database(tmp_path / "target"):
        (tmp_path / "target").mkdir(exist_ok=True)
        other = Cli({**cli.env, **extra})
        refused = other.run("import", str(bad))
        assert refused.returncode == 1 and "audit chain" in refused.stderr
        assert other.json("procedure", "list") == []  # nothing was written
        truncated = tmp_path / "truncated.jsonl"
        truncated.write_text("\n".join(lines[:10]) + "\n")
        assert "not a complete" in other.run("import", str(truncated)).stderr


def _running(cli) -> int:
    rows = cli.json("procedure", "list")
    return next(r["id"] for r in rows if r["kind"] == "silence" and r["state"] == "open")
