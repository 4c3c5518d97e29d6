"""The command line on the register, options papers and commitments, as a secretariat scripts it."""

from __future__ import annotations

import csv

import pytest


@pytest.fixture(scope="module")
def demo(cli):
    cli.run("demo", check=True)
    return cli


def test_the_demo_register_and_its_options_paper(demo):
    codes = [t["code"] for t in demo.json("topic", "list")]
    assert codes == ["disinformation", "eastern-build-up", "hospital-cyber"]
    shown = demo.json("topic", "show", "eastern-build-up")
    assert shown["requests"][0]["state"] == "POL" and shown["requests"][0]["meeting"]
    assert shown["measures"][0]["state"] == "FIN"
    paper = demo.json("options", "show", "1")
    assert paper["agreeable"] == [1, 2, 5, 7, 8]
    assert {m["option"]: m["cannot_accept"] for m in paper["nearest_misses"]}[6] == ["HUN", "SVK"]
    assert paper["document"]
    assert demo.json("topic", "list", "--as", "mng-delegate") == []  # in no format of the Council


def test_marking_and_drafting_a_package(demo):
    refused = demo.run(
        "options", "mark", "1", "3", "--state", "TUR", "--mark", "cannot_accept",
        "--as", "tur-head",
    )  # fmt: skip
    assert refused.returncode == 1 and "says why" in refused.stderr
    done = demo.run(
        "options", "mark", "1", "3", "--state", "TUR", "--mark", "can_live_with",
        "--as", "tur-head",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert 3 in demo.json("options", "show", "1")["agreeable"]
    drafted = demo.json("options", "draft", "1", "--options", "3,5", "--as", "secretary")
    assert drafted["languages"] == ["en", "fr"]
    blocked = demo.run("options", "draft", "1", "--options", "6", "--as", "secretary")
    assert blocked.returncode == 1 and "HUN, SVK stand in the way" in blocked.stderr


def test_requesting_consultations_from_the_command_line(demo):
    made = demo.json(
        "consult", "request", "--topic", "hospital-cyber", "--state", "FRA",
        "--grounds", "Three hospitals hit in one night.", "--as", "fra-head",
    )  # fmt: skip
    meeting = demo.json("procedure", "show", str(made["meeting"]))
    assert meeting["kind"] == "meeting" and meeting["title"].startswith("Consultations requested")
    partner = demo.run(
        "consult", "request", "--topic", "hospital-cyber", "--state", "JPN",
        "--grounds", "Concern.", "--as", "jpn-delegate",
    )  # fmt: skip
    assert partner.returncode == 1 and "only members may request" in partner.stderr


def test_commitment_status_report_and_export(demo, tmp_path):
    pledge = next(c for c in demo.json("commitment", "list") if c["kind"] == "spending")
    status = demo.json("commitment", "status", str(pledge["id"]), "--on", "2024-12-31")
    assert status["counts"]["delivered"] + status["counts"]["off_track"] == 31
    assert status["series"]["POL"]["2014"] == 1.88
    out = tmp_path / "spending.csv"
    demo.run(
        "commitment", "export", str(pledge["id"]), "--format", "csv", "--out", str(out),
        check=True,
    )  # fmt: skip
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 31 and {"2014", "2024"} <= set(rows[0])
    standard = next(c for c in demo.json("commitment", "list") if c["kind"] == "standard")
    reported = demo.run(
        "commitment", "report", str(standard["id"]), "--state", "GBR", "--delivered",
        "--evidence", "Ratified on 1 November.", "--as", "gbr-head",
    )  # fmt: skip
    assert reported.returncode == 0, reported.stderr
    rows = demo.json("commitment", "status", str(standard["id"]))["states"]
    assert next(r for r in rows if r["state"] == "GBR")["status"] == "delivered"
    wrong = demo.run(
        "commitment", "report", str(pledge["id"]), "--state", "FRA", "--figure", "1.2",
        "--evidence", "x", "--as", "deu-head",
    )  # fmt: skip
    assert wrong.returncode == 1 and "may not speak for FRA" in wrong.stderr


def test_the_demo_stays_idempotent_with_the_register(demo):
    before = demo.json("topic", "list")
    demo.run("demo", check=True)
    assert demo.json("topic", "list") == before
    assert demo.run("audit", "verify").returncode == 0
