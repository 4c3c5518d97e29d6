"""Classification levels and markings (classification plus releasability)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum


class Classification(IntEnum):
    """Levels from lowest to highest; the integer order is the order of protection."""

    PUBLIC = 0
    UNCLASSIFIED = 1
    RESTRICTED = 2
    CONFIDENTIAL = 3
    SECRET = 4
    COSMIC_TOP_SECRET = 5

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def needs_clearance(self) -> bool:
        """Clearance is needed for CONFIDENTIAL and above (not for RESTRICTED)."""
        return self >= Classification.CONFIDENTIAL

    @classmethod
    def parse(cls, text: str) -> Classification:
        key = text.strip().upper().replace("NATO ", "").replace(" ", "_")
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown classification {text!r}") from None


_LABELS = {
    Classification.PUBLIC: "PUBLIC",
    Classification.UNCLASSIFIED: "NATO UNCLASSIFIED",
    Classification.RESTRICTED: "NATO RESTRICTED",
    Classification.CONFIDENTIAL: "NATO CONFIDENTIAL",
    Classification.SECRET: "NATO SECRET",
    Classification.COSMIC_TOP_SECRET: "COSMIC TOP SECRET",
}


@dataclass(frozen=True, slots=True)
class Marking:
    level: Classification
    releasable_to: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, level: Classification, releasable_to: Iterable[str] = ()) -> Marking:
        return cls(level, frozenset(releasable_to))

    @property
    def banner(self) -> str:
        """The text shown at the top and bottom of a document."""
        if self.releasable_to and self.level > Classification.PUBLIC:
            return f"{self.level.label} Releasable to {', '.join(sorted(self.releasable_to))}"
        return self.level.label
