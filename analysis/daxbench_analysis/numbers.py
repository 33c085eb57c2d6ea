"""Numbers as a report shows them (12.3k, 0.70x, 1.2%), the same in every format and figure.
The base layer with stats.py: it imports nothing of the package."""
from __future__ import annotations

import math


def humanize(value: float) -> str:
    """Three significant digits with a k/M/G suffix: 12.3k, 1.52M, 0.01."""
    if value is None or math.isnan(value):
        return "-"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale * 0.9995:
            return _three_digits(value / scale) + suffix
    if magnitude < 0.001:
        return f"{value:.1e}"
    return _three_digits(value)


def _three_digits(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 99.95:
        return f"{value:.0f}"
    if magnitude >= 9.995:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_ratio(ratio: float) -> str:
    if ratio is None or not math.isfinite(ratio):
        return "-"
    if ratio >= 99.5:
        return f"{ratio:.0f}x"
    if ratio >= 9.95:
        return f"{ratio:.1f}x"
    if ratio >= 0.1:
        return f"{ratio:.2f}x"
    return f"{ratio:.3g}x"


def format_percent(fraction: float) -> str:
    percent = abs(fraction) * 100
    if percent < 0.05:
        return "<0.1"  # not "0.0": the repetitions did differ
    return f"{percent:.0f}" if percent >= 9.95 else f"{percent:.1f}"
