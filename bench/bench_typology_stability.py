"""How much the typology's bootstrap stability moves with the seed.

The typology page prints the mean adjusted Rand index of ``n_bootstrap``
refits (20 by default). This fits the app's typology (k-means, automatic k,
every agglomeration territory) for one year with ``--seeds`` seeds and
prints, per number of refits, the spread of the stability between seeds
against the Monte Carlo standard error each fit reports
(``Typology.stability_se_``) and the decimals the app prints it with
(``typology.stability_digits``).

Run ``.venv/bin/python bench/bench_typology_stability.py --store DIR``;
results are recorded by hand in BENCHMARKS.md, section "Typology stability".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import composite, typology, views  # noqa: E402
from analytics import selection as sel_  # noqa: E402
from analytics.store import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--refits", default="20,80")
    args = parser.parse_args()
    store = open_store(args.store)
    ids, indicator_ids = views._typology_inputs(store)
    year = args.year or max(views.typology_years(store))
    matrix = composite.indicator_matrix(
        sel_.scope(store),
        store.territories,
        store.indicators,
        None,
        year,
        indicator_ids=indicator_ids,
    )
    matrix = matrix[matrix.index.isin(ids)]
    print(f"{len(matrix)} territories, {matrix.shape[1]} indicators, {year}")
    for refits in (int(r) for r in args.refits.split(",")):
        values, errors = [], []
        for seed in range(args.seeds):
            model = typology.Typology(
                n_clusters="auto",
                n_bootstrap=refits,
                catalog=store.indicators,
                random_state=seed,
            ).fit(matrix)
            values.append(model.stability_)
            errors.append(model.stability_se_)
        spread = np.std(values, ddof=1)
        print(
            f"{refits} refits: stability {np.min(values):.3f}-{np.max(values):.3f} "
            f"over {args.seeds} seeds (SD {spread:.3f}); reported standard error "
            f"{np.mean(errors):.3f} on average; printed with "
            f"{typology.stability_digits(float(np.mean(errors)))} decimals"
        )


if __name__ == "__main__":
    main()
