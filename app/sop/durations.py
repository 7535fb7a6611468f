"""Standard times (baku mutu) as the sources write them: `30 menit`, `1 jam`, `3 hari`, `1 minggu`."""
from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "menit": "minutes", "mnt": "minutes", "minute": "minutes", "minutes": "minutes",
    "jam": "hours", "hour": "hours", "hours": "hours",
    "hari": "days", "day": "days", "days": "days",
    "minggu": "weeks", "pekan": "weeks", "week": "weeks", "weeks": "weeks",
}
_PATTERN = re.compile(r"^\s*(\d{1,4})\s*([a-zA-Z]+)\s*$")


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # minutes | hours | days | weeks
    wall_clock: bool = False

    @property
    def minutes(self) -> int:
        """Length in minutes for minute and hour units (working minutes unless wall-clock)."""
        return self.amount * (60 if self.unit == "hours" else 1)

    def __str__(self) -> str:
        word = {"minutes": "menit", "hours": "jam", "days": "hari", "weeks": "minggu"}[self.unit]
        return f"{self.amount} {word}" + (" (jam dinding)" if self.wall_clock else "")


class DurationError(ValueError):
    pass


def parse_duration(text: str, wall_clock: bool = False) -> Duration:
    """Read `30 menit`, `1 Jam`, `3 hari`, `1 minggu` (case-insensitive); refuse anything else."""
    match = _PATTERN.match(str(text or ""))
    if not match or match.group(2).lower() not in UNITS:
        raise DurationError(
            f"waktu '{text}' tidak terbaca: tulis angka lalu satuan (menit, jam, hari, minggu), mis. '30 menit'"
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise DurationError(f"waktu '{text}' harus lebih dari nol")
    unit = UNITS[match.group(2).lower()]
    if wall_clock and unit not in ("minutes", "hours"):
        raise DurationError(f"waktu '{text}': jam dinding hanya untuk menit atau jam")
    return Duration(amount, unit, wall_clock)
