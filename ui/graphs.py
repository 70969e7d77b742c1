"""The dashboard's graphs on Qt Graphs (QtCharts is deprecated since Qt 6.10).

Qt Graphs draws 2D graphs in Qt Quick only: on 6.8 (the lock's floor) and on 6.11 alike the 2D
``GraphsView`` is a QML type, and ``QtGraphsWidgets`` holds 3D widget items only. So a graph on a
Widgets window is a ``QQuickWidget`` showing ``ui/qml/dashboard/StatsGraph.qml`` (a GraphsView
with a category X axis and a value Y axis); the series are Qt Graphs' own C++ classes
(``QBarSeries``/``QBarSet``, ``QLineSeries``) made here and handed to the view's ``addSeries``.
The title and legend are plain labels above the graph, in the window's font."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Q_ARG, QMetaObject, QObject, QUrl
from PySide6.QtGraphs import QAbstractSeries, QBarSeries, QBarSet, QLineSeries
from PySide6.QtGui import QColor
from PySide6.QtQuickWidgets import QQuickWidget
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

QML = Path(__file__).resolve().parent / "qml" / "dashboard" / "StatsGraph.qml"
COLORS = ("#2f6db5", "#e08a1e", "#3a9a5b", "#b03a2e")


def nice_step(raw: float) -> float:
    """A tick interval of 1, 2 or 5 times a power of ten, at least ``raw`` (and at least 1: the
    graphs count people and percentages, whole numbers)."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def unique(categories: Sequence[str]) -> list[str]:
    """The categories with a repeated one numbered (社会保障, 社会保障 2): the axis keeps one of each."""
    seen: dict[str, int] = {}
    out = []
    for c in categories:
        seen[c] = seen.get(c, 0) + 1
        out.append(c if seen[c] == 1 else f"{c} {seen[c]}")
    return out


class Graph(QWidget):
    """A titled graph: ``bars(categories, [(label, values)…])`` or ``lines(…)`` replace what it shows."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title_label = QLabel()
        self.title_label.setObjectName(f"{name}_title")
        self.legend = QLabel()
        self.legend.setObjectName(f"{name}_legend")
        self.view = QQuickWidget()
        self.view.setResizeMode(QQuickWidget.ResizeMode.SizeRootObjectToView)
        self.view.setSource(QUrl.fromLocalFile(str(QML)))
        self.view.setMinimumHeight(160)
        layout.addWidget(self.title_label)
        layout.addWidget(self.legend)
        layout.addWidget(self.view, 1)
        self.series: list[QAbstractSeries] = []
        self.labels: list[str] = []
        self.categories: list[str] = []

    def title(self) -> str:
        return self.title_label.text()

    def setTitle(self, text: str) -> None:  # as QChart spelled it
        self.title_label.setText(text)

    def words(self) -> list[str]:
        """What the graph writes: its title, the series' labels and the categories."""
        return [self.title(), *self.labels, *self.categories]

    def _root(self) -> QObject:
        root = self.view.rootObject()
        if root is None:  # the QML failed to load: its errors say why
            raise RuntimeError(f"{QML.name}: " + "; ".join(e.toString() for e in self.view.errors()))
        return root

    def _reset(self, categories: Sequence[str], top: float, label_format: str) -> QObject:
        step = nice_step(top / 5)
        top = max(step, math.ceil(top / step) * step)
        # A new GraphsView each time: removing a series from a view leaves its bars drawn (Qt
        # Graphs 6.11, software renderer), so the old view and its series go as a whole.
        self.view.setSource(QUrl())
        self.view.setSource(QUrl.fromLocalFile(str(QML)))
        root = self._root()
        self.series, self.labels, self.categories = [], [], unique(categories)
        root.setProperty("categories", self.categories)
        root.setProperty("maxValue", float(top))
        root.setProperty("labelFormat", label_format)
        root.setProperty("tickInterval", float(step))
        return root

    def _legend(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self.legend.setText("　".join(f'<span style="color:{COLORS[i % len(COLORS)]}">■</span> {label}'
                                      for i, label in enumerate(labels)))

    def bars(self, categories: Sequence[str], sets: Sequence[tuple[str, Sequence[float]]]) -> None:
        top = max([1.0] + [float(v) for _label, values in sets for v in values]) * 1.1
        root = self._reset(categories, top, "%.0f")
        series = QBarSeries(root)
        for i, (label, values) in enumerate(sets):
            bar = QBarSet(label)
            bar.setColor(QColor(COLORS[i % len(COLORS)]))
            bar.append([float(v) for v in values])
            series.append(bar)
        QMetaObject.invokeMethod(root, "addSeries", Q_ARG(QObject, series))
        self.series.append(series)
        self._legend([label for label, _values in sets])

    def lines(self, categories: Sequence[str], lines: Sequence[tuple[str, Sequence[float | None]]],
              top: float = 100.0, label_format: str = "%.0f%%") -> None:
        """One line per series; a None value leaves a gap (the line goes on at the next value)."""
        root = self._reset(categories, top, label_format)
        for i, (_label, values) in enumerate(lines):
            line = QLineSeries(root)
            line.setColor(QColor(COLORS[i % len(COLORS)]))
            line.setWidth(2.5)
            for x, v in enumerate(values):
                if v is not None:
                    line.append(x + 0.5, float(v))  # the centre of category x
            QMetaObject.invokeMethod(root, "addSeries", Q_ARG(QObject, line))
            self.series.append(line)
        self._legend([label for label, _values in lines])
