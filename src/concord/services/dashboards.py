"""A commitment's dashboard as a file: CSV (:func:`concord.services.policy.dashboard_csv`) or PDF
(:func:`concord.formats.dashboard.dashboard_pdf`). The caller has already checked that the reader
may see the commitment (``policy.get_commitment(pk, user)``); the figures are the states' own
published reports, so the files carry no marking."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from concord.domain.errors import InvalidInput, _
from concord.formats.dashboard import DashboardSheet, StateRow, dashboard_pdf
from concord.policy.models import Commitment
from concord.services import policy
from concord.services.exports import Export

FORMATS = ("csv", "pdf")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def sheet_of(data: dict[str, Any]) -> DashboardSheet:
    """The PDF's content from :func:`concord.services.policy.dashboard`'s data."""
    return DashboardSheet(
        title=data["title"],
        kind=data["kind"],
        on=data["on"],
        due=data["due"],
        target=data["target"],
        rows=tuple(
            StateRow(r["state"], r["name"], r["status"], r["figure"], r["expected"])
            for r in data["states"]
        ),
        series={
            state: {int(year): value for year, value in by_year.items()}
            for state, by_year in data["series"].items()
        },
        reference=f"Commitment {data['commitment']}",
    )


def dashboard_export(
    commitment: Commitment, fmt: str, *, on: date | None = None, now: datetime | None = None
) -> Export:
    """The dashboard of ``commitment`` on ``on`` (default: today) as ``csv`` or ``pdf``."""
    if fmt not in FORMATS:
        raise InvalidInput(_("export a dashboard as csv or pdf"))
    name = f"commitment-{commitment.pk}"
    if fmt == "csv":
        text = policy.dashboard_csv(commitment, on=on, now=now)
        return Export(f"{name}.csv", CONTENT_TYPES["csv"], text.encode())
    data = policy.dashboard(commitment, on=on, now=now)
    return Export(f"{name}.pdf", CONTENT_TYPES["pdf"], dashboard_pdf(sheet_of(data)))
