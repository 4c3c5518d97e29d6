"""Benchmarks run by ``concord bench NAME``: each measures Concord on a throwaway PostgreSQL
database, through the real ``concord`` command run as subprocesses, and prints its figure beside
a reference measured in the same run on the same database (the floor of the mechanism).

- ``writes``: audited HTTP writes per second and their latency, against raw INSERT+COMMIT.
- ``live``: how fast a committed event reaches hundreds of open live streams, against raw
  PostgreSQL LISTEN clients.
- ``deadlines``: thousands of procedures expiring at one instant, recorded exactly once by
  several workers (one killed half-way), against one plain UPDATE of the same rows.
- ``text``: the clean text, open-bracket report and full diff of a 2,000-paragraph negotiated
  text, against the standard library's difflib; and the text page's SQL queries.

Nothing here is sent anywhere but the loopback address, and every loop is bounded in time.
"""

from __future__ import annotations

from typing import Any

NAMES = ("writes", "live", "deadlines", "text")


def run(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run the benchmark ``name`` and return its result (see ``harness.result``)."""
    if name == "writes":
        from concord.bench import writes

        return writes.run(**options)
    if name == "live":
        from concord.bench import live

        return live.run(**options)
    if name == "deadlines":
        from concord.bench import deadlines

        return deadlines.run(**options)
    if name == "text":
        from concord.bench import text

        return text.run(**options)
    raise ValueError(f"unknown benchmark {name!r}: choose one of {', '.join(NAMES)}")
