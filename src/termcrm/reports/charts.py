"""A report's charts as plotext draws them, in the terminal (``termcrm report``) and on a
``PlotextPlot`` widget of the TUI alike: the series a chart takes from its table, and the
drawing on a plotext figure that is passed in.

Headless: nothing here imports textual, nor plotext itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from termcrm.i18n import _
from termcrm.reports.model import Chart, Report
from termcrm.reports.render_text import LABEL_WIDTH, cell_text
from termcrm.services.funnel_charts import chart_height, draw_bars, nice_ticks, short_label


@dataclass(frozen=True, slots=True)
class ChartData:
    """What one chart of a report draws: its kind, title, labels and series."""

    kind: str
    title: str
    labels: list[str]
    series: list[tuple[str, list[float]]]  # (the column's heading, its values)
    stacked: bool

    @property
    def horizontal(self) -> bool:
        """Bars across (and a pie's shares) when there are many, or long, labels."""
        if self.kind == "pie":
            return True
        if self.kind != "bar":
            return False
        return len(self.labels) > 6 or sum(len(x) for x in self.labels) > 40

    def height(self) -> int:
        """The lines it takes on screen."""
        if self.kind == "pie":
            return chart_height(len(self.labels))
        if self.horizontal:
            return min(40, max(12, len(self.labels) * (len(self.series) + 1) + 5))
        return 14


def chart_data(report: Report, chart: Chart) -> ChartData | None:
    """The series of a chart (the table's rows, not its totals row), or None when there
    is nothing to draw."""
    table = report.table(chart.table)
    if not table.rows or not chart.series:
        return None
    category = table.columns[table.column(chart.category)]
    labels = [
        short_label(cell_text(v, category.kind) or "-", LABEL_WIDTH)
        for v in table.values(chart.category)
    ]
    uniques: list[str] = []
    for label in labels:  # plotext merges the bars of one label
        while label in uniques:
            label += " "
        uniques.append(label)
    series = []
    for key in chart.series:
        column = table.columns[table.column(key)]
        series.append((column.heading(), [float(v or 0) for v in table.values(key)]))
    if not any(v for _h, values in series for v in values):
        return None
    if chart.kind == "pie":
        heading_, values = series[0]
        whole = sum(v for v in values if v > 0)
        if whole <= 0:
            return None
        series = [(heading_, [max(v, 0.0) * 100.0 / whole for v in values])]
        title = f"{_(chart.title)} ({heading_}, %)"
    else:
        title = _(chart.title)
    return ChartData(chart.kind, title, uniques, series, chart.stacked)


def draw_chart(plt: Any, data: ChartData, width: int, ticks: Any = None) -> None:
    """A chart on a cleared plotext figure (a ``PlotextPlot``'s ``plt``): bars (across when
    there are many), lines, or a pie as bars of each slice's share in %."""
    title = short_label(data.title, max(8, width - 4))
    if data.kind == "pie":
        draw_bars(plt, data.labels, data.series[0][1], title=title, ticks=ticks)
        return
    plt.clear_figure()
    plt.theme("clear")
    if data.kind == "line":
        xs = list(range(len(data.labels)))
        for name, values in data.series:
            plt.plot(xs, values, label=name, marker="hd")
        step = max(1, len(xs) // max(2, width // 12))
        plt.xticks(xs[::step], data.labels[::step])
        if ticks is not None:
            top = max((v for _n, values in data.series for v in values), default=0.0)
            marks = nice_ticks(top) if top > 0 else []
            if marks:
                plt.yticks(marks, [ticks(m) for m in marks])
    else:
        labels, series = data.labels, data.series
        orientation = "horizontal" if data.horizontal else "vertical"
        if data.horizontal:  # plotext draws the first bar at the bottom: reversed, it reads down
            labels = list(reversed(labels))
            series = [(n, list(reversed(v))) for n, v in series]
        if len(series) == 1:
            plt.bar(labels, series[0][1], orientation=orientation, width=0.5)
        else:
            draw = plt.stacked_bar if data.stacked else plt.multiple_bar
            draw(
                labels,
                [v for _n, v in series],
                labels=[n for n, _v in series],
                orientation=orientation,
            )
        if ticks is not None:
            if data.stacked:
                top = max(sum(col) for col in zip(*(v for _n, v in series), strict=True))
            else:
                top = max(v for _n, values in series for v in values)
            if top > 0:
                marks = nice_ticks(top)
                axis = plt.xticks if data.horizontal else plt.yticks
                axis(marks, [ticks(m) for m in marks])
    plt.title(title)
