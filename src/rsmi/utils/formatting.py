"""Numbers as people read them: a value with the digits its standard error justifies.

The rule is the Particle Data Group's (Review of Particle Physics, introduction, "Rounding"):
take the three leading digits of the standard error.  From 100 to 354 the error keeps two
significant digits; from 355 to 949 one; from 950 to 999 it is rounded up to 1000 and keeps two.
The value is rounded to the same decimal place as the error.  Examples::

    format_value_se(0.05011413014027016, 0.006375307719873743)  ->  "0.050 ± 0.006"
    format_value_se(2.839, 0.036)                                ->  "2.84 ± 0.04"
    format_value_se(0.1204, 0.0014)                              ->  "0.1204 ± 0.0014"
    format_value_se(1.0431, 0.0)                                 ->  "1.043"   (exact: no error)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["se_decimals", "format_value_se", "format_number", "rst_literal", "rst_table"]

#: Significant digits of a number shown without an error (an exact function of the run's
#: weights, SE 0, or a threshold).
EXACT_DIGITS = 4


def _finite(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def se_decimals(se: float) -> int:
    """Decimal place (digits after the point; negative: tens, hundreds …) to which ``se`` and its
    value are rounded by the PDG rule.  ``se`` must be a positive finite number."""
    se = _finite(se)
    if not (math.isfinite(se) and se > 0):
        raise ValueError(f"se must be a positive finite number, got {se!r}")
    exp = math.floor(math.log10(se))
    lead = round(se / 10.0 ** (exp - 2))  # the three leading digits, 100 … 1000
    if lead >= 1000:  # se just below a power of ten that rounds up to it
        exp, lead = exp + 1, 100
    if lead <= 354:
        return -(exp - 1)  # two significant digits
    # 355 … 949: one significant digit; 950 … 999 round up to 10 × 10**exp, two digits of the
    # next decade, which is the same decimal place
    return -exp


def _fixed(x: float, decimals: int) -> str:
    x = round(x, decimals)
    if x == 0:
        x = 0.0  # no "-0.00"
    return f"{x:.{max(decimals, 0)}f}"


def format_number(x, digits: int = EXACT_DIGITS) -> str:
    """A number without an error: ``digits`` significant digits (``n/a`` for NaN or non-numbers)."""
    x = _finite(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def format_value_se(value, se, *, pm: str = " ± ") -> str:
    """``value ± se`` with the digits ``se`` justifies (module docstring).

    SE 0 means exact: the value alone, :data:`EXACT_DIGITS` significant digits.  A NaN value is
    ``n/a``; a NaN or negative SE shows the value with ``± n/a``."""
    v, s = _finite(value), _finite(se)
    if math.isnan(v) or math.isinf(v):
        return format_number(v)
    if s == 0:
        return format_number(v)
    if not (math.isfinite(s) and s > 0):
        return f"{format_number(v)}{pm}n/a"
    d = se_decimals(s)
    return f"{_fixed(v, d)}{pm}{_fixed(s, d)}"


def rst_literal(s: str) -> str:
    """``s`` as an RST inline literal (or empty)."""
    s = str(s)
    return f"``{s}``" if s else ""


def rst_table(cols: Sequence[str], cells: Sequence[Sequence[str]], *, widths: Sequence[int] | None = None) -> str:
    """An RST ``list-table`` (docutils renders it as an HTML table)."""
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append("   :widths: " + " ".join(str(w) for w in widths))
    out.append("")
    for row in [list(cols), *cells]:
        out.append("   * - " + (str(row[0]) or "\\ "))
        out += ["     - " + (str(c) or "\\ ") for c in row[1:]]
    return "\n".join(out) + "\n"
