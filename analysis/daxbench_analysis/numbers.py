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


def format_plain(value: float) -> str:
    """A number in full, as the kernel's test robots print theirs (LKP, mmtests): 138055,
    41.5, 0.0123, 1.145e+09; at most 10 characters."""
    if value is None or math.isnan(value):
        return "-"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e9 or magnitude < 1e-4:
        return f"{value:.3e}"
    return _three_digits(value)


def format_change(ratio: float) -> str:
    """A ratio new/base as LKP's %change: +33.4%, -20.0%, +0.0%; "-" when undefined."""
    if ratio is None or not math.isfinite(ratio):
        return "-"
    percent = (ratio - 1) * 100
    return f"{percent:+.1e}%" if abs(percent) >= 1e5 else f"{percent:+.1f}%"


def format_stddev(cv: float) -> str:
    """A coefficient of variation as LKP's ±%stddev: "± 18%", "±<1%"; "" when the
    repetitions were all alike (an exact count: nothing to show)."""
    if cv is None or math.isnan(cv) or cv == 0:
        return ""
    percent = abs(cv) * 100
    return "±<1%" if percent < 0.5 else f"±{percent:3.0f}%"
