"""Gaps: how far behind a territory is, in the indicator's own unit.

Four views, each a pure function of the store's tables (``observations``,
``territories``, ``indicators``; ``agglomerations`` for management models):

* :func:`benchmark_gaps` -- every territory × indicator × year against the
  agglomeration's core, median, best quartile and population-weighted mean,
  and against its region and the country, as a signed amount, a ratio and a
  total amount missing.
* :func:`core_periphery_gap` -- population-weighted means of core, ring and
  periphery per year, the ratios core/ring and core/periphery and their trend.
* :func:`biggest_gaps` -- the largest shortfalls of one agglomeration in a
  year, with the words a sentence needs.
* The album of best solutions (positive deviants): :func:`gap_closing` (who
  closed a gap fastest), :func:`expected_performance` (who does better than
  its type predicts), :func:`positive_deviants` (both, summed up per
  territory or agglomeration, with the management model) and
  :func:`compare_management_models` (an index of outcomes per management
  model with a bootstrap interval and the between-model share of Theil
  inequality).

Sign convention
---------------
With :math:`x` the territory's value, :math:`b` the benchmark and :math:`d`
the indicator's direction (+1 higher is better, −1 lower is better), the gap

.. math::

    g = d\\,(b - x)

is **positive when the territory is behind** (below the benchmark for
:math:`d = +1`, above it for :math:`d = -1`), in the indicator's unit
(e.g. roubles per resident). Indicators of direction 0 have no "behind" and
are left out (an explicit request for one raises ``ValueError``), and so are
absolute amounts that have a per-capita form unless named explicitly: the
gap of a district's total revenue to the city's measures size.

Missing data
------------
Territories without a value are left out of the benchmarks and get no row.
A benchmark that cannot be formed (no core value that year, no region or
country value in the observations) is NaN, and so are its gaps; ``behind``
is then False.
"""

from __future__ import annotations

from analytics.gaps._common import (  # noqa: F401
    BENCHMARKS,
    MANAGEMENT_MODEL,
    POPULATION,
    ROLES,
    STOCK_DENOMINATORS,
    Years,
    extensive_basis,
)
from analytics.gaps.benchmarks import (  # noqa: F401
    benchmark_gaps,
    biggest_gaps,
)
from analytics.gaps.core_periphery import (  # noqa: F401
    CorePeripheryGap,
    core_periphery_gap,
)
from analytics.gaps.deviants import (  # noqa: F401
    expected_performance,
    gap_closing,
    positive_deviants,
)
from analytics.gaps.models import (  # noqa: F401
    ModelComparison,
    _bootstrap_mean,
    _weighted_average,
    compare_management_models,
)

__all__ = [
    "BENCHMARKS",
    "ROLES",
    "CorePeripheryGap",
    "ModelComparison",
    "benchmark_gaps",
    "biggest_gaps",
    "compare_management_models",
    "core_periphery_gap",
    "expected_performance",
    "extensive_basis",
    "gap_closing",
    "positive_deviants",
]
