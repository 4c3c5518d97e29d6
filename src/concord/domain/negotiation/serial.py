"""Plain data (JSON-ready dicts and lists) for paragraphs and changes, and back.

What the database stores and the API shows. ``from_data(to_data(x)) == x`` for every value; data
that does not describe a valid value raises :class:`InvalidInput`, never anything else.
"""

from __future__ import annotations

from typing import Any

from concord.domain.errors import InvalidInput, _
from concord.domain.negotiation.amendments import (
    Change,
    DeleteParagraph,
    DeleteSpan,
    InsertParagraph,
    ReplaceParagraph,
    ReplaceSpan,
)
from concord.domain.negotiation.model import (
    Alternative,
    Bracket,
    BracketKind,
    Language,
    Paragraph,
    Segment,
)


def segments_to_data(segments: tuple[Segment, ...]) -> list[Any]:
    out: list[Any] = []
    for s in segments:
        if isinstance(s, str):
            out.append(s)
        else:
            out.append(
                {
                    "bracket": s.id,
                    "kind": s.kind.value,
                    "note": s.note,
                    "alternatives": [
                        {"wording": a.wording, "holders": sorted(a.holders)} for a in s.alternatives
                    ],
                }
            )
    return out


def paragraph_to_data(p: Paragraph) -> dict[str, Any]:
    return {
        "id": p.id,
        "en": segments_to_data(p.en),
        "fr": segments_to_data(p.fr),
        "aligned": list(p.aligned) if p.aligned is not None else None,
    }


def _bad() -> InvalidInput:
    return InvalidInput(_("the stored or given text is not in the expected form"))


def segments_from_data(data: Any) -> tuple[Segment, ...]:
    if not isinstance(data, list):
        raise _bad()
    out: list[Segment] = []
    for item in data:
        if isinstance(item, str):
            out.append(item)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("alternatives"), list):
            raise _bad()
        alternatives = []
        for a in item["alternatives"]:
            if not isinstance(a, dict) or not isinstance(a.get("wording"), str):
                raise _bad()
            holders = a.get("holders", [])
            if not isinstance(holders, list) or not all(isinstance(h, str) for h in holders):
                raise _bad()
            alternatives.append(Alternative(a["wording"], frozenset(holders)))
        bracket_id, kind, note = (
            item.get("bracket"),
            item.get("kind", "alternative"),
            item.get("note", ""),
        )
        if not isinstance(bracket_id, str) or not isinstance(note, str):
            raise _bad()
        try:
            bracket_kind = BracketKind(kind)
        except ValueError:
            raise _bad() from None
        out.append(Bracket(bracket_id, tuple(alternatives), bracket_kind, note))
    return tuple(out)


def paragraph_from_data(data: Any) -> Paragraph:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise _bad()
    aligned = data.get("aligned")
    if aligned is not None:
        if not (
            isinstance(aligned, list)
            and len(aligned) == 2
            and all(isinstance(d, str) for d in aligned)
        ):
            raise _bad()
        aligned = (aligned[0], aligned[1])
    return Paragraph(
        data["id"],
        segments_from_data(data.get("en", [])),
        segments_from_data(data.get("fr", [])),
        aligned,
    )


def change_to_data(change: Change) -> dict[str, Any]:
    if isinstance(change, InsertParagraph):
        return {
            "op": "insert_paragraph",
            "after": change.after,
            "paragraph": paragraph_to_data(change.paragraph),
        }
    if isinstance(change, ReplaceSpan):
        return {
            "op": "replace_span",
            "paragraph_id": change.paragraph_id,
            "language": change.language.value,
            "old": change.old,
            "occurrence": change.occurrence,
            "new": segments_to_data(change.replacement),
        }
    if isinstance(change, DeleteSpan):
        return {
            "op": "delete_span",
            "paragraph_id": change.paragraph_id,
            "language": change.language.value,
            "old": change.old,
            "occurrence": change.occurrence,
        }
    if isinstance(change, DeleteParagraph):
        return {"op": "delete_paragraph", "paragraph_id": change.paragraph_id}
    return {"op": "replace_paragraph", "paragraph": paragraph_to_data(change.paragraph)}


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _bad()
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key, 1)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad()
    return value


def _language(data: dict[str, Any]) -> Language:
    try:
        return Language(data.get("language", "en"))
    except ValueError:
        raise _bad() from None


def change_from_data(data: Any) -> Change:
    if not isinstance(data, dict):
        raise _bad()
    op = data.get("op")
    if op == "insert_paragraph":
        after = data.get("after")
        if after is not None and not isinstance(after, str):
            raise _bad()
        return InsertParagraph(paragraph_from_data(data.get("paragraph")), after)
    if op == "replace_span":
        return ReplaceSpan(
            _str(data, "paragraph_id"),
            _str(data, "old"),
            segments_from_data(data.get("new")),
            _int(data, "occurrence"),
            _language(data),
        )
    if op == "delete_span":
        return DeleteSpan(
            _str(data, "paragraph_id"), _str(data, "old"), _int(data, "occurrence"), _language(data)
        )
    if op == "delete_paragraph":
        return DeleteParagraph(_str(data, "paragraph_id"))
    if op == "replace_paragraph":
        return ReplaceParagraph(paragraph_from_data(data.get("paragraph")))
    raise _bad()
