"""The access policy: the pure rule and the database filter agree for every reader and document."""

from __future__ import annotations

import itertools

import pytest

from concord.domain.markings import Classification
from concord.services import access, documents
from tests.factories import BodyFactory, UserFactory, partner_format, secretary
from tests.integration.conftest import T0

READERS = [
    ("ally-secret", "delegation_head", "FRA", Classification.SECRET),
    ("ally-none", "delegation_adviser", "DEU", Classification.UNCLASSIFIED),
    ("jpn", "partner_delegate", "JPN", Classification.SECRET),
    ("mng", "partner_delegate", "MNG", Classification.SECRET),
    ("secretariat", "secretariat_secretary", None, Classification.COSMIC_TOP_SECRET),
    ("auditor", "auditor", None, Classification.SECRET),
    ("admin", "administrator", None, Classification.SECRET),
]


@pytest.fixture
def library(council, states):
    partner_format(council)
    small = BodyFactory(code="SWG")
    small.member_states.set(["FRA", "ITA"])
    made = []
    for body, level, releasable in itertools.product(
        (council, small), list(Classification), ((), ("JPN",), ("AUS", "MNG"))
    ):
        made.append(
            documents.register(
                by=secretary(),
                body=body,
                series_code="PO",
                title=f"{body.code} {level.name} {releasable}",
                paragraphs=[("x", "x")],
                classification=level,
                releasable_to=releasable,
                now=T0,
            ).document
        )
    return made


def test_query_and_rule_agree_for_every_reader_and_document(library):
    for name, role, state, clearance in READERS:
        user = UserFactory(username=name, role=role, state_id=state, clearance=int(clearance))
        listed = set(access.documents(user).values_list("pk", flat=True))
        for doc in library:
            assert (doc.pk in listed) == access.may_read_document(user, doc), (name, doc.title)


def test_expected_visibility(library):
    def sees(name, role, state, clearance):
        user = UserFactory(username=name, role=role, state_id=state, clearance=int(clearance))
        return {d.title for d in access.documents(user)}

    ally = sees(*READERS[0])
    assert "NAC SECRET ()" in ally and "NAC COSMIC_TOP_SECRET ()" not in ally
    assert "SWG SECRET ()" in ally  # France sits in the small group
    uncleared = sees(*READERS[1])
    assert "NAC RESTRICTED ()" in uncleared and "NAC CONFIDENTIAL ()" not in uncleared
    assert "SWG PUBLIC ()" in uncleared and "SWG RESTRICTED ()" not in uncleared  # need to know
    jpn = sees(*READERS[2])
    assert "NAC SECRET ('JPN',)" in jpn and "NAC SECRET ()" not in jpn
    assert "NAC UNCLASSIFIED ()" not in jpn and "NAC PUBLIC ()" in jpn
    assert "SWG SECRET ('JPN',)" not in jpn  # Japan sits in no format of that group
    mng = sees(*READERS[3])
    assert mng == {t for t in mng if "PUBLIC" in t}  # named, but in no format: public only
    admin = sees(*READERS[6])
    assert admin == {t for t in admin if "PUBLIC" in t}
