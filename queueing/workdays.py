"""Working days of the hall: the State Council's holidays and 调休 make-up days (the
``chinese-calendar`` package's data) plus the hall's own override file.

``<data-dir>/workdays.toml`` (optional)::

    holidays = ["2026-12-31"]      # extra days off (a local holiday, a closure)
    workdays = ["2026-12-27"]      # extra working days (a Sunday the hall opens)

An override wins over the national calendar. A year the package has no data for falls back to
Monday–Friday. The clocks of the rectification loop and the default rating count in these days:
``add(day, n)`` is the n-th working day strictly after ``day``; a deadline day is met by anything
done on or before it, and overdue from the next calendar day."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]  # no type information upstream

from queueing.hallconfig import ConfigError

FILE_NAME = "workdays.toml"


def _dates(values: object, where: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise ConfigError(f"{where}: a list of dates YYYY-MM-DD")
    out = set()
    for v in values:
        try:
            out.add(date.fromisoformat(str(v)) if not isinstance(v, date) else v)
        except ValueError:
            raise ConfigError(f"{where}: {v!r} is not a date YYYY-MM-DD") from None
    return frozenset(out)


@dataclass(frozen=True)
class Workdays:
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def load(cls, data_dir: Path | str) -> Workdays:
        path = Path(data_dir) / FILE_NAME
        if not path.exists():
            return cls()
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        unknown = set(doc) - {"holidays", "workdays"}
        if unknown:
            raise ConfigError(f"{path}: unknown keys {', '.join(sorted(unknown))} (holidays, workdays)")
        return cls(_dates(doc.get("holidays", []), f"{path}: holidays"),
                   _dates(doc.get("workdays", []), f"{path}: workdays"))

    def is_workday(self, d: date) -> bool:
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:  # a year the calendar has no data for
            return d.weekday() < 5

    def add(self, day: date | str, n: int) -> date:
        """The n-th working day strictly after ``day`` (n >= 1); ``day`` itself for n <= 0."""
        d = date.fromisoformat(day) if isinstance(day, str) else day
        left = n
        while left > 0:
            d += timedelta(days=1)
            if self.is_workday(d):
                left -= 1
        return d

    def between(self, start: date | str, end: date | str) -> int:
        """Working days after ``start`` up to and including ``end``."""
        a = date.fromisoformat(start) if isinstance(start, str) else start
        b = date.fromisoformat(end) if isinstance(end, str) else end
        n = 0
        while a < b:
            a += timedelta(days=1)
            n += self.is_workday(a)
        return n
