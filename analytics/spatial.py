"""Spatial structure of gaps: neighbours, global and local Moran's I.

Neighbours are a plain ``dict[int, list[int]]`` from a territory's position
(0-based, in the order of the values) to the positions of its neighbours.
They come from

* a GAL file as PySAL and GeoDa write it (:func:`read_gal`);
* boundaries, by queen contiguity (:func:`contiguity`): two territories are
  neighbours when their polygons touch or overlap, or come within
  ``tolerance`` degrees of each other. The tolerance (default 0.001°, about
  60-110 m) absorbs boundaries simplified separately, whose common border
  does not share every vertex: on the shipped municipal boundaries it adds
  one pair of 7,003 (Petrovsk-Zabaykalsky district and Zaigraevsky district,
  0.00098° apart across a regional border);
* centres (:func:`knn`, :func:`distance_band`): the ``k`` nearest, or all
  within a distance, by great-circle distance (a KD-tree on points of the
  unit sphere: the chord orders pairs as the arc does).

Weights are row-standardised (``transform="r"``: each neighbour of a
territory with :math:`k` neighbours weighs :math:`1/k`) unless
``transform="b"`` (binary, every neighbour 1).

Statistics (Anselin 1995; the definitions of PySAL ``esda``, which the tests
reproduce to 1e-9 on the same weights):

.. math::

    I = \\frac{n}{S_0} \\frac{z^\\top W z}{z^\\top z}, \\qquad
    I_i = (n - 1) \\frac{z_i \\sum_j w_{ij} z_j}{\\sum_k z_k^2}

with :math:`z` the deviations from the mean (divided by the standard
deviation for the local statistic) and :math:`S_0` the sum of the weights.
The pseudo p-value of a permutation test is :math:`(M + 1) / (R + 1)`, with
:math:`R` permutations and :math:`M` the number of permuted statistics at
least as extreme as the observed one *in the direction it lies* (esda's
"directed" rule, its default; a permuted statistic equal to the observed one
up to rounding counts as at least as extreme): so ``p_sim`` is one-sided and never above
0.5. The global test permutes all values; the local test keeps territory
:math:`i` in place and draws its neighbours' values from the other
:math:`n - 1` (conditional randomisation). The local draws are esda's own:
one set of ``permutations`` × max-neighbours positions drawn with
``numpy.random.RandomState(seed)``, shared by all territories, so that with
the same seed the p-values equal esda's exactly (without numba, whose
generator differs).

Missing values: none allowed (``ValueError`` naming the argument); take the
territories with a value and their neighbours among them with
:func:`restrict`. A territory without neighbours (an island) has a spatial
lag of 0, a local statistic of 0, no p-value (NaN) and no quadrant ("").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

__all__ = [
    "QUADRANTS",
    "Layer",
    "among",
    "LocalMoran",
    "Moran",
    "clustering",
    "contiguity",
    "distance_band",
    "knn",
    "load_layer",
    "local_moran",
    "moran",
    "read_gal",
    "restrict",
    "weights_matrix",
]

Neighbours = Mapping[int, Sequence[int]]
#: Local Moran quadrants: value above/below the mean (first letter) and the
#: neighbours' average above/below it (second letter).
QUADRANTS: tuple[str, ...] = ("HH", "LH", "LL", "HL")
EARTH_RADIUS_KM = 6371.0088
DEFAULT_TOLERANCE = 1e-3  # degrees


# ------------------------------------------------------------------ weights


def read_gal(path: str | Path) -> dict[int, list[int]]:
    """Neighbours from a GAL file, as 0-based positions in file order.

    Both headers are read: ``n`` alone (GeoDa, PySAL) and the four-field
    ``0 n layer key``. Each territory takes two lines, ``id count`` and the
    ids of its neighbours; ids may be any tokens (0-based, 1-based, codes)
    and positions follow the order in which the ids first head a record,
    as PySAL's reader does (so the positions match the rows of the data file
    the GAL was written for).

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".gal", delete=False) as f:
    ...     _ = f.write("3\\n1 1\\n2\\n2 2\\n1 3\\n3 1\\n2\\n")
    >>> read_gal(f.name)
    {0: [1], 1: [0, 2], 2: [1]}
    >>> os.remove(f.name)
    """
    path = Path(path)
    tokens = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not tokens:
        raise ValueError(f"read_gal: {path.name} is empty")
    header = tokens[0]
    try:
        n = int(header[1] if len(header) >= 4 else header[0])
    except (ValueError, IndexError):
        raise ValueError(f"read_gal: {path.name}: bad header {header!r}") from None
    records = tokens[1:]
    heads: list[str] = []
    lists: list[list[str]] = []
    at = 0
    while at < len(records) and len(heads) < n:
        head = records[at]
        if len(head) != 2:
            raise ValueError(
                f"read_gal: {path.name}: line {at + 2}: "
                f"expected 'id count', got {head!r}"
            )
        count = int(head[1])
        neighbours = records[at + 1] if count else []
        if len(neighbours) != count:
            raise ValueError(
                f"read_gal: {path.name}: line {at + 3}: {head[0]} should list "
                f"{count} neighbours, lists {len(neighbours)}"
            )
        heads.append(head[0])
        lists.append(neighbours)
        at += 2 if count else 1
    if len(heads) != n:
        raise ValueError(f"read_gal: {path.name}: header says {n}, found {len(heads)}")
    position = {key: i for i, key in enumerate(heads)}
    try:
        return {i: [position[key] for key in keys] for i, keys in enumerate(lists)}
    except KeyError as error:
        raise ValueError(
            f"read_gal: {path.name}: neighbour {error.args[0]} has no record"
        ) from None


def weights_matrix(
    neighbours: Neighbours, n: int | None = None, *, transform: str = "r"
) -> sp.csr_matrix:
    """Sparse weights matrix (CSR, sorted columns) of ``neighbours``.

    ``transform="r"``: rows sum to 1 (islands: a zero row); ``"b"``: 1 per
    neighbour. Self-neighbours and repeats are dropped.

    >>> weights_matrix({0: [1, 2], 1: [0], 2: [0]}).toarray()
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ],
           [1. , 0. , 0. ]])
    """
    if transform not in ("r", "b"):
        raise ValueError(
            f"weights_matrix: transform must be 'r' or 'b'; got {transform!r}"
        )
    n = len(neighbours) if n is None else n
    rows = np.fromiter((i for i, js in neighbours.items() for _ in js), dtype=np.int64)
    cols = np.fromiter((j for js in neighbours.values() for j in js), dtype=np.int64)
    if len(cols) and (cols.min() < 0 or cols.max() >= n or rows.max() >= n):
        raise ValueError(f"weights_matrix: neighbour positions must be in 0..{n - 1}")
    keep = rows != cols
    matrix = sp.coo_matrix(
        (np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(n, n)
    ).tocsr()
    matrix.data[:] = 1.0  # repeats summed by tocsr count once
    matrix.sort_indices()
    if transform == "r":
        degree = np.diff(matrix.indptr)
        matrix.data /= np.repeat(np.maximum(degree, 1), degree)
    return matrix


def among(neighbours: Neighbours, positions: Sequence[int]) -> dict[int, list[int]]:
    """Neighbours among the territories at ``positions`` only, renumbered
    in the order of ``positions`` (how a layer's contiguity, built once,
    serves any subset of it).

    >>> among({0: [1, 2], 1: [0, 2], 2: [0, 1], 3: []}, [2, 0, 3])
    {0: [1], 1: [0], 2: []}
    """
    new = {old: i for i, old in enumerate(positions)}
    return {
        i: [new[j] for j in neighbours.get(old, ()) if j in new]
        for i, old in enumerate(positions)
    }


def restrict(neighbours: Neighbours, keep: Sequence[bool] | np.ndarray) -> dict:
    """Neighbours among the kept positions only, renumbered 0..m-1.

    >>> restrict({0: [1, 2], 1: [0, 2], 2: [0, 1]}, [True, False, True])
    {0: [1], 1: [0]}
    """
    keep = np.asarray(keep, dtype=bool)
    new = np.full(len(keep), -1)
    new[keep] = np.arange(int(keep.sum()))
    return {
        int(new[i]): [int(new[j]) for j in neighbours.get(i, ()) if keep[j]]
        for i in np.flatnonzero(keep)
    }


def _pairs_to_neighbours(n: int, a: np.ndarray, b: np.ndarray) -> dict[int, list[int]]:
    mask = a != b
    a, b = np.asarray(a[mask], dtype=np.int64), np.asarray(b[mask], dtype=np.int64)
    # one int64 key per ordered pair: a 1-D unique (sorted by i, then j)
    keys = np.unique(np.r_[a * n + b, b * n + a])
    rows, cols = np.divmod(keys, n)
    starts = np.searchsorted(rows, np.arange(n + 1))
    cols = cols.tolist()
    return {i: cols[starts[i] : starts[i + 1]] for i in range(n)}


def contiguity(geometries: Sequence, *, tolerance: float = DEFAULT_TOLERANCE) -> dict:
    """Queen contiguity of shapely geometries: touching, overlapping, or
    within ``tolerance`` (in the geometries' units; degrees for GeoJSON).

    >>> import shapely
    >>> squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2),
    ...            shapely.box(2.0005, 0, 3, 1), shapely.box(5, 5, 6, 6)]
    >>> contiguity(squares)
    {0: [1], 1: [0, 2], 2: [1], 3: []}
    """
    import shapely

    geometries = np.asarray(geometries, dtype=object)
    tree = shapely.STRtree(geometries)
    if tolerance > 0:
        a, b = tree.query(geometries, predicate="dwithin", distance=tolerance)
    else:
        a, b = tree.query(geometries, predicate="intersects")
    return _pairs_to_neighbours(len(geometries), a, b)


def _unit_sphere(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    return np.column_stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    )


def _points(fn: str, lon, lat) -> np.ndarray:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError(f"{fn}: lon and lat must be 1-D and of one length")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError(f"{fn}: lon and lat must be finite")
    return _unit_sphere(lon, lat)


def knn(lon, lat, *, k: int = 6) -> dict[int, list[int]]:
    """The ``k`` nearest territories by great-circle distance between
    centres (not symmetric: ``j`` may be among ``i``'s nearest and not the
    reverse). Positions in order of distance.

    >>> knn([0, 1, 3, 10], [0, 0, 0, 0], k=1)
    {0: [1], 1: [0], 2: [1], 3: [2]}
    """
    xyz = _points("knn", lon, lat)
    n = len(xyz)
    if not 1 <= k < n:
        raise ValueError(f"knn: k must be in 1..{n - 1}; got {k}")
    _, idx = cKDTree(xyz).query(xyz, k=k + 1)
    out = {}
    for i, row in enumerate(idx.tolist()):
        row = [j for j in row if j != i][:k]
        out[i] = row
    return out


def distance_band(lon, lat, *, km: float) -> dict[int, list[int]]:
    """Territories whose centres are at most ``km`` apart (great circle).

    >>> distance_band([37.62, 37.62, 39.0], [55.75, 56.0, 55.75], km=30)
    {0: [1], 1: [0], 2: []}
    """
    xyz = _points("distance_band", lon, lat)
    if not km > 0:
        raise ValueError(f"distance_band: km must be positive; got {km}")
    chord = 2 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2)
    pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
    return _pairs_to_neighbours(len(xyz), pairs[:, 0], pairs[:, 1])


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km (haversine).

    >>> round(float(great_circle_km(0, 0, 0, 1)), 1)
    111.2
    """
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


# ----------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class Layer:
    """Polygons of territories: ``territory_ids`` (8-digit OKTMO), ``names``,
    ``geometries`` (shapely, WGS 84 lon/lat), ``lon``/``lat`` of a point
    inside each polygon (shapely's representative point)."""

    territory_ids: tuple[str, ...]
    names: tuple[str, ...]
    geometries: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def subset(self, ids: Sequence[str]) -> Layer:
        """The features of ``ids`` that the layer has, in the order of ``ids``."""
        position = {tid: i for i, tid in enumerate(self.territory_ids)}
        at = [position[i] for i in ids if i in position]
        return Layer(
            territory_ids=tuple(self.territory_ids[i] for i in at),
            names=tuple(self.names[i] for i in at),
            geometries=self.geometries[at],
            lon=self.lon[at],
            lat=self.lat[at],
        )

    def neighbours(self, *, tolerance: float = DEFAULT_TOLERANCE) -> dict:
        """Queen contiguity of the layer's polygons (see :func:`contiguity`)."""
        return contiguity(self.geometries, tolerance=tolerance)

    def positions(self, ids: Sequence[str]) -> list[int]:
        """Positions in the layer of the ``ids`` it has, in the order of
        ``ids`` (the order of :meth:`subset`)."""
        position = {tid: i for i, tid in enumerate(self.territory_ids)}
        return [position[i] for i in ids if i in position]

    def geojson(self, ids: Sequence[str] | None = None) -> dict:
        """A FeatureCollection for the maps of :mod:`analytics.maps`:
        ``id`` = territory id, MultiPolygon geometries with outer rings
        clockwise (what plotly's d3-geo expects, as
        :mod:`analytics.geo` writes them), 4 decimals; only ``ids`` when
        given."""
        import shapely

        wanted = None if ids is None else set(ids)
        features = []
        for tid, name, geometry in zip(
            self.territory_ids, self.names, self.geometries, strict=True
        ):
            if wanted is not None and tid not in wanted:
                continue
            geometry = shapely.orient_polygons(geometry, exterior_cw=True)
            polygons = (
                list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
            )
            coordinates = [
                [
                    np.round(np.asarray(ring.coords)[:, :2], 4).tolist()
                    for ring in (polygon.exterior, *polygon.interiors)
                ]
                for polygon in polygons
                if polygon.geom_type == "Polygon" and not polygon.is_empty
            ]
            features.append(
                {
                    "type": "Feature",
                    "id": tid,
                    "properties": {"name": name},
                    "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def outlines(self, ids: Sequence[str] | None = None) -> tuple[list, list]:
        """Longitudes and latitudes of every outer ring, rings separated by
        None (one line trace draws them all)."""
        import shapely

        wanted = None if ids is None else set(ids)
        lons: list = []
        lats: list = []
        for tid, geometry in zip(self.territory_ids, self.geometries, strict=True):
            if wanted is not None and tid not in wanted:
                continue
            parts = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
            for polygon in parts:
                if polygon.geom_type != "Polygon" or polygon.is_empty:
                    continue
                xy = shapely.get_coordinates(polygon.exterior)
                lons.extend([*xy[:, 0].round(4).tolist(), None])
                lats.extend([*xy[:, 1].round(4).tolist(), None])
        return lons, lats


def layer_from_features(features: Sequence[dict], *, key: str = "oktmo") -> Layer:
    """A :class:`Layer` from GeoJSON features whose property ``key`` is the
    territory id (features of one id merged into one geometry)."""
    import shapely

    ids, names, parts = [], [], {}
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        tid = str(props.get(key) or feature.get("id") or "").strip()
        if not tid:
            raise ValueError(f"layer_from_features: feature {index} has no {key!r}")
        geometry = shapely.from_geojson(json.dumps(feature["geometry"]))
        if tid not in parts:
            ids.append(tid)
            names.append(str(props.get("name_short") or props.get("name") or tid))
            parts[tid] = []
        parts[tid].append(geometry)
    geometries = np.array(
        [p[0] if len(p) == 1 else shapely.union_all(p) for p in parts.values()],
        dtype=object,
    )
    geometries = shapely.make_valid(geometries)
    points = shapely.point_on_surface(geometries)
    return Layer(
        territory_ids=tuple(ids),
        names=tuple(names),
        geometries=geometries,
        lon=shapely.get_x(points),
        lat=shapely.get_y(points),
    )


def load_layer(path: str | Path, *, key: str = "oktmo") -> Layer:
    """Read a GeoJSON FeatureCollection of municipalities into a :class:`Layer`."""
    with open(path, encoding="utf-8") as handle:
        collection = json.load(handle)
    return layer_from_features(collection["features"], key=key)


# ------------------------------------------------------------------- Moran


def _values(fn: str, values, n_neighbours: int) -> np.ndarray:
    y = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(y).all():
        bad = int((~np.isfinite(y)).sum())
        raise ValueError(
            f"{fn}: values must be finite; got {bad} missing or infinite "
            "(use spatial.restrict to drop those territories)"
        )
    if len(y) != n_neighbours:
        raise ValueError(
            f"{fn}: {len(y)} values but neighbours for {n_neighbours} territories"
        )
    if len(y) < 3:
        raise ValueError(f"{fn}: need at least 3 territories; got {len(y)}")
    if np.ptp(y) == 0:
        raise ValueError(f"{fn}: values are all equal; Moran's I is undefined")
    return y


def _matrix(neighbours, n: int, transform: str) -> sp.csr_matrix:
    if sp.issparse(neighbours):
        return sp.csr_matrix(neighbours)
    return weights_matrix(neighbours, n, transform=transform)


def _tied(observed):
    # a permutation that reproduces the observed configuration (a territory
    # with one neighbour drawing that neighbour) gives the observed statistic
    # up to rounding; it counts as "at least as extreme" (esda's float
    # rounding sometimes drops such ties, one count in a p-value's numerator)
    return observed - 1e-9 * np.abs(observed)


def _folded(larger: np.ndarray, permutations: int) -> np.ndarray:
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


@dataclass(frozen=True)
class Moran:
    """Global Moran's I.

    ``I``; ``expected`` :math:`-1/(n-1)`; ``p_sim`` (one-sided, directed,
    see the module); ``z_sim`` (I in standard deviations of the permuted
    I's); ``p_norm`` (two-sided, under normality); ``n``; ``permutations``.
    """

    I: float  # noqa: E741, N815 (the statistic's name)
    expected: float
    p_sim: float
    z_sim: float
    p_norm: float
    n: int
    permutations: int


def moran(
    values,
    neighbours: Neighbours,
    *,
    permutations: int = 999,
    seed: int = 0,
    transform: str = "r",
) -> Moran:
    """Global Moran's I of ``values`` on ``neighbours``, with a permutation
    test (``permutations`` random permutations of all values, from
    ``numpy.random.default_rng(seed)``).

    >>> m = moran([1.0, 2, 3, 4, 5, 6], {i: [j for j in (i - 1, i + 1)
    ...           if 0 <= j < 6] for i in range(6)}, permutations=99)
    >>> round(m.I, 4), round(m.expected, 2), m.p_sim < 0.05
    (0.7143, -0.2, True)
    """
    y = _values(
        "moran",
        values,
        len(neighbours) if not sp.issparse(neighbours) else neighbours.shape[0],
    )
    n = len(y)
    w = _matrix(neighbours, n, transform)
    z = y - y.mean()
    z2ss = float(z @ z)
    s0 = float(w.sum())
    if s0 == 0:
        raise ValueError("moran: no territory has a neighbour")
    i_obs = n / s0 * float(z @ (w @ z)) / z2ss
    expected = -1.0 / (n - 1)
    # normality moments (Cliff and Ord), as esda's VI_norm
    wt = w + w.T
    s1 = 0.5 * float(wt.multiply(wt).sum())
    s2 = float(
        (
            (np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2
        ).sum()
    )
    var = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n - 1) * (n + 1) * s0 * s0)
    var -= expected**2
    z_norm = (i_obs - expected) / np.sqrt(var)
    p_norm = math.erfc(abs(z_norm) / math.sqrt(2))  # two-sided normal tail
    p_sim = z_sim = float("nan")
    if permutations:
        rng = np.random.default_rng(seed)
        sims = np.empty(permutations)
        chunk = max(1, 2_000_000 // n)
        for start in range(0, permutations, chunk):
            m = min(chunk, permutations - start)
            zp = rng.permuted(np.broadcast_to(z, (m, n)), axis=1)
            sims[start : start + m] = (
                n / s0 * np.einsum("ij,ij->i", zp, (w @ zp.T).T) / z2ss
            )
        larger = int((sims >= _tied(i_obs)).sum())
        p_sim = float(_folded(np.array(larger), permutations))
        sd = sims.std()
        z_sim = float((i_obs - sims.mean()) / sd) if sd > 0 else float("nan")
    return Moran(
        I=i_obs,
        expected=expected,
        p_sim=p_sim,
        z_sim=z_sim,
        p_norm=p_norm,
        n=n,
        permutations=permutations,
    )


@dataclass(frozen=True)
class LocalMoran:
    """Local Moran's I (LISA) of every territory.

    ``Is`` local statistics; ``p_sim`` pseudo p-values (NaN for islands);
    ``z_sim`` the statistic in standard deviations of its permutations;
    ``quadrant`` "HH", "LH", "LL", "HL" ("" for islands); ``z`` standardised
    values; ``lag`` their spatial lag (weighted mean of the neighbours'
    ``z`` for row-standardised weights); ``permutations``.
    """

    Is: np.ndarray  # noqa: N815 (esda's name)
    p_sim: np.ndarray
    z_sim: np.ndarray
    quadrant: np.ndarray
    z: np.ndarray
    lag: np.ndarray
    permutations: int

    def significant(self, alpha: float = 0.05) -> np.ndarray:
        """Territories whose ``p_sim`` is below ``alpha``."""
        with np.errstate(invalid="ignore"):
            return np.asarray(self.p_sim < alpha)

    def clusters(self, alpha: float = 0.05) -> np.ndarray:
        """The quadrant where significant at ``alpha``, else "ns"."""
        return np.where(self.significant(alpha), self.quadrant, "ns")


def _local_larger(
    z: np.ndarray,
    draws: np.ndarray,
    sites: np.ndarray,
    factor: np.ndarray,
    observed: np.ndarray,
    offsets: np.ndarray,
) -> np.ndarray:
    """How many permuted local statistics reach the observed one, for the
    ``sites`` (ascending) that all have ``k = draws.shape[1]`` neighbours.

    Draw ``q`` among "all but site i" is territory ``q`` for ``q < i`` and
    ``q + 1`` beyond, so a permuted neighbour sum is the sum of ``z[q]``
    plus the steps ``z[q + 1] - z[q]`` of the draws at or above ``i``:
    sorting each permutation's draws once, the steps above ``i`` are a
    suffix sum found by one ``searchsorted`` for all sites and permutations
    (work ∝ permutations × sites, not × sites × k).
    """
    n_perm, k = draws.shape
    n = len(z)
    order = np.argsort(draws, axis=1)
    sorted_draws = np.take_along_axis(draws, order, axis=1)
    step = np.take_along_axis(z[draws + 1] - z[draws], order, axis=1)
    suffix = np.zeros((n_perm, k + 1))
    suffix[:, :k] = np.cumsum(step[:, ::-1], axis=1)[:, ::-1]
    base = z[draws].sum(axis=1)[:, None]
    flat = (sorted_draws + offsets * n).ravel()
    larger = np.zeros(len(sites), dtype=np.int64)
    mean = np.zeros(len(sites))
    sd = np.zeros(len(sites))
    chunk = max(1, 2_000_000 // n_perm)
    for at in range(0, len(sites), chunk):
        part = slice(at, at + chunk)
        queries = sites[part][None, :] + offsets * n
        below = np.searchsorted(flat, queries.ravel()).reshape(queries.shape)
        below -= offsets * k
        sums = base + np.take_along_axis(suffix, below, axis=1)
        rand = factor[part][None, :] * sums
        larger[part] = (rand >= _tied(observed[part])[None, :]).sum(axis=0)
        mean[part] = rand.mean(axis=0)
        sd[part] = rand.std(axis=0)
    return larger, mean, sd


def _quadrants(z: np.ndarray, lag: np.ndarray, island: np.ndarray) -> np.ndarray:
    high, high_lag = z > 0, lag > 0
    out = np.where(
        high,
        np.where(high_lag, "HH", "HL"),
        np.where(high_lag, "LH", "LL"),
    ).astype("<U2")
    out[island] = ""
    return out


def local_moran(
    values,
    neighbours: Neighbours,
    *,
    permutations: int = 999,
    seed: int = 0,
    transform: str = "r",
) -> LocalMoran:
    """Local Moran's I with a conditional permutation test (see the module).

    Vectorised: the draws for a territory with :math:`k` neighbours are the
    first :math:`k` columns of a shared ``permutations`` × ``max k`` table of
    positions among the other :math:`n - 1` territories, so all
    territories of one :math:`k` are computed together.

    >>> lm = local_moran([1.0, 1, 1, 9, 9, 9], {0: [1], 1: [0, 2], 2: [1, 3],
    ...                  3: [2, 4], 4: [3, 5], 5: [4]}, permutations=99)
    >>> lm.quadrant.tolist()
    ['LL', 'LL', 'LL', 'HL', 'HH', 'HH']
    """
    n_given = neighbours.shape[0] if sp.issparse(neighbours) else len(neighbours)
    y = _values("local_moran", values, n_given)
    n = len(y)
    w = _matrix(neighbours, n, transform)
    z = (y - y.mean()) / y.std()
    lag = w @ z
    scaling = (n - 1) / float(z @ z)
    is_obs = scaling * z * lag
    degree = np.diff(w.indptr)
    island = degree == 0
    p_sim = np.full(n, np.nan)
    z_sim = np.full(n, np.nan)
    if permutations and (~island).any():
        max_k = int(degree.max())
        # esda's draws: RandomState(seed).choice(n - 1, max_k, replace=False)
        # per permutation, i.e. the head of RandomState.permutation(n - 1)
        state = np.random.RandomState(seed)
        draws = np.empty((permutations, max_k), dtype=np.int64)
        for p in range(permutations):
            draws[p] = state.permutation(n - 1)[:max_k]
        larger = np.zeros(n, dtype=np.int64)
        mean, sd = np.zeros(n), np.zeros(n)
        row_weight = w.data[w.indptr[:-1][~island]]
        weight = np.zeros(n)
        weight[~island] = row_weight  # equal within a row for "r" and "b"
        offsets = np.arange(permutations)[:, None]
        for k in np.unique(degree[~island]):
            sites = np.flatnonzero(degree == k)
            larger[sites], mean[sites], sd[sites] = _local_larger(
                z,
                draws[:, :k],
                sites,
                scaling * z[sites] * weight[sites],
                is_obs[sites],
                offsets,
            )
        p_sim = np.where(island, np.nan, _folded(larger, permutations))
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = np.where(island | (sd == 0), np.nan, (is_obs - mean) / sd)
    return LocalMoran(
        Is=is_obs,
        p_sim=p_sim,
        z_sim=z_sim,
        quadrant=_quadrants(z, lag, island),
        z=z,
        lag=lag,
        permutations=permutations,
    )


# -------------------------------------------------------------- in words


@dataclass(frozen=True)
class Clustering:
    """What the maps say about lagging territories, as numbers for a sentence.

    ``clustered``: global I > 0 with ``p_sim < alpha`` (similar values sit
    together); ``lagging_clusters``: territories in significant low-low
    clusters (behind, among neighbours who are behind, direction-adjusted);
    ``leading_clusters``: high-high; ``outliers``: HL + LH significant;
    ``n``; ``alpha``; ``moran``.
    """

    moran: Moran
    clustered: bool
    lagging_clusters: int
    leading_clusters: int
    outliers: int
    n: int
    alpha: float


def clustering(
    global_: Moran, local: LocalMoran, *, direction: int = 1, alpha: float = 0.05
) -> Clustering:
    """Summarise global and local Moran for the sentence "do lagging
    territories cluster?". With ``direction=-1`` (lower is better) the
    lagging clusters are the high-high ones.

    >>> g = Moran(I=0.4, expected=-0.1, p_sim=0.01, z_sim=3.0, p_norm=0.01,
    ...           n=4, permutations=99)
    >>> lm = LocalMoran(Is=np.ones(4), p_sim=np.array([0.01, 0.02, 0.3, 0.01]),
    ...                 z_sim=np.zeros(4),
    ...                 quadrant=np.array(["LL", "LL", "HH", "HH"]),
    ...                 z=np.zeros(4), lag=np.zeros(4), permutations=99)
    >>> c = clustering(g, lm)
    >>> c.clustered, c.lagging_clusters, c.leading_clusters
    (True, 2, 1)
    """
    significant = local.significant(alpha)
    behind, ahead = ("LL", "HH") if direction >= 0 else ("HH", "LL")
    quadrant = local.quadrant
    return Clustering(
        moran=global_,
        clustered=bool(global_.expected < global_.I and global_.p_sim < alpha),
        lagging_clusters=int((significant & (quadrant == behind)).sum()),
        leading_clusters=int((significant & (quadrant == ahead)).sum()),
        outliers=int((significant & np.isin(quadrant, ["HL", "LH"])).sum()),
        n=global_.n,
        alpha=alpha,
    )


def lisa_table(
    ids: Sequence[str],
    names: Sequence[str],
    values,
    local: LocalMoran,
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per territory: id, name, value, z, lag, Is, p_sim, quadrant,
    cluster (quadrant if significant, else "ns")."""
    return pd.DataFrame(
        {
            "territory_id": list(ids),
            "name": list(names),
            "value": np.asarray(values, dtype=float),
            "z": local.z,
            "lag": local.lag,
            "Is": local.Is,
            "p_sim": local.p_sim,
            "quadrant": local.quadrant,
            "cluster": local.clusters(alpha),
        }
    )
