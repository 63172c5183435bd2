"""What the funnel and forecast charts need, for ``termcrm funnel`` / ``termcrm forecast``
and the TUI's funnel screen alike: periods (typed as ``2026-Q3`` or chosen from a
preset), the bars of a funnel, the series of a forecast, and drawing them on a plotext
figure (the ``plotext`` module itself, or a ``PlotextPlot`` widget's ``plt``).

Headless: nothing here imports textual or plotext; the figure is passed in.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from termcrm.i18n import N_, _, pgettext
from termcrm.services.errors import Invalid
from termcrm.services.funnel import Forecast, Funnel

# -- periods -----------------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")

# the periods a screen offers in turn: (key, label); "all": no period
PRESETS: tuple[tuple[str, str], ...] = (
    ("all", N_("All time")),
    ("this_month", N_("This month")),
    ("this_quarter", N_("This quarter")),
    ("this_year", N_("This year")),
    ("last_month", N_("Last month")),
    ("last_quarter", N_("Last quarter")),
    ("last_year", N_("Last year")),
)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str) -> tuple[date, date]:
    """A period as its first and last day: 2026-Q3, 2026-11, 2026, or FIRST..LAST
    (ISO days). Invalid {"period": why} otherwise."""
    value = text.strip()
    try:
        if m := _QUARTER.match(value):
            year, q = int(m.group(1)), int(m.group(2))
            last_month = q * 3
            return date(year, last_month - 2, 1), month_end(year, last_month)
        if m := _MONTH.match(value):
            year, month = int(m.group(1)), int(m.group(2))
            return date(year, month, 1), month_end(year, month)
        if m := _YEAR.match(value):
            year = int(m.group(1))
            return date(year, 1, 1), date(year, 12, 31)
        first_text, sep, last_text = value.partition("..")
        if sep:
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip())
            if first <= last:
                return first, last
    except ValueError:
        pass
    raise Invalid(
        {
            "period": _(
                "'{text}' is not a period; use a quarter (2026-Q3), a month (2026-11), a "
                "year (2026) or two days (2026-01-01..2026-03-31, the first not after the last)"
            ).format(text=text)
        }
    )


def period_text(first: date, last: date) -> str:
    """A period the way ``parse_period`` reads it, as short as it goes: 2026-Q3,
    2026-11, 2026 or 2026-01-05..2026-02-10."""
    if first.day == 1 and last == month_end(last.year, last.month) and first.year == last.year:
        if first.month == 1 and last.month == 12:
            return f"{first.year}"
        if first.month == last.month:
            return f"{first:%Y-%m}"
        if first.month % 3 == 1 and last.month == first.month + 2:
            return f"{first.year}-Q{(first.month + 2) // 3}"
    return f"{first.isoformat()}..{last.isoformat()}"


def _month_shift(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def preset_period(key: str, today: date) -> tuple[date, date] | None:
    """The days of a preset (``PRESETS``) seen from ``today``; None for "all"."""
    if key == "all":
        return None
    if key in ("this_month", "last_month"):
        year, month = _month_shift(today, 0 if key == "this_month" else -1)
        return date(year, month, 1), month_end(year, month)
    if key in ("this_quarter", "last_quarter"):
        first_month = (today.month - 1) // 3 * 3 + 1
        start = date(today.year, first_month, 1)
        year, month = _month_shift(start, 0 if key == "this_quarter" else -3)
        end_year, end_month = _month_shift(date(year, month, 1), 2)
        return date(year, month, 1), month_end(end_year, end_month)
    if key in ("this_year", "last_year"):
        year = today.year if key == "this_year" else today.year - 1
        return date(year, 1, 1), date(year, 12, 31)
    raise ValueError(f"no such period preset: {key}")


def preset_label(key: str) -> str:
    return _(dict(PRESETS)[key])


# -- the funnel's bars -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunnelBar:
    stage: str
    reached: int
    amount: float  # of the deals in the stage now (a chart's value, not money to add up)


def funnel_bars(f: Funnel) -> list[FunnelBar]:
    """One bar per stage a deal goes through to a win (the open stages and the won
    ones; lost stages are not a step of the funnel), in the pipeline's order."""
    return [
        FunnelBar(st.name, st.reached, float(st.amount)) for st in f.stages if st.outcome != "lost"
    ]


def short_label(text: str, width: int) -> str:
    """A label cut to ``width`` characters (with an ellipsis), for a narrow chart."""
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``: 0, 25, 50, 75, 100."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def chart_height(bars: int) -> int:
    """The lines a bar chart of ``bars`` bars takes: a title, 2 rows a bar, the frame and
    the numbers under it."""
    return 2 * bars + 4


def draw_bars(
    plt: Any,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    ticks: Callable[[float], str] | None = None,
) -> None:
    """Horizontal bars, the first label at the top (as a funnel reads), on a cleared
    figure; ``ticks`` writes the value axis's numbers (default: plotext's own)."""
    plt.clear_figure()
    plt.theme("clear")
    # plotext draws the first bar at the bottom: reversed, the funnel's mouth is on top
    plt.bar(list(reversed(labels)), list(reversed(values)), orientation="horizontal", width=0.5)
    # one bar a unit from edge to edge: on 2 rows a bar (chart_height()) every bar is as
    # thick as the others
    plt.ylim(0.5, len(values) + 0.5)
    if ticks is not None:
        marks = nice_ticks(max(values, default=0.0))
        plt.xticks(marks, [ticks(m) for m in marks])
    plt.title(title)


# -- the forecast's series -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForecastSeries:
    labels: list[str]  # YYYY-MM per month
    won: list[tuple[int, float]]  # (month index, amount) of the past months and this one
    trend: list[float]  # every month
    weighted: list[tuple[int, float]]  # this month and those ahead


def forecast_series(fc: Forecast) -> ForecastSeries:
    return ForecastSeries(
        labels=[f"{m.month:%Y-%m}" for m in fc.months],
        won=[(i, float(m.won)) for i, m in enumerate(fc.months) if m.won is not None],
        trend=[float(m.trend) for m in fc.months],
        weighted=[
            (i, float(m.weighted)) for i, m in enumerate(fc.months) if m.weighted is not None
        ],
    )


def draw_forecast(
    plt: Any,
    series: ForecastSeries,
    *,
    title: str,
    bars: bool,
    max_ticks: int = 8,
    ticks: Callable[[float], str] | None = None,
) -> None:
    """Won per month and the weighted pipeline ahead (bars, or lines when not ``bars``)
    with the trend as a line, on a cleared figure; every ``len // max_ticks``-th month named."""
    plt.clear_figure()
    plt.theme("clear")
    xs = list(range(len(series.labels)))
    won_x, won_y = [i for i, _v in series.won], [v for _i, v in series.won]
    ahead_x, ahead_y = [i for i, _v in series.weighted], [v for _i, v in series.weighted]
    if bars:
        # an empty month has no bar (plotext draws a sliver for a zero); this month has
        # both: won so far, and beside it what is expected to close in it
        won = [(x, y) for x, y in series.won if y > 0]
        ahead = [(x + 0.4, y) for x, y in series.weighted if y > 0]
        for points, label, marker in (
            (won, pgettext("deal", "won"), "sd"),
            (ahead, _("weighted pipeline"), "hd"),
        ):
            if points:
                plt.bar(
                    [x for x, _y in points],
                    [y for _x, y in points],
                    label=label,
                    width=0.4,
                    marker=marker,
                )
    else:
        plt.plot(won_x, won_y, label=pgettext("deal", "won"), marker="hd")
        plt.plot(ahead_x, ahead_y, label=_("weighted pipeline"), marker="hd")
    plt.plot(xs, series.trend, label=_("trend"), marker="dot")
    step = max(1, len(xs) // max_ticks)
    plt.xticks(xs[::step], series.labels[::step])
    if ticks is not None:
        top = max([*won_y, *ahead_y, *series.trend], default=0.0)
        marks = nice_ticks(top)
        plt.yticks(marks, [ticks(m) for m in marks])
    plt.title(title)
