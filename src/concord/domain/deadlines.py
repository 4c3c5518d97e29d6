"""How a deadline is written: always with its zone, the same text on every channel."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def in_zone(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    seconds = f":{local:%S}" if local.second or local.microsecond else ""
    micro = f".{local:%f}" if local.microsecond else ""
    where = "" if zone == "UTC" else f" ({zone})"
    return f"{local:%Y-%m-%d %H:%M}{seconds}{micro} {local:%Z}{where}"


def deadline_text(instant: datetime, seat_zone: str, user_zone: str | None = None) -> str:
    """``2026-12-01 17:00 CET (Europe/Brussels)``, then UTC, then the reader's zone if it
    differs from both."""
    parts = [in_zone(instant, seat_zone)]
    if seat_zone != "UTC":
        parts.append(in_zone(instant.astimezone(UTC), "UTC"))
    if user_zone and user_zone not in (seat_zone, "UTC"):
        parts.append(in_zone(instant, user_zone))
    return " = ".join(parts)
