"""The rows of the text page, written straight to HTML.

A negotiated text can run to thousands of paragraphs, brackets and amendments; rendering each
piece through a template include costs milliseconds apiece. These functions write the same
markup with :func:`django.utils.html.escape` — every value is escaped, nothing typed by a user
reaches the page unescaped — and the template places the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from concord.documents.models import Amendment
from concord.domain import negotiation as core


def kind_label(kind: core.BracketKind) -> str:
    return {
        core.BracketKind.ALTERNATIVE: _("alternative wordings"),
        core.BracketKind.CONTENTIOUS: _("contentious"),
        core.BracketKind.TRADING: _("held for trading"),
        core.BracketKind.AWAITING_INSTRUCTIONS: _("awaiting instructions"),
    }[kind]


def _withheld() -> str:
    return _("Paragraph withheld: its marking is above what you may read.")


class Urls:
    """The page's action addresses, reversed once and filled in per row."""

    def __init__(self, reference: str) -> None:
        self.hold = reverse("document-hold", args=[reference, "BRACKET"]).replace("BRACKET", "{}")
        self.stance = reverse("document-stance", args=[reference, "PARA"]).replace("PARA", "{}")
        self.align = reverse("document-align", args=[reference, "PARA"]).replace("PARA", "{}")
        self.decide = reverse("document-decide", args=[reference, "LABEL", "ACTION"]).replace(
            "LABEL/ACTION", "{}/{}"
        )


def segments(parts: Iterable[core.Segment], own: str | None) -> str:
    out: list[str] = []
    for s in parts:
        if isinstance(s, str):
            out.append(escape(s))
            continue
        mine = " mine" if own is not None and own in s.holders else ""
        alternatives = []
        for a in s.alternatives:
            wording = escape(a.wording) if a.wording else f"<em>{escape(_('(delete)'))}</em>"
            if a.holders:
                wording += f'<sup class="holders">{escape(", ".join(sorted(a.holders)))}</sup>'
            alternatives.append(wording)
        out.append(
            f'<mark class="bracket{mine}" data-bracket="{escape(s.id)}">['
            + " / ".join(alternatives)
            + "]</mark>"
        )
    return "".join(out)


def _form(action: str, csrf: str, inner: str, css: str = "inline") -> str:
    return (
        f'<form method="post" action="{escape(action)}" class="{css}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">{inner}</form>'
    )


def paragraph_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    urls: Urls,
    csrf: str,
    own: str | None,
    officer: bool,
    latest: bool,
    mine_only: bool,
    stances: Sequence[tuple[str, Any]],
) -> SafeString:
    """The body of the text table: each paragraph, then a row for each of its open brackets."""
    if not rows:
        empty = _("Your delegation holds no open bracket.") if mine_only else _("No paragraphs.")
        return mark_safe(f'<tr><td colspan="4">{escape(empty)}</td></tr>')
    html: list[str] = []
    mine_field = '<input type="hidden" name="mine" value="1">' if mine_only else ""
    for row in rows:
        pid, number = row["id"], row["number"]
        html.append(f'<tr id="para-{escape(pid)}" data-paragraph="{escape(pid)}"><td>{number}</td>')
        if not row["visible"]:
            html.append(f'<td colspan="3" class="withheld">{escape(_withheld())}</td></tr>')
            continue
        p: core.Paragraph = row["paragraph"]
        fr = segments(p.fr, own) or "—"
        html.append(f'<td lang="en">{segments(p.en, own)}</td><td lang="fr">{fr}</td><td>')
        if row["misaligned"]:
            changed = row["changed"]
            flag = _("Not aligned")
            if len(changed) == 1:
                flag += ": " + (_("English changed") if changed[0] == "en" else _("French changed"))
            html.append(f'<p class="flag">{escape(flag)}</p>')
            if officer and latest:
                html.append(
                    _form(
                        urls.align.format(pid),
                        csrf,
                        f'<button type="submit" class="outline">{escape(_("Align"))}</button>',
                    )
                )
        if row["holding_out"]:
            held = ", ".join(row["holding_out"])
            html.append(f"<p>{escape(_('Holding out:'))} {escape(held)}</p>")
        if own and latest:
            label = _("My delegation's stance on paragraph %(n)s") % {"n": number}
            options = [f'<option value="">{escape(_("no stance recorded"))}</option>']
            for value, text in stances:
                chosen = " selected" if value == row["my_stance"] else ""
                options.append(f'<option value="{value}"{chosen}>{escape(text)}</option>')
            html.append(
                _form(
                    urls.stance.format(pid),
                    csrf,
                    f'<label class="visually-hidden" for="stance-{escape(pid)}">{escape(label)}'
                    f'</label><select id="stance-{escape(pid)}" name="stance" required>'
                    + "".join(options)
                    + f'</select><button type="submit" class="outline">{escape(_("Record"))}'
                    "</button>",
                    css="stance",
                )
            )
        html.append("</td></tr>")
        for b in row["brackets"]:
            html.append(_bracket_row(b, number, urls, csrf, own, latest, mine_field))
    return mark_safe("".join(html))


def _bracket_row(
    b: core.OpenBracket,
    number: int,
    urls: Urls,
    csrf: str,
    own: str | None,
    latest: bool,
    mine_field: str,
) -> str:
    title = _("Bracket %(id)s in paragraph %(n)s") % {"id": b.bracket_id, "n": number}
    note = f" · {escape(b.note)}" if b.note else ""
    items = []
    for i, a in enumerate(b.alternatives, start=1):
        if a.en:
            words = f'<span lang="en">{escape(a.en)}</span>'
        elif a.en == "":
            words = f"<em>{escape(_('(deletion)'))}</em>"
        else:
            words = ""
        if a.fr:
            words += f' / <span lang="fr">{escape(a.fr)}</span>'
        held = (
            f"{escape(_('held by'))} {escape(', '.join(sorted(a.holders)))}"
            if a.holders
            else escape(_("held by no one"))
        )
        button = ""
        if own and latest:
            button = _form(
                urls.hold.format(b.bracket_id),
                csrf,
                f'{mine_field}<input type="hidden" name="alternative" value="{i}">'
                f'<button type="submit" class="outline">{escape(_("We hold this"))}</button>',
            )
        items.append(f"<li>{words} — {held} {button}</li>")
    release = ""
    if own and latest:
        release = _form(
            urls.hold.format(b.bracket_id),
            csrf,
            f'{mine_field}<input type="hidden" name="alternative" value="release">'
            f'<button type="submit" class="secondary outline">{escape(_("We hold none"))}</button>',
        )
    return (
        f'<tr class="bracket-row" id="bracket-{escape(b.bracket_id)}"><td></td><td colspan="3">'
        f"<strong>{escape(title)}</strong> · {escape(kind_label(b.kind))}{note}"
        f"<ol>{''.join(items)}</ol>{release}</td></tr>"
    )


def _wording(data: Iterable[Any]) -> str:
    parts = []
    for s in data:
        if isinstance(s, str):
            parts.append(s)
        elif isinstance(s, dict):
            parts.append("[" + " / ".join(a.get("wording", "") for a in s["alternatives"]) + "]")
    return "".join(parts)


def change(described: Mapping[str, Any]) -> str:
    """What an amendment changes, in words."""
    c, n = described["change"], described["paragraph_number"]
    op = c.get("op")
    if op == "replace_span":
        head = _("§%(n)s (%(lang)s): replace") % {"n": n, "lang": c["language"]}
        return (
            f"{escape(head)} “{escape(c['old'])}” {escape(_('with'))} "
            f"“{escape(_wording(c['new']))}”"
        )
    if op == "delete_span":
        head = _("§%(n)s (%(lang)s): delete") % {"n": n, "lang": c["language"]}
        return f"{escape(head)} “{escape(c['old'])}”"
    if op == "delete_paragraph":
        return escape(_("delete paragraph %(n)s") % {"n": n})
    if op == "insert_paragraph":
        words = _wording(c["paragraph"]["en"])
        return f"{escape(_('insert a paragraph:'))} “{escape(words)}”"
    return escape(_("replace a paragraph"))


def amendment_rows(
    amendments: Sequence[Mapping[str, Any]],
    *,
    urls: Urls,
    csrf: str,
    officer: bool,
    latest: bool,
) -> SafeString:
    html: list[str] = []
    buttons = {
        "accept": ("", _("Accept")),
        "reject": (' class="secondary"', _("Reject")),
        "overtake": (' class="outline"', _("Moot")),
        "withdraw": (' class="outline"', _("Withdraw")),
    }
    for row in amendments:
        a: Amendment = row["a"]
        label = escape(a.label)
        if row["withheld"]:
            what, why = f'<span class="withheld">{escape(_withheld())}</span>', ""
        else:
            what, why = change(row["described"]), escape(a.rationale)
        state = escape(a.state)
        if a.applied_in_id is not None:
            state += f" ({escape(_('in'))} {escape(a.applied_in.reference)})"
        actions = []
        if latest and a.applied_in_id is None:
            allowed = []
            if officer and a.state == "proposed":
                allowed += ["accept", "reject"]
            if officer and a.state in ("proposed", "accepted"):
                allowed.append("overtake")
            if row["own"] and a.state == "proposed":
                allowed.append("withdraw")
            for action in allowed:
                css, text = buttons[action]
                actions.append(
                    _form(
                        urls.decide.format(a.label, action),
                        csrf,
                        f'<button type="submit"{css}>{escape(text)}</button>',
                    )
                )
        html.append(
            f'<tr id="amendment-{label}" data-state="{escape(a.state)}"><td>{label}</td>'
            f"<td>{escape(a.delegation_id)}</td><td>{what}</td><td>{why}</td><td>{state}</td>"
            f"<td>{''.join(actions)}</td></tr>"
        )
    return mark_safe("".join(html))


def clean_choices(open_brackets: Sequence[core.OpenBracket]) -> SafeString:
    """The issue form's choice for each open bracket: keep it open, or keep one alternative."""
    html: list[str] = []
    keep_open, keep, deletion = _("keep it open"), _("keep:"), _("(deletion)")
    for b in open_brackets:
        label = _("Bracket %(id)s (paragraph %(n)s)") % {"id": b.bracket_id, "n": b.number}
        options = [f'<option value="">{escape(keep_open)}</option>']
        for i, a in enumerate(b.alternatives, start=1):
            words = escape(a.en) if a.en else escape(deletion)
            options.append(f'<option value="{i}">{escape(keep)} {words}</option>')
        html.append(
            f'<label>{escape(label)} <select name="clean-{escape(b.bracket_id)}">'
            + "".join(options)
            + "</select></label>"
        )
    return mark_safe("".join(html))
