"""Procedures as plain data, the same for the CLI's JSON, its text and (later) the API."""

from __future__ import annotations

from typing import Any

from concord.domain.canonical import format_instant
from concord.domain.deadlines import deadline_text
from concord.domain.procedures import Evaluation, Kind, State
from concord.domain.rules import DecisionRule
from concord.procedures.models import Procedure
from concord.services import labels


def _when(value: Any) -> str | None:
    return format_instant(value) if value is not None else None


def summary(p: Procedure, ev: Evaluation) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "title": p.title,
        "body": p.body.code,
        "format": p.format.code if p.format else None,
        "document": p.revision.reference if p.revision else None,
        "state": ev.state.value,
        "state_label": labels.state_label(p.kind, ev),
        "recorded_state": p.state,
        "opened_at": _when(p.opened_at),
        "expires_at": _when(p.expires_at),
        "expiry_text": deadline_text(p.expires_at, p.body.seat_timezone),
        "decided_at": _when(ev.decided_at),
        "objecting": list(ev.objecting),
        "pending": list(ev.pending),
    }


def detail(p: Procedure, ev: Evaluation) -> dict[str, Any]:
    data = summary(p, ev)
    decision = getattr(p, "decision", None)
    data |= {
        "rule": DecisionRule.from_data(p.rule).to_data(),
        "ministerial_objections": p.ministerial_objections,
        "coalitions_within": p.coalitions_within,
        "participants": [
            {
                "state": s.state,
                "stance": s.stance.value,
                "latest": s.latest.value if s.latest else None,
                "pending": s.pending_objection,
            }
            for s in ev.participants.values()
        ],
        "positions": [
            {
                "seq": x.pk,
                "state": x.state_id,
                "kind": x.kind,
                "grounds": x.grounds or None,
                "statement": x.statement,
                "paragraph": x.paragraph,
                "filed_by": x.filed_by.username,
                "ministerial": x.ministerial,
                "at": _when(x.at),
            }
            for x in p.positions.all()
        ],
        "outcome": {
            "state": ev.state.value,
            "decided_at": _when(ev.decided_at),
            "final": ev.state.final,
            "recorded": State(p.state).final,
            "called_up_by": list(ev.called_up_by),
            "bound": list(ev.bound) if ev.state is State.ADOPTED else [],
        },
        "decision": None
        if decision is None
        else {
            "number": decision.number,
            "reference": decision.reference,
            "text_sha256": decision.text_sha256,
            "adopted_at": _when(decision.adopted_at),
            "bound": decision.bound,
            "standing_aside": decision.standing_aside,
            "footnotes": decision.footnotes,
            "statements": decision.statements,
        },
    }
    return data


def detail_text(d: dict[str, Any]) -> str:
    lines = [
        f"Procedure {d['id']}: {d['title']}",
        f"  kind       {Kind(d['kind']).label}",
        f"  body       {d['body']}" + (f" / {d['format']}" if d["format"] else ""),
        f"  document   {d['document'] or '-'}",
        f"  state      {d['state_label']}",
        f"  expiry     {d['expiry_text']}",
        f"  rule       {DecisionRule.from_data(d['rule']).label}",
        f"  deciding   {len(d['participants'])}: "
        + " ".join(x["state"] for x in d["participants"]),
    ]
    if d["objecting"]:
        lines.append(f"  objecting  {' '.join(d['objecting'])}")
    if d["pending"]:
        lines.append(
            f"  pending    {' '.join(d['pending'])} (awaiting ministerial countersignature)"
        )
    for x in d["positions"]:
        lines.append(
            f"  - {x['at']} {x['state']} {x['kind']} by {x['filed_by']}"
            + (f": {x['statement']}" if x["statement"] else "")
        )
    if d["decision"]:
        dec = d["decision"]
        lines.append(
            f"  decision   {dec['number']} adopted {dec['adopted_at']}, sha256 {dec['text_sha256']}"
        )
    return "\n".join(lines)
