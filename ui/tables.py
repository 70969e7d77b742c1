"""Read-only tables of the staff windows (dashboard pages, city view): one way to make and fill them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def read_only_table(columns: tuple[str, ...], name: str) -> QTableWidget:
    """A table of ``columns`` (headers set by the caller's translation) that staff read, not edit."""
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def fill(table: QTableWidget, rows: list[list[Any]]) -> None:
    """The rows as text; an absent value shows as —."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem("—" if value is None else str(value)))
