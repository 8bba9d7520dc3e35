"""Views: a selection of the store in, finished charts (with captions) out.

This is where the library composes selection → statistics → figure for the
app and for the deck CLI alike, so that both show the same numbers and say
the same sentences. Every function takes the store and a
:class:`~analytics.selection.Selection` and returns a
:class:`~analytics.chart_model.Chart` or raises :class:`NoData` with a
message in the user's language (never a traceback for the UI).

Conventions
-----------
* "Agglomeration median" is the plain median over the territories of the
  agglomeration that have a value (core, ring and periphery).
* Indices and means are population-weighted when ``selection.weighted``;
  territories without a population figure for that year are then left out and
  the caption says how many.
* Direction comes from the catalog: for an indicator where lower is better
  (direction −1) the best territory is the lowest.
"""

from __future__ import annotations

from analytics.views._common import (  # noqa: F401
    CI_INDICES,
    MIN_TERRITORIES,
    NoData,
    agglomeration_name,
)
from analytics.views.album import (  # noqa: F401
    album_deviants,
    models_comparison,
)
from analytics.views.dynamics import (  # noqa: F401
    beta,
    mobility,
    sigma,
)
from analytics.views.inequality import (  # noqa: F401
    GROUPINGS,
    compare_agglomerations,
    decomposition,
    index_table,
    lorenz,
)
from analytics.views.overview import (  # noqa: F401
    composites,
)
from analytics.views.profile import (  # noqa: F401
    PROFILE_BENCHMARKS,
    price_years,
    profile_gaps,
    profile_table,
    profile_trend,
)
from analytics.views.themes import (  # noqa: F401
    BENCHMARK_KEYS,
    core_periphery,
    gap_sentences,
    gap_to_benchmark,
    heatmap,
    ranking,
    zscores,
)
from analytics.views.typology import (  # noqa: F401
    TypologyView,
    typology_model,
    typology_view,
    typology_years,
)
