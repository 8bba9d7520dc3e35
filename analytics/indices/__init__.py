"""Inequality indices across territories, their decompositions and uncertainty.

Every index is a pure function ``index(x, *, weights=None, name=None,
dropna=False) -> float`` of the values of one indicator over a set of
territories (``x``, in the indicator's unit, e.g. roubles per capita) and,
optionally, their weights (usually population, in persons). With
``weights=None`` each territory counts once and the functions reproduce the
textbook formulas (and PySAL's ``inequality`` package); with population
weights they are the population-weighted versions of regional economics, in
which a city of a million weighs 200 times a district of 5,000.

Notation used in the formulas: territory :math:`i` has value :math:`x_i` and
weight :math:`w_i` (1 when unweighted), :math:`p_i = w_i / \\sum_j w_j` is its
population share, :math:`\\mu = \\sum_i p_i x_i` the weighted mean and
:math:`r_i = x_i / \\mu` its relative level.

Policy for awkward values
-------------------------
The scalar functions check their input where it enters and raise
``ValueError`` naming the function, the problem, how many values are affected
and, if given, the indicator ``name``.

=================  ========================================  =========
index              zeros                                     negatives
=================  ========================================  =========
``gini``           accepted                                  rejected
``theil``          accepted (:math:`0 \\ln 0 = 0`, a limit)   rejected
``mld``            rejected (:math:`\\ln 0`)                  rejected
``cv``             accepted                                  rejected
``atkinson``       rejected (for every epsilon)              rejected
``hoover``         accepted                                  rejected
``ratio_max_min``  accepted, except as the minimum           rejected
``ratio_p90_p10``  accepted, except as the 10th percentile   rejected
=================  ========================================  =========

* Missing values (NaN in values or weights) raise, saying how many, unless
  ``dropna=True``, which drops every territory whose value or weight is NaN.
  Infinite values always raise.
* Weights must be finite and non-negative with a positive sum, and as many as
  the values. A territory of weight zero takes no part in the index (it is
  still checked for NaN, zeros and negatives).
* At least 2 territories are needed, and the weighted mean must be positive.

:func:`summarize` applies the same rules group by group but never raises for a
group: where a scalar function would raise, the group gets NaN for that index.
"""

from __future__ import annotations

from analytics.indices._core import (  # noqa: F401
    Decomposition,
    _gini,
    _group_table,
    _mld,
    _plural,
    _prepare,
    _Prepared,
    _quantile,
    _relative,
    _theil,
)
from analytics.indices.dispersion import (  # noqa: F401
    cv,
    hoover,
    ratio_max_min,
    ratio_p90_p10,
)
from analytics.indices.entropy import (  # noqa: F401
    atkinson,
    mld,
    mld_decomposition,
    theil,
    theil_decomposition,
)
from analytics.indices.gini import (  # noqa: F401
    gini,
    gini_decomposition,
    lorenz_curve,
)
from analytics.indices.grouped import (  # noqa: F401
    INDEX_COLUMNS,
    _floats_from_sortable,
    _group_codes,
    _grouped_indices,
    _grouped_indices_unweighted,
    _key_codes,
    _row_quantiles,
    _sort_by_group_then_value,
    _sortable_bits,
    bootstrap_summary,
    summarize,
)
from analytics.indices.inference import (  # noqa: F401
    BootstrapCI,
    PermutationTest,
    _between,
    bootstrap_ci,
    check_bootstrap,
    percentile_interval,
    permutation_test_between_share,
)

__all__ = [
    "INDEX_COLUMNS",
    "BootstrapCI",
    "Decomposition",
    "PermutationTest",
    "atkinson",
    "bootstrap_ci",
    "cv",
    "gini",
    "gini_decomposition",
    "hoover",
    "mld",
    "mld_decomposition",
    "permutation_test_between_share",
    "ratio_max_min",
    "ratio_p90_p10",
    "summarize",
    "theil",
    "theil_decomposition",
]
