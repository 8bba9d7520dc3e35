"""Typology of territories: clusters of similar indicator profiles.

:class:`Typology` follows the scikit-learn estimator contract
(``__init__`` stores parameters, ``fit(X)`` returns ``self``, learned state
ends in ``_``, ``random_state``, ``get_params``/``set_params``), so it can be
cloned, grid-searched and used in a ``Pipeline``. ``X`` is a table of
territories × indicators, typically :func:`analytics.composite.indicator_matrix`
(a row per territory, a column per indicator) or
:func:`analytics.composite.theme_scores`.

What ``fit`` does, in order:

1. **Features.** Columns without any value, or without variation, are
   dropped (``dropped_features_`` says which and why).
2. **Missing values** are imputed with the column median
   (``imputed_`` counts them per column): clustering needs complete rows.
3. **Standardisation**: :math:`z = (x - \\bar x) / s` (``ddof=0``), so that
   roubles and doctors weigh alike.
4. **Clustering** by ``method``: ``"kmeans"`` (k-means, 10 starts),
   ``"ward"`` (agglomerative, Ward linkage) or ``"gmm"`` (Gaussian mixture,
   diagonal covariances by default). With ``n_clusters="auto"`` each k in
   ``k_range`` (bounded by :math:`n - 1`) is fitted and the one with the
   highest mean silhouette

   .. math::

       s = \\frac{1}{n} \\sum_i \\frac{b_i - a_i}{\\max(a_i, b_i)}

   is kept (:math:`a_i` mean distance to its own cluster, :math:`b_i` to the
   nearest other one). Clusters are numbered by size, largest first.
5. **Stability**: ``n_bootstrap`` resamples of the rows (with replacement)
   are clustered again with the same k, and the adjusted Rand index between
   their labels and the full-sample labels of the same rows is averaged
   (1: identical partitions, 0: chance agreement).
6. **Profiles and names**: the mean z-score of each cluster per indicator,
   and a readable name in Russian and English from its strongest traits
   (theme level when the catalog gives themes: "сильные финансы, дефицит
   кадров" / "strong finances, staff shortage"; indicator level
   otherwise). A trait's strength is the mean direction-adjusted z-score
   (:math:`d\\,z`) of its indicators; names are unique across clusters.
7. **Projection**: the first two principal components of the standardised
   data, with their explained variance, for a scatter chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from analytics.store import DIRECTION, INDICATOR_ID, NAME_EN, NAME_RU, THEME

__all__ = ["METHODS", "THEME_TRAITS", "Typology", "stability_digits"]

#: Clustering methods of :class:`Typology`.
METHODS: tuple[str, ...] = ("kmeans", "ward", "gmm")

#: Theme → ((Russian, English) when strong, (Russian, English) when weak).
THEME_TRAITS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "finance": (
        ("сильные финансы", "strong finances"),
        ("слабые финансы", "weak finances"),
    ),
    "staffing": (
        ("обеспеченность кадрами", "well staffed"),
        ("дефицит кадров", "staff shortage"),
    ),
    "competencies": (
        ("высокие компетенции", "strong competencies"),
        ("дефицит компетенций", "weak competencies"),
    ),
    "economy": (
        ("сильная экономика", "strong economy"),
        ("слабая экономика", "weak economy"),
    ),
    "demography": (
        ("благоприятная демография", "favourable demography"),
        ("неблагоприятная демография", "unfavourable demography"),
    ),
    "health": (
        ("хорошее здоровье", "good health"),
        ("проблемы со здоровьем", "poor health"),
    ),
}
AVERAGE_NAME = ("средние показатели", "average profile")


class Typology(ClusterMixin, BaseEstimator):
    """Clusters of territories by their indicator profiles.

    Parameters
    ----------
    method : {"kmeans", "ward", "gmm"}
        Clustering method.
    n_clusters : int or "auto"
        Number of clusters, or ``"auto"``: the best silhouette in ``k_range``.
    k_range : tuple of int
        Smallest and largest k tried by ``"auto"`` (inclusive), bounded by
        ``n_samples - 1``.
    n_bootstrap : int
        Bootstrap refits for ``stability_``; 0 skips it.
    catalog : pandas.DataFrame, optional
        The store's ``indicators`` table (``indicator_id``, ``name_ru``,
        ``name_en``, ``theme``, ``direction``) for cluster names; without it
        traits are named by column and read as direction 0.
    name_by : {"theme", "indicator"}
        Build names from theme-level or indicator-level traits.
    trait_threshold : float
        A trait enters a name when its mean z-score reaches this size
        (more are added only to make names unique).
    covariance_type : str
        Covariance of the Gaussian mixture (``"diag"``, ``"full"``, ...).
    random_state : int, optional
        Seed of k-means, the mixture and the bootstrap.

    Attributes
    ----------
    labels_ : numpy.ndarray
        Cluster of each row, 0 = the largest cluster.
    n_clusters_ : int
        The k used.
    feature_names_ : list of str
        Columns used (after dropping).
    dropped_features_ : dict
        Column → reason (``"no values"``, ``"no variation"``).
    imputed_ : pandas.Series
        Values imputed with the median, per column used.
    silhouette_ : pandas.Series
        Mean silhouette per k tried (one value for a fixed k).
    stability_ : float
        Mean adjusted Rand index over the bootstrap (NaN when skipped).
    stability_scores_ : numpy.ndarray
        The adjusted Rand index of every bootstrap refit.
    stability_se_ : float
        Monte Carlo standard error of ``stability_`` (SD of the refits'
        indices over the square root of their number): another seed moves
        ``stability_`` by about this much, so it is printed to the digits
        this error allows (:func:`stability_digits`).
    profiles_ : pandas.DataFrame
        Mean z-score per cluster (rows) and column.
    cluster_sizes_ : pandas.Series
        Territories per cluster.
    cluster_names_ : pandas.DataFrame
        Per cluster: ``name_ru``, ``name_en``, ``traits`` (keys used).
    embedding_ : pandas.DataFrame
        ``pc1``, ``pc2`` and ``cluster`` of each row (index as ``X``).
    explained_variance_ratio_ : numpy.ndarray
        Share of the variance of the standardised data on pc1 and pc2.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(np.vstack([rng.normal(0, 0.3, (10, 2)),
    ...                             rng.normal(5, 0.3, (10, 2))]),
    ...                  columns=["revenue", "doctors"])
    >>> model = Typology(n_clusters="auto", n_bootstrap=5).fit(X)
    >>> model.n_clusters_, model.labels_.tolist() == [0] * 10 + [1] * 10
    (2, True)
    >>> round(model.stability_, 2)
    1.0
    """

    def __init__(
        self,
        method: str = "kmeans",
        n_clusters: int | str = 4,
        *,
        k_range: tuple[int, int] = (2, 8),
        n_bootstrap: int = 20,
        catalog: pd.DataFrame | None = None,
        name_by: str = "theme",
        trait_threshold: float = 0.5,
        covariance_type: str = "diag",
        random_state: int | None = 0,
    ) -> None:
        self.method = method
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.n_bootstrap = n_bootstrap
        self.catalog = catalog
        self.name_by = name_by
        self.trait_threshold = trait_threshold
        self.covariance_type = covariance_type
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    def _cluster(self, z: np.ndarray, k: int, seed: int | None) -> np.ndarray:
        if self.method == "kmeans":
            return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(z)
        if self.method == "ward":
            return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(z)
        mixture = GaussianMixture(
            n_components=k,
            covariance_type=self.covariance_type,
            n_init=3,
            reg_covar=1e-4,
            random_state=seed,
        )
        return mixture.fit(z).predict(z)

    def _check(self, n: int) -> list[int]:
        """The k values to try, after checking the parameters."""
        if self.method not in METHODS:
            raise ValueError(
                f"Typology: method must be one of {list(METHODS)}; got {self.method!r}"
            )
        if self.name_by not in ("theme", "indicator"):
            raise ValueError(
                "Typology: name_by must be 'theme' or 'indicator'; "
                f"got {self.name_by!r}"
            )
        if n < 3:
            raise ValueError(
                f"Typology: needs at least 3 territories to form 2 clusters; got {n}"
            )
        if self.n_clusters == "auto":
            low, high = self.k_range
            high = min(high, n - 1)
            if low < 2 or low > high:
                raise ValueError(
                    f"Typology: k_range {tuple(self.k_range)} leaves no k between 2 "
                    f"and n_samples - 1 = {n - 1}"
                )
            return list(range(low, high + 1))
        k = self.n_clusters
        if not isinstance(k, int | np.integer) or not 2 <= k <= n - 1:
            raise ValueError(
                f"Typology: n_clusters must be 'auto' or an integer from 2 to "
                f"n_samples - 1 = {n - 1}; got {k!r}"
            )
        return [int(k)]

    def fit(self, X, y=None) -> Typology:  # noqa: N803 (scikit-learn's name)
        """Cluster the rows of ``X`` (territories × indicators).

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n_samples, n_features)
            Indicator values; NaN allowed (median-imputed). A DataFrame's
            index (territory ids) and columns (indicator ids) are kept.
        y : ignored

        Returns
        -------
        self
        """
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        if frame.ndim != 2 or frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ValueError(f"Typology: X is empty; got shape {frame.shape}")
        frame = frame.apply(pd.to_numeric, errors="raise").astype(float)
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], object)
        self.n_features_in_ = frame.shape[1]
        if np.isinf(frame.to_numpy()).any():
            raise ValueError("Typology: X contains infinite values")
        ks = self._check(len(frame))

        dropped = {}
        for column in frame.columns:
            values = frame[column].dropna()
            if values.empty:
                dropped[str(column)] = "no values"
            elif values.nunique() == 1:
                dropped[str(column)] = "no variation"
        used = frame[[c for c in frame.columns if str(c) not in dropped]]
        if used.shape[1] == 0:
            raise ValueError(f"Typology: no column has varying values ({dropped})")
        self.dropped_features_ = dropped
        self.feature_names_ = [str(c) for c in used.columns]
        self.imputed_ = pd.Series(
            used.isna().sum().to_numpy(), index=self.feature_names_, name="imputed"
        )
        filled = used.fillna(used.median())
        x = filled.to_numpy()
        z = (x - x.mean(axis=0)) / x.std(axis=0)

        # A typology is a few thousand rows at most: OpenMP threads cost more
        # in synchronisation than they gain (k-means ran 10x slower with two
        # threads on a busy 2-core machine), so every fit runs on one thread.
        with threadpool_limits(limits=1):
            scores, fits = {}, {}
            for k in ks:
                fits[k] = self._cluster(z, k, self.random_state)
                distinct = np.unique(fits[k]).size
                scores[k] = (
                    silhouette_score(z, fits[k]) if 1 < distinct < len(z) else np.nan
                )
            valid = {k: v for k, v in scores.items() if not np.isnan(v)}
            best_k = max(valid, key=lambda k: (valid[k], -k)) if valid else ks[0]
            best = fits[best_k]
            self.silhouette_ = pd.Series(scores, name="silhouette").rename_axis("k")
            self.n_clusters_ = best_k
            self.labels_ = _canonical(best)
            self._stability(z)

        index = frame.index
        sizes = pd.Series(self.labels_).value_counts().sort_index()
        self.cluster_sizes_ = sizes.rename("size").rename_axis("cluster")
        self.profiles_ = (
            pd.DataFrame(z, columns=self.feature_names_)
            .groupby(self.labels_)
            .mean()
            .rename_axis("cluster")
        )
        self.cluster_names_ = self._names()
        n_comp = min(2, z.shape[1], z.shape[0])
        pca = PCA(n_components=n_comp, random_state=self.random_state).fit(z)
        coords = np.zeros((len(z), 2))
        coords[:, :n_comp] = pca.transform(z)
        ratio = np.zeros(2)
        ratio[:n_comp] = pca.explained_variance_ratio_
        self.explained_variance_ratio_ = ratio
        self.embedding_ = pd.DataFrame(
            {"pc1": coords[:, 0], "pc2": coords[:, 1], "cluster": self.labels_},
            index=index,
        )
        return self

    def _stability(self, z: np.ndarray) -> None:
        rng = np.random.default_rng(self.random_state)
        aris = []
        k = self.n_clusters_
        for _ in range(max(int(self.n_bootstrap), 0)):
            rows = rng.integers(0, len(z), size=len(z))
            if np.unique(z[rows], axis=0).shape[0] <= k:
                continue  # too few distinct rows to form k clusters
            seed = int(rng.integers(0, 2**31 - 1))
            refit = self._cluster(z[rows], k, seed)
            aris.append(adjusted_rand_score(self.labels_[rows], refit))
        self.stability_scores_ = np.asarray(aris)
        self.stability_ = float(np.mean(aris)) if aris else float("nan")
        self.stability_se_ = (
            float(np.std(aris, ddof=1) / np.sqrt(len(aris)))
            if len(aris) > 1
            else float("nan")
        )

    # ---------------------------------------------------------------- names

    def _traits(self) -> list[list[tuple[str, float, str, str]]]:
        """Per cluster: (key, strength, ru, en), strongest first."""
        columns = [NAME_RU, NAME_EN, THEME, DIRECTION]
        meta = pd.DataFrame(index=pd.Index(self.feature_names_), columns=columns)
        if self.catalog is not None:
            catalog = self.catalog.drop_duplicates(INDICATOR_ID).set_index(INDICATOR_ID)
            meta = catalog.reindex(index=meta.index, columns=columns)
        meta[DIRECTION] = pd.to_numeric(meta[DIRECTION], errors="coerce").fillna(0)
        for column in (NAME_RU, NAME_EN):
            names = meta[column].astype(object)
            meta[column] = names.where(names.notna() & (names != ""), meta.index)
        by_theme = self.name_by == "theme"
        result = []
        for cluster in self.profiles_.index:
            z = self.profiles_.loc[cluster]
            traits = []
            grouped = (
                meta[(meta[DIRECTION] != 0) & meta[THEME].isin(list(THEME_TRAITS))]
                if by_theme
                else meta.iloc[0:0]
            )
            for theme, rows in grouped.groupby(THEME):
                strength = float((z[rows.index] * rows[DIRECTION]).mean())
                ru, en = THEME_TRAITS[theme][0 if strength > 0 else 1]
                traits.append((f"theme:{theme}", strength, ru, en))
            for feature in meta.index.difference(grouped.index, sort=False):
                value = float(z[feature])
                high = value > 0
                side = "выше" if high else "ниже"
                ru = f"«{meta.at[feature, NAME_RU]}» {side} среднего"
                en = f"{'high' if high else 'low'} {meta.at[feature, NAME_EN]}"
                traits.append((feature, value, ru, en))
            traits.sort(key=lambda t: (-abs(t[1]), t[0]))
            result.append(traits)
        return result

    def _names(self) -> pd.DataFrame:
        traits = self._traits()
        strong = [sum(abs(t[1]) >= self.trait_threshold for t in ts) for ts in traits]
        counts = [min(2, s) for s in strong]

        def name(i: int) -> tuple[str, str]:
            if counts[i] == 0:
                return AVERAGE_NAME
            chosen = traits[i][: counts[i]]
            return ", ".join(t[2] for t in chosen), ", ".join(t[3] for t in chosen)

        while True:
            names = [name(i) for i in range(len(traits))]
            seen = pd.Series([n[1] for n in names])
            clash = seen.duplicated(keep=False).to_numpy()
            grow = [i for i in np.flatnonzero(clash) if counts[i] < len(traits[i])]
            if not grow:
                break
            for i in grow:
                counts[i] += 1
        seen = pd.Series([n[1] for n in names])
        for i in np.flatnonzero(seen.duplicated(keep=False).to_numpy()):
            names[i] = (f"{names[i][0]} (тип {i + 1})", f"{names[i][1]} (type {i + 1})")
        return pd.DataFrame(
            {
                NAME_RU: [n[0] for n in names],
                NAME_EN: [n[1] for n in names],
                "traits": [
                    [t[0] for t in traits[i][: counts[i]]] for i in range(len(traits))
                ],
            },
            index=self.profiles_.index,
        )


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters by size (largest first), ties by first appearance."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    mapping = np.empty(values.size, dtype=int)
    mapping[order] = np.arange(values.size)
    return mapping[np.searchsorted(values, labels)]


def stability_digits(std_error: float) -> int:
    """Decimals a stability index can be printed with, given its Monte Carlo
    standard error: the last digit printed is the first one that two standard
    errors do not swamp (0.03 -> 1 decimal, 0.004 -> 2), at most 3; 2 when
    every refit agreed (no error measured) or there was none.

    >>> stability_digits(0.015), stability_digits(0.004), stability_digits(0.0)
    (1, 2, 2)
    """
    if not (std_error > 0) or not np.isfinite(std_error):
        return 2
    return int(min(3, max(0, np.floor(-np.log10(2.0 * std_error)))))
