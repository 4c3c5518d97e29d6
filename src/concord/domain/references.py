"""Document reference numbers: ``PO(2026)0042``, revisions ``PO(2026)0042-REV1``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SERIES = re.compile(r"^[A-Z][A-Z0-9/\-]{0,15}$")
_REFERENCE = re.compile(
    r"^(?P<series>[A-Z][A-Z0-9/\-]{0,15}?)\((?P<year>\d{4})\)(?P<number>\d{4,})(?:-REV(?P<rev>\d+))?$"
)


def valid_series(code: str) -> bool:
    return bool(_SERIES.match(code))


@dataclass(frozen=True, slots=True, order=True)
class Reference:
    series: str
    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.series}({self.year}){self.number:04d}"

    def revision(self, n: int) -> str:
        """The reference of revision ``n``; revision 0 is the original document."""
        return str(self) if n == 0 else f"{self}-REV{n}"

    @classmethod
    def parse(cls, text: str) -> tuple[Reference, int | None]:
        """Parse ``PO(2026)0042`` or ``PO(2026)0042-REV1``; the second item is the revision
        number if one was given."""
        match = _REFERENCE.match(text.strip().upper())
        if not match:
            raise ValueError(f"{text!r} is not a reference like PO(2026)0042")
        rev = match.group("rev")
        ref = cls(match.group("series"), int(match.group("year")), int(match.group("number")))
        return ref, (int(rev) if rev is not None else None)
