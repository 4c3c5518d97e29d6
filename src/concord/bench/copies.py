"""Many procedures at once for the benchmarks: copies of one, inserted together (run in a Django
process on the benchmark's database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any


def copy_procedures(
    template: Any,
    numbers: range,
    *,
    title: Callable[[int], str],
    opened_at: datetime,
    expires_at: datetime,
    revision_id: int | None = None,
) -> list[Any]:
    """Procedures like ``template`` (its kind, body, rule, settings and deciding participants),
    open, one for each of ``numbers``, with one INSERT for them and one for their participants."""
    from concord.procedures.models import Participant, Procedure

    members = list(template.participants.values_list("state_id", "population_millions"))
    rows = Procedure.objects.bulk_create(
        Procedure(
            kind=template.kind,
            body_id=template.body_id,
            revision_id=revision_id,
            title=title(n),
            rule=template.rule,
            minimum_silence=template.minimum_silence,
            ministerial_objections=template.ministerial_objections,
            coalitions_within=template.coalitions_within,
            opened_by_id=template.opened_by_id,
            opened_at=opened_at,
            expires_at=expires_at,
            state="open",
        )
        for n in numbers
    )
    Participant.objects.bulk_create(
        (
            Participant(procedure_id=p.pk, state_id=state, population_millions=population)
            for p in rows
            for state, population in members
        ),
        batch_size=5000,
    )
    return rows
