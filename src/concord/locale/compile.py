"""Compile every ``.po`` catalogue under this folder to its ``.mo``, with polib only (no gettext).

Run as ``python -m concord.locale.compile`` after editing a catalogue; commit both files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent


def compile_catalogues(root: Path = LOCALE_DIR) -> list[Path]:
    """Write ``X.mo`` beside each ``X.po`` under ``root``; return the ``.mo`` paths written."""
    written = []
    for po_path in sorted(root.rglob("*.po")):
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def main() -> int:
    for mo_path in compile_catalogues():
        print(mo_path.relative_to(LOCALE_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
