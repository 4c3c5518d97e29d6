"""Decision rules, as data: consensus, unanimity, consensus minus one, qualified majority.

A rule looks only at the *stances* of the deciding participants: what each one's latest position
amounts to once conditions (ministerial countersignature, ad referendum confirmation) are taken
into account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from concord.domain.errors import InvalidInput, _


class Stance(StrEnum):
    CONSENT = "consent"  # agrees (or, where silence means consent, said nothing)
    ABSTAIN = "abstain"  # does not agree and does not object
    OBJECT = "object"  # an effective objection
    OUTSTANDING = "outstanding"  # not yet agreed: no reply, unconfirmed ad ref, scrutiny
    STAND_ASIDE = "stand_aside"  # not bound, not counted


class RuleKind(StrEnum):
    CONSENSUS = "consensus"
    UNANIMITY = "unanimity"
    CONSENSUS_MINUS_ONE = "consensus_minus_one"
    QUALIFIED_MAJORITY = "qualified_majority"


@dataclass(frozen=True, slots=True)
class DecisionRule:
    kind: RuleKind = RuleKind.CONSENSUS
    states_share: Decimal = Decimal("0")
    population_share: Decimal = Decimal("0")
    blocking_minority: int = 0

    def __post_init__(self) -> None:
        if self.kind is RuleKind.QUALIFIED_MAJORITY:
            for share in (self.states_share, self.population_share):
                if not Decimal("0") < share <= Decimal("1"):
                    raise InvalidInput(_("qualified-majority shares must be above 0 and at most 1"))
            if self.blocking_minority < 0:
                raise InvalidInput(_("the blocking minority cannot be negative"))

    @property
    def label(self) -> str:
        if self.kind is RuleKind.QUALIFIED_MAJORITY:
            text = (
                f"qualified majority ({self.states_share:.0%} of states, "
                f"{self.population_share:.0%} of population"
            )
            if self.blocking_minority:
                text += f", blocking minority of at least {self.blocking_minority}"
            return text + ")"
        return self.kind.value.replace("_", " ")

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value}
        if self.kind is RuleKind.QUALIFIED_MAJORITY:
            data |= {
                "states_share": str(self.states_share),
                "population_share": str(self.population_share),
                "blocking_minority": self.blocking_minority,
            }
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> DecisionRule:
        if not data:
            return cls()
        try:
            kind = RuleKind(data["kind"])
            if kind is not RuleKind.QUALIFIED_MAJORITY:
                return cls(kind)
            return cls(
                kind,
                Decimal(str(data["states_share"])),
                Decimal(str(data["population_share"])),
                int(data.get("blocking_minority", 0)),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise InvalidInput(_("not a decision rule: {data}"), data=repr(dict(data))) from exc

    def adopts(
        self, stances: Mapping[str, Stance], populations: Mapping[str, Decimal] | None = None
    ) -> bool:
        """Whether these stances adopt the text. Stand-asides are neither counted nor bound; a
        decision with nobody counted is never adopted."""
        counted = {s: v for s, v in stances.items() if v is not Stance.STAND_ASIDE}
        if not counted:
            return False
        values = list(counted.values())
        not_agreeing = sum(1 for v in values if v in (Stance.OBJECT, Stance.OUTSTANDING))
        match self.kind:
            case RuleKind.CONSENSUS:
                return not_agreeing == 0
            case RuleKind.UNANIMITY:
                return all(v is Stance.CONSENT for v in values)
            case RuleKind.CONSENSUS_MINUS_ONE:
                return not_agreeing <= 1
            case RuleKind.QUALIFIED_MAJORITY:
                return self._qualified(counted, populations or {})
        raise AssertionError(self.kind)  # pragma: no cover

    def _qualified(self, counted: Mapping[str, Stance], populations: Mapping[str, Decimal]) -> bool:
        favour = [s for s, v in counted.items() if v is Stance.CONSENT]
        if Decimal(len(favour)) < self.states_share * len(counted):
            return False
        opposing = len(counted) - len(favour)
        if self.blocking_minority and opposing < self.blocking_minority:
            return True
        total = sum((populations.get(s, Decimal(0)) for s in counted), Decimal(0))
        if total == 0:
            return False
        in_favour = sum((populations.get(s, Decimal(0)) for s in favour), Decimal(0))
        return in_favour >= self.population_share * total
