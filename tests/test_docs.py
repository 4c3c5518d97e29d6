"""The documentation keeps up with the code: every tag, setting and command is described."""

from __future__ import annotations

import re
from pathlib import Path

from concord.cli import build_parser
from concord.domain.events import Tag

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_every_event_tag_is_documented():
    text = (DOCS / "events.md").read_text()
    missing = [t.value for t in Tag if f"`{t.value}`" not in text]
    assert not missing


def test_every_environment_variable_is_documented():
    used = set(re.findall(r"CONCORD_[A-Z_]+", (ROOT / "src/concord/settings.py").read_text()))
    text = (DOCS / "configuration.md").read_text()
    assert not [v for v in sorted(used) if f"`{v}`" not in text]


def test_every_command_is_documented():
    text = (DOCS / "cli.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = []
    for name, p in sub.choices.items():
        inner = [
            a for a in p._actions if getattr(a, "choices", None) and a.dest.endswith("command")
        ]
        names += [f"concord {name} {n}" for a in inner for n in a.choices] or [f"concord {name}"]
    assert not [n for n in names if f"`{n}" not in text]


def test_readme_shows_the_two_commands_and_links_the_docs():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).exists(), link
