"""Options papers: marks, what all can live with, nearest misses, packages and draft texts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.alliance import Actor, Role
from concord.domain.errors import InvalidInput, NotAllowed, NotFound
from concord.domain.options import (
    Mark,
    Option,
    OptionMark,
    Package,
    agreeable,
    by_track,
    check_mark,
    check_package,
    draft_decision_text,
    latest_marks,
    nearest_misses,
    packages,
)
from concord.domain.topics import Instrument, Track

STATES = ("CAN", "DEU", "EST", "FRA", "POL", "USA")
D, INF, M, E, C = (
    Instrument.DIPLOMATIC,
    Instrument.INFORMATION,
    Instrument.MILITARY,
    Instrument.ECONOMIC,
    Instrument.CYBER,
)
DETER, DIALOGUE = Track.DETERRENCE_DEFENCE, Track.DIALOGUE

PAPER = (
    Option("envoy", "Send a special envoy to the capital", D, DIALOGUE, "Two weeks of travel"),
    Option("air-policing", "Reinforce air policing on the eastern flank", M, DETER, "High"),
    Option("sanctions", "Coordinate targeted sanctions on the build-up's suppliers", E, DETER),
    Option("rebuttal", "Publish a joint rebuttal of false claims", INF, DETER, "Low"),
    Option("hotline", "Reopen the military hotline", D, DIALOGUE),
    Option("cyber-team", "Deploy a cyber rapid-response team", C, DETER, "Medium"),
)


def marks(*rows: tuple[str, str, Mark]) -> list[OptionMark]:
    return [
        OptionMark(seq, state, option, mark, "Too costly." if mark is Mark.CANNOT_ACCEPT else "")
        for seq, (state, option, mark) in enumerate(rows, start=1)
    ]


def everyone(
    option: str, mark: Mark = Mark.CAN_LIVE_WITH, states: tuple[str, ...] = STATES
) -> list[tuple[str, str, Mark]]:
    return [(s, option, mark) for s in states]


# -- marks --------------------------------------------------------------------------------------


def test_cannot_accept_needs_a_reason() -> None:
    with pytest.raises(InvalidInput, match="says why"):
        OptionMark(1, "FRA", "envoy", Mark.CANNOT_ACCEPT, "  ")
    OptionMark(1, "FRA", "envoy", Mark.SUPPORT)


def test_the_latest_mark_counts() -> None:
    rows = marks(("FRA", "envoy", Mark.CANNOT_ACCEPT), ("FRA", "envoy", Mark.SUPPORT))
    assert latest_marks(reversed(rows))["envoy"]["FRA"].mark is Mark.SUPPORT
    everyone_else = marks(*everyone("envoy", states=STATES[:3] + STATES[4:]))
    relabelled = [OptionMark(m.seq + 10, m.state, m.option_id, m.mark) for m in everyone_else]
    assert agreeable(PAPER, rows + relabelled, STATES) == (PAPER[0],)


def test_who_may_mark() -> None:
    fra = Actor("fra.head", Role.DELEGATION_HEAD, "FRA")
    entry = OptionMark(1, "FRA", "envoy", Mark.SUPPORT)
    check_mark(entry, actor=fra, options=PAPER, deciding=STATES)
    with pytest.raises(NotFound, match="no option 'ghost'"):
        check_mark(
            OptionMark(1, "FRA", "ghost", Mark.SUPPORT), actor=fra, options=PAPER, deciding=STATES
        )
    with pytest.raises(NotAllowed, match="FRA does not decide"):
        check_mark(entry, actor=fra, options=PAPER, deciding=("DEU",))
    adviser = Actor("fra.adviser", Role.DELEGATION_ADVISER, "FRA")
    with pytest.raises(NotAllowed, match="may not speak for FRA"):
        check_mark(entry, actor=adviser, options=PAPER, deciding=STATES)


@pytest.mark.parametrize(
    ("title", "cost", "message"),
    [(" ", "", "may not be empty"), ("Send [an] envoy", "", "square"), ("Envoy", "[x]", "square")],
)
def test_an_option_reads_as_plain_text(title: str, cost: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Option("envoy", title, D, DIALOGUE, cost)


# -- agreeable and nearest misses ---------------------------------------------------------------


def test_what_all_can_live_with_and_who_stands_in_the_way() -> None:
    rows = marks(
        *everyone("envoy", Mark.SUPPORT),
        *everyone("air-policing"),
        ("FRA", "sanctions", Mark.CANNOT_ACCEPT),
        *everyone("sanctions", states=("CAN", "DEU", "EST", "POL")),
        *everyone("rebuttal", states=("CAN", "DEU")),
        ("DEU", "hotline", Mark.CANNOT_ACCEPT),
        ("USA", "hotline", Mark.CANNOT_ACCEPT),
        ("JPN", "cyber-team", Mark.CANNOT_ACCEPT),  # a partner outside the format: not counted
        *everyone("cyber-team", Mark.SUPPORT),
    )
    assert [o.id for o in agreeable(PAPER, rows, STATES)] == [
        "envoy",
        "air-policing",
        "cyber-team",
    ]
    misses = nearest_misses(PAPER, rows, STATES)
    assert [(m.option.id, m.cannot_accept, m.not_marked) for m in misses] == [
        ("sanctions", ("FRA",), ("USA",)),
        ("rebuttal", (), ("EST", "FRA", "POL", "USA")),
        ("hotline", ("DEU", "USA"), ("CAN", "EST", "FRA", "POL")),
    ]
    assert misses[0].reasons == {"FRA": "Too costly."}
    assert misses[0].blocking == ("FRA", "USA")


def test_a_state_that_has_not_marked_is_not_counted_as_agreeing() -> None:
    rows = marks(*everyone("envoy", states=STATES[:-1]))
    assert agreeable(PAPER, rows, STATES) == ()
    assert nearest_misses(PAPER, rows, STATES)[0].not_marked == ("USA",)


def test_with_nobody_deciding_nothing_is_agreeable() -> None:
    rows = marks(*everyone("envoy"))
    assert agreeable(PAPER, rows, ()) == ()
    assert nearest_misses(PAPER, rows, ()) == ()
    assert packages(PAPER, rows, ()) == ()


# -- properties ---------------------------------------------------------------------------------

option_lists = st.lists(
    st.tuples(st.sampled_from(list(Instrument)), st.sampled_from(list(Track))),
    min_size=0,
    max_size=9,
).map(
    lambda specs: tuple(
        Option(f"o{n}", f"Option {n}", instrument, track)
        for n, (instrument, track) in enumerate(specs)
    )
)


@st.composite
def papers(
    draw: st.DrawFn, max_options: int = 9
) -> tuple[tuple[Option, ...], list[OptionMark], tuple[str, ...]]:
    """Options, marks (mostly agreeing, so that packages exist) and the deciding states."""
    options = draw(option_lists)
    deciding = tuple(draw(st.sets(st.sampled_from(STATES[:4]), min_size=0, max_size=4)))
    voters = list(STATES[:5])  # one of them may not decide
    rows: list[tuple[str, str, Mark]] = []
    for option in options:
        for state in voters:
            if draw(st.integers(0, 9)) == 0:
                continue  # not marked
            weights = [Mark.SUPPORT] * 3 + [Mark.CAN_LIVE_WITH] * 5 + [Mark.CANNOT_ACCEPT]
            rows.append((state, option.id, draw(st.sampled_from(weights))))
            if draw(st.integers(0, 5)) == 0:  # changed its mind later
                rows.append((state, option.id, draw(st.sampled_from(list(Mark)))))
    shuffled = draw(st.permutations(marks(*rows)))
    return options, list(shuffled), deciding


def oracle_latest(rows: list[OptionMark]) -> dict[tuple[str, str], Mark]:
    out: dict[tuple[str, str], Mark] = {}
    for m in sorted(rows, key=lambda m: m.seq):
        out[(m.option_id, m.state)] = m.mark
    return out


def rank_of(p: Package) -> tuple[int, int, int]:
    return (-len(p.instruments), -p.support, len(p.options))


@settings(max_examples=300)
@given(papers())
def test_an_option_anyone_deciding_cannot_accept_is_never_offered(
    paper: tuple[tuple[Option, ...], list[OptionMark], tuple[str, ...]],
) -> None:
    options, rows, deciding = paper
    latest = oracle_latest(rows)
    refused = {
        o.id for o in options if any(latest.get((o.id, s)) is Mark.CANNOT_ACCEPT for s in deciding)
    }
    offered = {o.id for o in agreeable(options, rows, deciding)}
    assert not offered & refused
    for p in packages(options, rows, deciding, min_instruments=1):
        assert not set(p.ids) & refused


@settings(max_examples=300)
@given(papers())
def test_agreeable_means_every_deciding_state_marked_it_acceptable(
    paper: tuple[tuple[Option, ...], list[OptionMark], tuple[str, ...]],
) -> None:
    options, rows, deciding = paper
    latest = oracle_latest(rows)
    expected = [
        o.id
        for o in options
        if deciding
        and all(latest.get((o.id, s)) in (Mark.SUPPORT, Mark.CAN_LIVE_WITH) for s in deciding)
    ]
    assert [o.id for o in agreeable(options, rows, deciding)] == expected


@settings(max_examples=300)
@given(papers())
def test_nearest_misses_name_exactly_the_blocking_states(
    paper: tuple[tuple[Option, ...], list[OptionMark], tuple[str, ...]],
) -> None:
    options, rows, deciding = paper
    latest = oracle_latest(rows)
    misses = nearest_misses(options, rows, deciding)
    ok = {o.id for o in agreeable(options, rows, deciding)}
    if deciding:
        assert {m.option.id for m in misses} | ok == {o.id for o in options}
    assert not {m.option.id for m in misses} & ok
    for m in misses:
        refusing = tuple(
            sorted(s for s in deciding if latest.get((m.option.id, s)) is Mark.CANNOT_ACCEPT)
        )
        silent = tuple(sorted(s for s in deciding if (m.option.id, s) not in latest))
        assert (m.cannot_accept, m.not_marked) == (refusing, silent)
        assert m.blocking and set(m.blocking) <= set(deciding)
        assert set(m.reasons) == set(refusing)
    sizes = [len(m.blocking) for m in misses]
    assert sizes == sorted(sizes)


@settings(max_examples=300)
@given(papers(), st.integers(1, 4), st.integers(1, 5))
def test_packages_hold_agreeable_options_covering_enough_instruments_best_first(
    paper: tuple[tuple[Option, ...], list[OptionMark], tuple[str, ...]],
    min_instruments: int,
    max_size: int,
) -> None:
    options, rows, deciding = paper
    ok = {o.id for o in agreeable(options, rows, deciding)}
    found = packages(
        options, rows, deciding, min_instruments=min_instruments, max_size=max_size, limit=20
    )
    assert len({p.ids for p in found}) == len(found)
    for p in found:
        assert p.options and set(p.ids) <= ok
        assert len(p.instruments) >= min_instruments
        assert p.instruments == {o.instrument for o in p.options}
        assert len(p.options) <= max_size
        assert list(p.ids) == [o.id for o in options if o.id in set(p.ids)]  # paper order
    assert [rank_of(p) for p in found] == sorted(rank_of(p) for p in found)


@settings(max_examples=200)
@given(papers(), st.integers(1, 3), st.integers(1, 4))
def test_the_first_package_is_as_good_as_any(
    paper: tuple[tuple[Option, ...], list[OptionMark], tuple[str, ...]],
    min_instruments: int,
    max_size: int,
) -> None:
    options, rows, deciding = paper
    pool = agreeable(options, rows, deciding)
    latest = oracle_latest(rows)
    best: tuple[int, int, int] | None = None
    for size in range(1, max_size + 1):
        for combo in itertools.combinations(pool, size):
            covered = len({o.instrument for o in combo})
            if covered < min_instruments:
                continue
            support = sum(latest[(o.id, s)] is Mark.SUPPORT for o in combo for s in deciding)
            rank = (-covered, -support, size)
            best = rank if best is None or rank < best else best
    found = packages(
        options, rows, deciding, min_instruments=min_instruments, max_size=max_size, beam=4
    )
    assert (rank_of(found[0]) if found else None) == best


def test_packages_stay_within_bounds_with_forty_options() -> None:
    options = tuple(
        Option(f"o{n}", f"Option {n}", list(Instrument)[n % 6], list(Track)[n % 2])
        for n in range(40)
    )
    rows = marks(
        *(
            (s, o.id, Mark.SUPPORT if (n + k) % 3 == 0 else Mark.CAN_LIVE_WITH)
            for n, o in enumerate(options)
            for k, s in enumerate(STATES)
        )
    )
    found = packages(options, rows, STATES, min_instruments=4, max_size=6, limit=5)
    assert len(found) == 5
    assert all(len(p.instruments) == 6 for p in found)


def test_packages_refuse_nonsense_bounds() -> None:
    with pytest.raises(InvalidInput, match="at least one instrument"):
        packages(PAPER, [], STATES, min_instruments=0)
    with pytest.raises(InvalidInput, match="must be positive"):
        packages(PAPER, [], STATES, max_size=0)


def test_more_instruments_than_options_allowed_finds_nothing() -> None:
    rows = marks(*(r for o in PAPER for r in everyone(o.id)))
    assert packages(PAPER, rows, STATES, min_instruments=3, max_size=2) == ()


# -- choosing a package and drafting --------------------------------------------------------------


def test_a_chosen_package_must_be_agreeable() -> None:
    rows = marks(*everyone("envoy"), *everyone("cyber-team"), ("FRA", "hotline", Mark.SUPPORT))
    chosen = check_package(["cyber-team", "envoy", "envoy"], PAPER, rows, STATES)
    assert [o.id for o in chosen] == ["envoy", "cyber-team"]
    with pytest.raises(InvalidInput, match="'hotline': CAN, DEU, EST, POL, USA stand in the way"):
        check_package(["envoy", "hotline"], PAPER, rows, STATES)
    with pytest.raises(NotFound, match="no option 'ghost'"):
        check_package(["ghost"], PAPER, rows, STATES)
    with pytest.raises(InvalidInput, match="at least one option"):
        check_package([], PAPER, rows, STATES)
    with pytest.raises(InvalidInput, match="no state decides"):
        check_package(["envoy"], PAPER, rows, ())


def test_a_draft_decision_states_the_decision_then_each_option_by_instrument() -> None:
    package = [PAPER[5], PAPER[0], PAPER[1], PAPER[4]]
    paragraphs = draft_decision_text("a neighbour's military build-up", package)
    assert paragraphs == [
        "Having consulted on a neighbour's military build-up, the Council decides to take the "
        "following 4 measures together, as one package using the diplomatic, military and "
        "cyber instruments.",
        "Diplomatic measure (dialogue track): Send a special envoy to the capital. "
        "Cost or effort: Two weeks of travel.",
        "Diplomatic measure (dialogue track): Reopen the military hotline.",
        "Military measure (deterrence and defence track): Reinforce air policing on the "
        "eastern flank. Cost or effort: High.",
        "Cyber measure (deterrence and defence track): Deploy a cyber rapid-response team. "
        "Cost or effort: Medium.",
    ]


def test_a_draft_takes_a_package_and_refuses_what_cannot_be_drafted() -> None:
    package = Package((PAPER[2],), frozenset({E}), 0)
    assert draft_decision_text("Sanctions", package, body="the Economic Committee")[0] == (
        "Having consulted on Sanctions, the Economic Committee decides to take the following "
        "one measure together, as one package using the economic instrument."
    )
    with pytest.raises(InvalidInput, match="square brackets"):
        draft_decision_text("The [hostile] neighbour", package)
    with pytest.raises(InvalidInput, match="at least one option"):
        draft_decision_text("Sanctions", [])


@settings(max_examples=200)
@given(option_lists.filter(bool), st.text(min_size=1, max_size=30).filter(str.strip))
def test_drafts_never_hold_square_brackets_and_keep_every_option(
    options: tuple[Option, ...], title: str
) -> None:
    title = title.replace("[", "(").replace("]", ")")
    paragraphs = draft_decision_text(title, options)
    assert len(paragraphs) == len(options) + 1
    assert not any("[" in p or "]" in p for p in paragraphs)
    order = list(Instrument)
    shown = [next(i for i in order if p.startswith(i.label.capitalize())) for p in paragraphs[1:]]
    assert shown == sorted(shown, key=order.index)


def test_both_tracks_side_by_side() -> None:
    tracks = by_track(PAPER)
    assert list(tracks) == [DETER, DIALOGUE]
    assert [o.id for o in tracks[DIALOGUE]] == ["envoy", "hotline"]
    assert by_track(PAPER[1:4])[DIALOGUE] == ()
