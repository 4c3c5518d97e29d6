"""Dated memberships and who decides."""

from __future__ import annotations

from datetime import date

import pytest

from concord.domain.alliance import (
    SPEAKS_FOR_STATE,
    Actor,
    Membership,
    MembershipKind,
    Role,
    deciding_states,
)

MEMBER, PARTNER = MembershipKind.MEMBER, MembershipKind.PARTNER
THIRTY = (
    "ALB",
    "BEL",
    "BGR",
    "CAN",
    "HRV",
    "CZE",
    "DNK",
    "EST",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "ISL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MNE",
    "NLD",
    "MKD",
    "NOR",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "TUR",
    "GBR",
    "USA",
)
FIN_JOINED = date(2023, 4, 4)
SWE_JOINED = date(2024, 3, 7)
MEMBERSHIPS = [
    *(Membership(s, MEMBER, date(2020, 3, 27)) for s in THIRTY),
    Membership("FIN", MEMBER, FIN_JOINED),
    Membership("SWE", MEMBER, SWE_JOINED),
    Membership("UKR", PARTNER, date(2020, 6, 12)),
    Membership("AUS", PARTNER, date(2020, 1, 1), until=date(2025, 1, 1)),
]


def test_thirty_allies_in_2020() -> None:
    assert len(THIRTY) == 30
    assert deciding_states(MEMBERSHIPS, date(2022, 1, 1)) == tuple(sorted(THIRTY))


@pytest.mark.parametrize(
    ("day", "count", "fin", "swe"),
    [
        (date(2023, 4, 3), 30, False, False),
        (FIN_JOINED, 31, True, False),
        (date(2024, 3, 6), 31, True, False),
        (SWE_JOINED, 32, True, True),
        (date(2026, 1, 1), 32, True, True),
    ],
)
def test_membership_is_dated(day: date, count: int, fin: bool, swe: bool) -> None:
    states = deciding_states(MEMBERSHIPS, day)
    assert len(states) == count
    assert ("FIN" in states) is fin
    assert ("SWE" in states) is swe
    assert list(states) == sorted(states)


def test_until_is_exclusive() -> None:
    m = Membership("XXX", MEMBER, date(2020, 1, 1), until=date(2025, 1, 1))
    assert not m.valid_on(date(2019, 12, 31))
    assert m.valid_on(date(2020, 1, 1))
    assert m.valid_on(date(2024, 12, 31))
    assert not m.valid_on(date(2025, 1, 1))
    assert "XXX" in deciding_states([m], date(2024, 12, 31))
    assert deciding_states([m], date(2025, 1, 1)) == ()


def test_partners_never_decide_without_a_format() -> None:
    for day in (date(2022, 1, 1), date(2026, 1, 1)):
        states = deciding_states(MEMBERSHIPS, day)
        assert "UKR" not in states
        assert "AUS" not in states


def test_partners_decide_only_through_the_format() -> None:
    states = deciding_states(MEMBERSHIPS, date(2026, 1, 1), format_partners=frozenset({"UKR"}))
    assert "UKR" in states
    assert len(states) == 33
    # a partnership that has ended does not count even if the format names the partner
    ended = deciding_states(MEMBERSHIPS, date(2026, 1, 1), format_partners=frozenset({"AUS"}))
    assert "AUS" not in ended
    during = deciding_states(MEMBERSHIPS, date(2024, 1, 1), format_partners=frozenset({"AUS"}))
    assert "AUS" in during


def test_a_format_does_not_make_a_state_without_partnership_decide() -> None:
    states = deciding_states(MEMBERSHIPS, date(2026, 1, 1), format_partners=frozenset({"JPN"}))
    assert "JPN" not in states


def test_body_states_limit_the_allies_but_not_the_partners() -> None:
    body = frozenset({"DEU", "FRA", "FIN"})
    assert deciding_states(MEMBERSHIPS, date(2023, 1, 1), body_states=body) == ("DEU", "FRA")
    assert deciding_states(MEMBERSHIPS, FIN_JOINED, body_states=body) == ("DEU", "FIN", "FRA")
    with_partner = deciding_states(
        MEMBERSHIPS, FIN_JOINED, body_states=body, format_partners=frozenset({"UKR"})
    )
    assert with_partner == ("DEU", "FIN", "FRA", "UKR")


def test_a_member_listed_as_format_partner_still_needs_the_body() -> None:
    states = deciding_states(
        MEMBERSHIPS, date(2026, 1, 1), body_states=frozenset({"FRA"}),
        format_partners=frozenset({"DEU"}),
    )  # fmt: skip
    assert states == ("FRA",)


def test_duplicate_memberships_count_once() -> None:
    twice = [
        Membership("FRA", MEMBER, date(1949, 8, 24)),
        Membership("FRA", MEMBER, date(2009, 4, 4)),
    ]
    assert deciding_states(twice, date(2026, 1, 1)) == ("FRA",)


def test_who_speaks_for_a_state() -> None:
    assert Role.DELEGATION_ADVISER not in SPEAKS_FOR_STATE
    assert Role.SECRETARIAT_CHAIR not in SPEAKS_FOR_STATE
    assert {Role.DELEGATION_HEAD, Role.DELEGATION_DEPUTY, Role.CAPITAL_OFFICIAL} <= SPEAKS_FOR_STATE


def test_system_actors() -> None:
    assert Actor("system:worker", Role.ADMINISTRATOR).is_system
    assert not Actor("fra.head", Role.DELEGATION_HEAD, "FRA").is_system
