"""Time the negotiation core on a large text (not a test: prints figures, asserts nothing).

Builds a 2,000-paragraph bilingual text with 5,000 brackets (held by states), 5,000 accepted
amendments (span replacements and deletions, paragraph insertions and deletions), issues the
next revision cleaning every bracket, and times the views the issue sets a goal for (each under
0.5 s): the clean text, the open-bracket report and a full diff between the two revisions.

    .venv/bin/python scripts/time_negotiation.py [--paragraphs 2000] [--brackets 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from concord.domain.negotiation import (
    Amendment,
    AmendmentState,
    Change,
    DeleteParagraph,
    DeleteSpan,
    InsertParagraph,
    Language,
    Paragraph,
    ReplaceSpan,
    Text,
    agreed_so_far,
    clean_text,
    diff,
    hold,
    issue_revision,
    misaligned,
    open_brackets,
    parse_text,
    ready_for_decision,
    render_text,
)

STATES = ["BEL", "CAN", "DEU", "DNK", "ESP", "FRA", "GBR", "ITA", "NLD", "NOR", "POL", "USA"]
WORDS_PER_PARAGRAPH = 60


def build_sources(
    paragraphs: int, brackets: int, rng: random.Random
) -> tuple[list[str], list[str]]:
    per = [brackets // paragraphs] * paragraphs
    for i in rng.sample(range(paragraphs), brackets % paragraphs):
        per[i] += 1
    en: list[str] = []
    fr: list[str] = []
    for i, count in enumerate(per):
        words = [f"w{i}x{k}" for k in range(WORDS_PER_PARAGRAPH)]
        mots = [f"m{i}x{k}" for k in range(WORDS_PER_PARAGRAPH)]
        slots = sorted(rng.sample(range(1, WORDS_PER_PARAGRAPH - 1), count))
        for n, at in enumerate(reversed(slots)):
            if n % 3 == 2:
                words[at] = f"[{words[at]}]"
                mots[at] = f"[{mots[at]}]"
            else:
                words[at] = f"[{words[at]} / alt{i}y{at}]"
                mots[at] = f"[{mots[at]} / alt{i}z{at}]"
        en.append(" ".join(words) + ".")
        fr.append(" ".join(mots) + ".")
    return en, fr


def changes_for(text: Text, amendments: int, rng: random.Random) -> list[Change]:
    """Span changes on words outside brackets, a few paragraph insertions and deletions; at most
    one change per word, none on a deleted paragraph."""
    changes: list[Change] = []
    deleted = set(rng.sample(range(len(text.paragraphs)), amendments // 100))
    for i in sorted(deleted):
        changes.append(DeleteParagraph(text.paragraphs[i].id))
    for n in range(amendments // 100):
        after = text.paragraphs[rng.randrange(len(text.paragraphs))].id
        changes.append(InsertParagraph(Paragraph(f"new{n}", (f"A new paragraph {n}.",)), after))

    def plain(p: Paragraph, language: Language) -> str:
        return "|".join(s for s in p.segments(language) if isinstance(s, str))

    pool: list[tuple[Paragraph, str, Language]] = []
    for i, p in enumerate(text.paragraphs):
        if i in deleted:
            continue
        en, fr = plain(p, Language.EN), plain(p, Language.FR)
        for k in range(0, WORDS_PER_PARAGRAPH - 1, 2):
            if f"w{i}x{k} " in en:
                pool.append((p, f"w{i}x{k} ", Language.EN))
            elif f"m{i}x{k} " in fr:
                pool.append((p, f"m{i}x{k} ", Language.FR))
    for n, (p, word, language) in enumerate(rng.sample(pool, amendments - len(changes))):
        if rng.random() < 0.7:
            changes.append(ReplaceSpan(p.id, word, f"changed{n} words ", language=language))
        else:
            changes.append(DeleteSpan(p.id, word, language=language))
    return changes


def timed(label: str, figures: dict[str, Any], fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    figures[label] = round(time.perf_counter() - start, 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=2000)
    parser.add_argument("--brackets", type=int, default=5000)
    parser.add_argument("--amendments", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    en, fr = build_sources(args.paragraphs, args.brackets, rng)

    figures: dict[str, Any] = {}
    rev0 = timed("parse_text", figures, lambda: parse_text(en, fr))
    for _p, b in rev0.brackets()[:: max(1, len(rev0.brackets()) // 200)]:
        for state in rng.sample(STATES, 3):
            rev0 = hold(rev0, b.id, rng.randrange(len(b.alternatives)), state)
    amendments = [
        Amendment(f"a{n}", rng.choice(STATES), "for clarity", c, n, AmendmentState.ACCEPTED)
        for n, c in enumerate(changes_for(rev0, args.amendments, rng), start=1)
    ]
    gone = {a.change.paragraph_id for a in amendments if isinstance(a.change, DeleteParagraph)}
    cleaned = {
        b.id: rng.randrange(len(b.alternatives)) for p, b in rev0.brackets() if p.id not in gone
    }
    rev1 = timed("issue_revision", figures, lambda: issue_revision(rev0, amendments, cleaned))

    report = timed("open_brackets", figures, lambda: open_brackets(rev0))
    clean = timed("clean_text", figures, lambda: clean_text(rev1))
    changes = timed("diff", figures, lambda: diff(rev0, rev1))
    timed("diff_itself", figures, lambda: diff(rev1, rev1))
    timed("render_text_en", figures, lambda: render_text(rev0, Language.EN))
    timed("misaligned", figures, lambda: misaligned(rev1))
    timed("ready_for_decision", figures, lambda: ready_for_decision(rev1))
    timed("agreed_so_far", figures, lambda: agreed_so_far(rev0))
    print(
        json.dumps(
            {
                "paragraphs": len(rev0.paragraphs),
                "brackets": len(rev0.brackets()),
                "amendments": len(amendments),
                "open_brackets_reported": len(report),
                "clean_paragraphs": len(clean),
                "paragraphs_in_diff": len(changes.paragraphs),
                "seconds": figures,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
