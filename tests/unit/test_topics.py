"""The issues-and-threats register: topics, consultations on request and national measures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.alliance import Actor, Membership, MembershipKind, Role
from concord.domain.errors import InvalidInput, NotAllowed
from concord.domain.topics import (
    ConsultationRequest,
    MeasureNotification,
    Threat,
    Topic,
    Track,
    check_measure,
    check_request,
    convene_by,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEMBERSHIPS = (
    Membership("POL", MembershipKind.MEMBER, date(1999, 3, 12)),
    Membership("LTU", MembershipKind.MEMBER, date(2004, 3, 29)),
    Membership("SWE", MembershipKind.MEMBER, date(2024, 3, 7)),
    Membership("SWE", MembershipKind.PARTNER, date(1994, 5, 9), until=date(2024, 3, 7)),
    Membership("JPN", MembershipKind.PARTNER, date(2014, 5, 6)),
)
POL_HEAD = Actor("pol.head", Role.DELEGATION_HEAD, "POL")
LTU_DEPUTY = Actor("ltu.deputy", Role.DELEGATION_DEPUTY, "LTU")
SWE_HEAD = Actor("swe.head", Role.DELEGATION_HEAD, "SWE")
JPN_PARTNER = Actor("jpn.delegate", Role.PARTNER_DELEGATE, "JPN")
POL_ADVISER = Actor("pol.adviser", Role.DELEGATION_ADVISER, "POL")


def request(
    state: str = "POL",
    topic: str = "eastern-build-up",
    grounds: str = "Troops massing on our border.",
    at: datetime = T0,
    closed_at: datetime | None = None,
) -> ConsultationRequest:
    return ConsultationRequest(state, topic, grounds, at, closed_at)


def actor_for(state: str) -> Actor:
    return Actor(f"{state.lower()}.head", Role.DELEGATION_HEAD, state)


# -- topics -------------------------------------------------------------------------------------


def test_a_dual_track_topic_carries_both_tracks() -> None:
    topic = Topic(
        "eastern-build-up",
        "A neighbour's military build-up",
        frozenset({Threat.MILITARY_BUILD_UP, Threat.DISINFORMATION}),
        frozenset(Track),
    )
    assert topic.dual_track
    assert not Topic("pandemic", "Pandemic", frozenset({Threat.PANDEMIC})).dual_track


@pytest.mark.parametrize(
    ("title", "threats", "tracks", "message"),
    [
        ("  ", {Threat.TERRORISM}, {Track.DIALOGUE}, "may not be empty"),
        ("A [draft] title", {Threat.TERRORISM}, {Track.DIALOGUE}, "square brackets"),
        ("Terrorism", set(), {Track.DIALOGUE}, "at least one kind of threat"),
        ("Terrorism", {Threat.TERRORISM}, set(), "at least one track"),
    ],
)
def test_a_topic_is_refused_without_title_threat_or_track(
    title: str, threats: set[Threat], tracks: set[Track], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        Topic("terrorism", title, frozenset(threats), frozenset(tracks))


def test_labels_are_plain_words() -> None:
    assert Track.DETERRENCE_DEFENCE.label == "deterrence and defence"
    assert Threat.RISING_POWER.label == "a rising power's influence"


# -- consultations on request -------------------------------------------------------------------


@given(
    st.timedeltas(min_value=timedelta(days=-3650), max_value=timedelta(days=3650)),
    st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=30)),
)
def test_the_council_is_convened_within_the_set_time(offset: timedelta, within: timedelta) -> None:
    at = T0 + offset
    assert convene_by(at, within) - at == within


@pytest.mark.parametrize("within", [timedelta(0), timedelta(hours=-1)])
def test_the_time_to_convene_must_be_positive(within: timedelta) -> None:
    with pytest.raises(InvalidInput, match="must be positive"):
        convene_by(T0, within)


def test_the_time_of_a_request_carries_its_zone() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        convene_by(datetime(2026, 3, 2, 9, 0), timedelta(hours=24))  # noqa: DTZ001
    with pytest.raises(InvalidInput, match="time zone"):
        request(at=datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001


def test_a_member_may_request_consultations() -> None:
    check_request(request(), actor=POL_HEAD, memberships=MEMBERSHIPS)
    check_request(request("LTU"), actor=LTU_DEPUTY, memberships=MEMBERSHIPS)


def test_a_partner_may_not_request_consultations() -> None:
    with pytest.raises(NotAllowed, match="JPN is a partner: only members"):
        check_request(request("JPN"), actor=JPN_PARTNER, memberships=MEMBERSHIPS)


def test_membership_is_judged_on_the_day_of_the_request() -> None:
    before = datetime(2024, 3, 6, 12, tzinfo=UTC)
    with pytest.raises(NotAllowed, match="SWE is a partner"):
        check_request(request("SWE", at=before), actor=SWE_HEAD, memberships=MEMBERSHIPS)
    check_request(
        request("SWE", at=before + timedelta(days=1)), actor=SWE_HEAD, memberships=MEMBERSHIPS
    )


def test_a_state_outside_the_alliance_may_not_request() -> None:
    with pytest.raises(NotAllowed, match="CHE is not a member"):
        check_request(request("CHE"), actor=actor_for("CHE"), memberships=MEMBERSHIPS)


def test_only_someone_speaking_for_the_state_requests() -> None:
    for actor in (POL_ADVISER, LTU_DEPUTY, Actor("chair", Role.SECRETARIAT_CHAIR)):
        with pytest.raises(NotAllowed, match="may not speak for POL"):
            check_request(request(), actor=actor, memberships=MEMBERSHIPS)


@pytest.mark.parametrize("grounds", ["", "   ", "\n"])
def test_a_request_states_its_grounds(grounds: str) -> None:
    with pytest.raises(InvalidInput, match="states its grounds"):
        check_request(request(grounds=grounds), actor=POL_HEAD, memberships=MEMBERSHIPS)


def test_a_second_open_request_by_the_same_state_on_the_same_topic_is_refused() -> None:
    first = request()
    with pytest.raises(InvalidInput, match="already has an open request"):
        check_request(
            request(at=T0 + timedelta(hours=2)),
            actor=POL_HEAD,
            memberships=MEMBERSHIPS,
            requests=[first],
        )


def test_other_states_topics_and_closed_requests_do_not_count_as_duplicates() -> None:
    later = T0 + timedelta(hours=2)
    earlier = [
        request("LTU"),
        request(topic="cyber-campaign"),
        request(closed_at=T0 + timedelta(hours=1)),
    ]
    check_request(request(at=later), actor=POL_HEAD, memberships=MEMBERSHIPS, requests=earlier)


def test_a_request_cannot_close_before_it_was_made() -> None:
    with pytest.raises(InvalidInput, match="cannot close before"):
        request(closed_at=T0 - timedelta(seconds=1))


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["POL", "LTU"]),
            st.sampled_from(["eastern-build-up", "cyber-campaign"]),
            st.integers(min_value=-48, max_value=0),
            st.one_of(st.none(), st.integers(min_value=0, max_value=72)),
        ),
        max_size=6,
    )
)
def test_a_request_is_refused_as_a_duplicate_exactly_when_one_is_open(
    earlier: list[tuple[str, str, int, int | None]],
) -> None:
    recorded = [
        request(
            state,
            topic,
            at=T0 + timedelta(hours=h),
            closed_at=None if c is None else T0 + timedelta(hours=h + c),
        )
        for state, topic, h, c in earlier
    ]
    new = request()
    blocked = any(
        r.state == "POL" and r.topic == new.topic and r.open_at(new.requested_at) for r in recorded
    )
    try:
        check_request(new, actor=POL_HEAD, memberships=MEMBERSHIPS, requests=recorded)
    except InvalidInput:
        assert blocked
    else:
        assert not blocked


# -- national measures --------------------------------------------------------------------------


def measure(
    state: str = "POL", description: str = "Closing two border crossings.", effective: int = 3
) -> MeasureNotification:
    return MeasureNotification(
        state, "eastern-build-up", description, T0.date() + timedelta(days=effective), T0
    )


def test_a_member_notifies_a_national_measure_in_advance_or_late() -> None:
    check_measure(measure(), actor=POL_HEAD, memberships=MEMBERSHIPS)
    assert measure().in_advance
    assert not measure(effective=0).in_advance
    late = measure(effective=-10)
    check_measure(late, actor=POL_HEAD, memberships=MEMBERSHIPS)
    assert not late.in_advance


def test_a_measure_is_described() -> None:
    with pytest.raises(InvalidInput, match="describes the measure"):
        check_measure(measure(description=" "), actor=POL_HEAD, memberships=MEMBERSHIPS)


def test_a_partner_or_a_stranger_does_not_notify_measures() -> None:
    with pytest.raises(NotAllowed, match="only members notify"):
        check_measure(measure("JPN"), actor=JPN_PARTNER, memberships=MEMBERSHIPS)
    with pytest.raises(NotAllowed, match="may not speak for POL"):
        check_measure(measure(), actor=LTU_DEPUTY, memberships=MEMBERSHIPS)


def test_state_codes_and_topic_ids_are_checked() -> None:
    with pytest.raises(InvalidInput, match="alpha-3"):
        request("Poland")
    with pytest.raises(InvalidInput, match="topic id"):
        request(topic="no spaces please")
