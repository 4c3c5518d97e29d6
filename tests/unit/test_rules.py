"""Decision rules: consensus, unanimity, consensus minus one and qualified majority."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.errors import InvalidInput
from concord.domain.rules import DecisionRule, RuleKind, Stance

STATES = ("BEL", "CAN", "DEU", "DNK", "FRA", "GBR", "ITA", "NLD", "NOR", "USA")
NOT_AGREEING = (Stance.OBJECT, Stance.OUTSTANDING)

CONSENSUS = DecisionRule(RuleKind.CONSENSUS)
UNANIMITY = DecisionRule(RuleKind.UNANIMITY)
CONSENSUS_MINUS_ONE = DecisionRule(RuleKind.CONSENSUS_MINUS_ONE)
CONSENSUS_RULES = (CONSENSUS, UNANIMITY, CONSENSUS_MINUS_ONE)
EU_QMV = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.55"), Decimal("0.65"), 4)

stance_maps = st.dictionaries(st.sampled_from(STATES), st.sampled_from(list(Stance)), max_size=10)
populations = st.dictionaries(
    st.sampled_from(STATES),
    st.decimals(min_value=0, max_value=100_000, places=1, allow_nan=False, allow_infinity=False),
)
shares = st.decimals(
    min_value=Decimal("0.01"), max_value=1, places=2, allow_nan=False, allow_infinity=False
)
qmv_rules = st.builds(
    DecisionRule,
    st.just(RuleKind.QUALIFIED_MAJORITY),
    shares,
    shares,
    st.integers(min_value=0, max_value=6),
)
any_rule = st.one_of(st.sampled_from(CONSENSUS_RULES), qmv_rules)


def counted(stances: dict[str, Stance]) -> dict[str, Stance]:
    return {s: v for s, v in stances.items() if v is not Stance.STAND_ASIDE}


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=300)
@given(stance_maps)
def test_consensus_is_the_absence_of_objection(stances: dict[str, Stance]) -> None:
    live = counted(stances)
    expected = bool(live) and not any(v in NOT_AGREEING for v in live.values())
    assert CONSENSUS.adopts(stances) is expected


@settings(max_examples=200)
@given(any_rule, stance_maps, populations)
def test_nobody_counted_is_never_adopted(
    rule: DecisionRule, stances: dict[str, Stance], pops: dict[str, Decimal]
) -> None:
    all_aside = dict.fromkeys(stances, Stance.STAND_ASIDE)
    assert rule.adopts(all_aside, pops) is False


@settings(max_examples=200)
@given(any_rule, stance_maps, populations, st.sampled_from(STATES))
def test_an_extra_stand_aside_changes_nothing(
    rule: DecisionRule, stances: dict[str, Stance], pops: dict[str, Decimal], extra: str
) -> None:
    stances.pop(extra, None)
    before = rule.adopts(stances, pops)
    assert rule.adopts(stances | {extra: Stance.STAND_ASIDE}, pops) is before


@settings(max_examples=300)
@given(any_rule, stance_maps, populations, st.data())
def test_standing_aside_instead_of_not_consenting_never_rejects_an_adopted_text(
    rule: DecisionRule, stances: dict[str, Stance], pops: dict[str, Decimal], data: st.DataObject
) -> None:
    candidates = sorted(
        s for s, v in stances.items() if v not in (Stance.CONSENT, Stance.STAND_ASIDE)
    )
    if not candidates or not rule.adopts(stances, pops):
        return
    who = data.draw(st.sampled_from(candidates))
    after = stances | {who: Stance.STAND_ASIDE}
    if not counted(after):
        return
    assert rule.adopts(after, pops), (who, stances)


@settings(max_examples=300)
@given(st.sampled_from(CONSENSUS_RULES), stance_maps, st.data())
def test_under_consensus_rules_anyone_may_stand_aside_without_rejecting(
    rule: DecisionRule, stances: dict[str, Stance], data: st.DataObject
) -> None:
    live = sorted(counted(stances))
    if not live or not rule.adopts(stances):
        return
    who = data.draw(st.sampled_from(live))
    after = stances | {who: Stance.STAND_ASIDE}
    if not counted(after):
        return
    assert rule.adopts(after), (rule.kind, who, stances)


@settings(max_examples=300)
@given(stance_maps)
def test_unanimity_implies_consensus_implies_consensus_minus_one(
    stances: dict[str, Stance],
) -> None:
    if UNANIMITY.adopts(stances):
        assert CONSENSUS.adopts(stances)
    if CONSENSUS.adopts(stances):
        assert CONSENSUS_MINUS_ONE.adopts(stances)


@settings(max_examples=200)
@given(stance_maps)
def test_consensus_minus_one_tolerates_exactly_one_hold_out(stances: dict[str, Stance]) -> None:
    live = counted(stances)
    holding_out = sum(1 for v in live.values() if v in NOT_AGREEING)
    assert CONSENSUS_MINUS_ONE.adopts(stances) is (bool(live) and holding_out <= 1)


# -- examples -----------------------------------------------------------------------------------


def test_consensus_examples() -> None:
    assert CONSENSUS.adopts({"BEL": Stance.CONSENT, "FRA": Stance.CONSENT})
    assert CONSENSUS.adopts({"BEL": Stance.CONSENT, "FRA": Stance.ABSTAIN})
    assert not CONSENSUS.adopts({"BEL": Stance.CONSENT, "FRA": Stance.OBJECT})
    assert not CONSENSUS.adopts({"BEL": Stance.CONSENT, "FRA": Stance.OUTSTANDING})
    assert CONSENSUS.adopts({"BEL": Stance.CONSENT, "FRA": Stance.STAND_ASIDE})
    assert not CONSENSUS.adopts({})


def test_unanimity_needs_every_counted_participant_to_consent() -> None:
    assert UNANIMITY.adopts({"BEL": Stance.CONSENT, "FRA": Stance.CONSENT})
    assert not UNANIMITY.adopts({"BEL": Stance.CONSENT, "FRA": Stance.ABSTAIN})
    assert UNANIMITY.adopts({"BEL": Stance.CONSENT, "FRA": Stance.STAND_ASIDE})


def test_consensus_minus_one_examples() -> None:
    one = {"BEL": Stance.CONSENT, "DEU": Stance.CONSENT, "FRA": Stance.OBJECT}
    assert CONSENSUS_MINUS_ONE.adopts(one)
    assert not CONSENSUS_MINUS_ONE.adopts(one | {"DEU": Stance.OUTSTANDING})


def _eu(in_favour: int, against: int) -> dict[str, Stance]:
    names = [f"S{i:02d}" for i in range(in_favour + against)]
    return {n: (Stance.CONSENT if i < in_favour else Stance.OBJECT) for i, n in enumerate(names)}


def _pops(
    stances: dict[str, Stance], favour_pop: Decimal, against_pop: Decimal
) -> dict[str, Decimal]:
    favour = [s for s, v in stances.items() if v is Stance.CONSENT]
    against = [s for s, v in stances.items() if v is not Stance.CONSENT]
    return {s: favour_pop / len(favour) for s in favour} | {
        s: against_pop / len(against) for s in against
    }


def test_eu_qmv_55_percent_of_states_and_65_percent_of_population() -> None:
    stances = _eu(15, 12)  # 15 of 27 states = 55.6 %
    assert EU_QMV.adopts(stances, _pops(stances, Decimal("70"), Decimal("30")))
    # the same states, but only 60 % of the population, and twelve states blocking
    assert not EU_QMV.adopts(stances, _pops(stances, Decimal("60"), Decimal("40")))


def test_eu_qmv_fails_without_enough_states_whatever_the_population() -> None:
    stances = _eu(14, 13)  # 14 of 27 = 51.9 %
    assert not EU_QMV.adopts(stances, _pops(stances, Decimal("95"), Decimal("5")))


def test_eu_qmv_blocking_minority_needs_four_states() -> None:
    three = _eu(24, 3)  # three large states hold 40 % of the population: no blocking minority
    assert EU_QMV.adopts(three, _pops(three, Decimal("60"), Decimal("40")))
    four = _eu(23, 4)  # four states holding 40 %: they block
    assert not EU_QMV.adopts(four, _pops(four, Decimal("60"), Decimal("40")))
    without_minority = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.55"), Decimal("0.65"))
    assert not without_minority.adopts(three, _pops(three, Decimal("60"), Decimal("40")))


def test_eu_qmv_thresholds_are_inclusive() -> None:
    rule = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.55"), Decimal("0.65"))
    eleven = _eu(11, 9)  # exactly 55 % of 20 states
    assert rule.adopts(eleven, _pops(eleven, Decimal("65"), Decimal("35")))  # exactly 65 %
    assert not rule.adopts(eleven, _pops(eleven, Decimal("64.9"), Decimal("35.1")))
    ten = _eu(10, 10)
    assert not rule.adopts(ten, _pops(ten, Decimal("99"), Decimal("1")))


def test_qmv_abstentions_and_outstanding_do_not_count_in_favour() -> None:
    rule = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.5"), Decimal("0.5"))
    pops = {"BEL": Decimal("10"), "DEU": Decimal("80"), "FRA": Decimal("10")}
    assert not rule.adopts(
        {"BEL": Stance.CONSENT, "DEU": Stance.ABSTAIN, "FRA": Stance.CONSENT}, pops
    )
    assert rule.adopts({"BEL": Stance.CONSENT, "DEU": Stance.CONSENT, "FRA": Stance.OBJECT}, pops)
    # a stand-aside is not counted, not even in the population total
    assert rule.adopts(
        {"BEL": Stance.CONSENT, "DEU": Stance.STAND_ASIDE, "FRA": Stance.CONSENT}, pops
    )


def test_qmv_without_any_population_is_not_adopted() -> None:
    rule = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.5"), Decimal("0.5"))
    assert not rule.adopts({"BEL": Stance.CONSENT, "FRA": Stance.CONSENT})
    assert not rule.adopts({"BEL": Stance.CONSENT}, {"BEL": Decimal(0)})


# -- validation, labels and data ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("states_share", "population_share", "blocking"),
    [
        (Decimal("0"), Decimal("0.65"), 0),
        (Decimal("0.55"), Decimal("0"), 0),
        (Decimal("1.01"), Decimal("0.65"), 0),
        (Decimal("0.55"), Decimal("-0.1"), 0),
        (Decimal("0.55"), Decimal("0.65"), -1),
    ],
)
def test_qmv_parameters_are_validated(
    states_share: Decimal, population_share: Decimal, blocking: int
) -> None:
    with pytest.raises(InvalidInput):
        DecisionRule(RuleKind.QUALIFIED_MAJORITY, states_share, population_share, blocking)


def test_the_default_rule_is_consensus() -> None:
    assert DecisionRule() == CONSENSUS
    assert DecisionRule.from_data(None) == CONSENSUS
    assert DecisionRule.from_data({}) == CONSENSUS


def test_labels() -> None:
    assert CONSENSUS.label == "consensus"
    assert CONSENSUS_MINUS_ONE.label == "consensus minus one"
    assert EU_QMV.label == (
        "qualified majority (55% of states, 65% of population, blocking minority of at least 4)"
    )
    plain = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.5"), Decimal("1"))
    assert plain.label == "qualified majority (50% of states, 100% of population)"


def test_to_data() -> None:
    assert CONSENSUS.to_data() == {"kind": "consensus"}
    assert EU_QMV.to_data() == {
        "kind": "qualified_majority",
        "states_share": "0.55",
        "population_share": "0.65",
        "blocking_minority": 4,
    }


@settings(max_examples=200)
@given(any_rule)
def test_to_data_from_data_round_trip(rule: DecisionRule) -> None:
    assert DecisionRule.from_data(rule.to_data()) == rule


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=10),
    st.text(max_size=6),
    st.sampled_from(["0.55", "0.65", "2", "NaN", "Infinity", "-1", "abc"]),
    st.sampled_from([k.value for k in RuleKind]),
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)
)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from([k.value for k in RuleKind]) | json_values,
            "states_share": st.sampled_from(["0.55", "0.65"]) | json_values,
            "population_share": st.sampled_from(["0.55", "0.65"]) | json_values,
            "blocking_minority": st.integers(0, 5) | json_values,
        },
    )
)
def test_from_data_refuses_garbage_with_invalid_input_only(data: dict[str, object]) -> None:
    try:
        rule = DecisionRule.from_data(data)
    except InvalidInput:
        return
    assert isinstance(rule, DecisionRule)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "majority"},
        {"kind": "qualified_majority"},
        {"kind": "qualified_majority", "states_share": "x", "population_share": "0.6"},
        {"kind": "qualified_majority", "states_share": "NaN", "population_share": "0.6"},
        {"kind": "qualified_majority", "states_share": "2", "population_share": "0.6"},
        {
            "kind": "qualified_majority",
            "states_share": "0.5",
            "population_share": "0.6",
            "blocking_minority": None,
        },
    ],
)
def test_from_data_refuses_what_is_not_a_rule(data: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        DecisionRule.from_data(data)
