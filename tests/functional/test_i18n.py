"""The French catalogue: complete, compiled as committed, in step with the marked strings, and
really used by the pages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

import concord
from concord.locale.compile import compile_catalogues
from concord.services import demo
from tests.factories import BodyFactory, delegate, verified_login

SOURCE = Path(concord.__file__).resolve().parent
LOCALE = SOURCE / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

#: %(name)s, %s, %d, {name} and {name!r}; "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%%|%\([^)]+\)[sdif]|%[sdif]|\{\w*(?:![rsa])?(?::[^{}]*)?\}")
BRACE_NAME = re.compile(r"\{(\w+)")


def placeholders(text: str) -> set[str]:
    return {p for p in PLACEHOLDER.findall(text) if p != "%%"}


def msgstrs(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def key(entry: polib.POEntry | polib.MOEntry) -> tuple:
    plural = tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else ()
    return (entry.msgctxt, entry.msgid, entry.msgid_plural, entry.msgstr, plural)


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_the_french_catalogue_is_complete(catalogue):
    assert catalogue.metadata["Language"] == "fr"
    assert catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert not catalogue.metadata_is_fuzzy
    assert len(catalogue.translated_entries()) > 100
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == [0, 1], entry.msgid
        wanted = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for text in msgstrs(entry):
            assert text.strip(), entry.msgid
            assert placeholders(text) == wanted, (entry.msgid, text)
            # a stray % or brace would break the formatting
            if "python-format" in entry.flags:
                # (a number fills every placeholder: it formats as %s and as %d alike)
                text % dict.fromkeys((n[2:-2] for n in wanted if n.startswith("%(")), 1)
            if any(n.startswith("{") for n in wanted):
                text.format(**dict.fromkeys(BRACE_NAME.findall(" ".join(wanted)), ""))


def test_the_committed_mo_is_compiled_from_the_po(tmp_path):
    copy = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(PO, copy)
    (fresh,) = compile_catalogues(tmp_path)
    compiled, committed = polib.mofile(str(fresh)), polib.mofile(str(MO))
    assert {key(e) for e in committed} == {key(e) for e in compiled}, (
        "django.mo is stale: run `python -m concord.locale.compile` and commit it"
    )
    assert committed.metadata == compiled.metadata


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_the_catalogue_holds_every_marked_string(tmp_path, monkeypatch, settings, catalogue):
    """makemessages, run on a copy of the sources, finds no string the catalogue lacks."""
    tree = tmp_path / "concord"
    shutil.copytree(
        SOURCE,
        tree,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "migrations"),
    )
    settings.LOCALE_PATHS = [tree / "locale"]
    monkeypatch.chdir(tree)
    call_command("makemessages", locale=["fr"], ignore_patterns=["tests/*"], verbosity=0)
    found = polib.pofile(str(tree / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    ours = {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalogue if not e.obsolete}
    theirs = {(e.msgctxt, e.msgid, e.msgid_plural) for e in found if not e.obsolete}
    assert theirs - ours == set(), "new strings: run `make messages` and translate them"
    assert ours - theirs == set(), "strings no longer used: run `make messages`"


@pytest.fixture
def council(db):
    demo.seed_states()
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


def test_a_user_who_chooses_french_gets_the_interface_in_french(client, council):
    verified_login(client, delegate("FRA"))
    html = client.get("/desk/").content.decode()
    assert '<html lang="en"' in html and "My desk" in html

    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"

    html = client.get("/desk/").content.decode()
    assert '<html lang="fr"' in html
    assert "Mon bureau" in html and "My desk" not in html
    assert "Instances" in html and "Déconnexion" in html
    html = client.get("/decisions/").content.decode()
    assert "Registre des décisions" in html
    assert "0 décision<" in html  # French plural: 0 takes the singular


def test_a_user_whose_profile_says_french_gets_french_without_choosing(client, council):
    verified_login(client, delegate("FRA", language="fr"))
    html = client.get("/desk/").content.decode()
    assert '<html lang="fr"' in html
    assert "Mon bureau" in html and "My desk" not in html
