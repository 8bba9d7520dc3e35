"""analytics.spatial against PySAL esda on the same weights, esda's published
test values, real neighbours read off a map, and brute-force twins."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analytics import spatial

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")

BOUNDARIES = "municipal-boundaries-sberindex/mo_boundaries_current_simplified.geojson"
YEARS = [f"pcgdp{year}" for year in range(1940, 2001, 10)]


@pytest.fixture(scope="module")
def mexico(shared_data):
    folder = shared_data / "pysal-mexico"
    table = pd.read_csv(folder / "mexico.csv")
    w = libpysal.io.open(str(folder / "mexico.gal")).read()
    return table, w, spatial.read_gal(folder / "mexico.gal")


@pytest.fixture(scope="module")
def layer(shared_data):
    return spatial.load_layer(shared_data / BOUNDARIES)


def _libpysal_positions(w) -> dict[int, list[int]]:
    position = {key: i for i, key in enumerate(w.id_order)}
    return {
        position[key]: sorted(position[j] for j in w.neighbors[key])
        for key in w.id_order
    }


def _esda(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# --------------------------------------------------------------------- GAL


def test_read_gal_matches_libpysal(mexico):
    _, w, neighbours = mexico
    assert len(neighbours) == 32
    assert {i: sorted(js) for i, js in neighbours.items()} == _libpysal_positions(w)
    # symmetric, as a contiguity GAL is
    assert all(i in neighbours[j] for i, js in neighbours.items() for j in js)


def test_read_gal_one_based_ids():
    path = libpysal.examples.get_path("stl.gal")
    neighbours = spatial.read_gal(path)
    w = libpysal.io.open(path).read()
    assert len(neighbours) == 78
    assert {i: sorted(js) for i, js in neighbours.items()} == _libpysal_positions(w)
    # the first record of stl.gal: "1 3" / "7 3 6" -> positions of ids 7, 3, 6
    assert neighbours[0] == [6, 2, 5]


def test_read_gal_refuses_a_short_record(tmp_path):
    bad = tmp_path / "bad.gal"
    bad.write_text("2\n0 2\n1\n1 1\n0\n")
    with pytest.raises(ValueError, match="should list 2 neighbours"):
        spatial.read_gal(bad)


# ----------------------------------------------------------- global Moran


@pytest.mark.parametrize("column", YEARS)
def test_moran_equals_esda(mexico, column):
    table, w, neighbours = mexico
    y = table[column].to_numpy()
    w.transform = "r"
    theirs = _esda(esda.Moran, y, w, permutations=999)
    ours = spatial.moran(y, neighbours, permutations=999, seed=1)
    assert pytest.approx(theirs.I, abs=1e-9) == ours.I
    assert ours.expected == pytest.approx(theirs.EI, abs=1e-12)
    assert ours.p_norm == pytest.approx(theirs.p_norm, abs=1e-9)
    # two independent Monte-Carlo estimates of one p: within 5 standard errors
    p = max(theirs.p_sim, 1 / 1000)
    se = np.sqrt(2 * p * (1 - p) / 999)
    assert abs(ours.p_sim - theirs.p_sim) < 5 * se + 2 / 1000


def test_moran_published_esda_value():
    """esda's test_moran.py: St Louis homicide rates HR8893 on stl.gal,
    I = 0.24365582621771659, one-sided normal p = 0.00013573931385468807."""
    y = np.array(
        libpysal.io.open(libpysal.examples.get_path("stl_hom.txt")).by_col["HR8893"]
    )
    result = spatial.moran(y, spatial.read_gal(libpysal.examples.get_path("stl.gal")))
    assert pytest.approx(0.24365582621771659, abs=1e-12) == result.I
    assert result.p_norm / 2 == pytest.approx(0.00013573931385468807, abs=1e-12)
    assert result.p_sim < 0.01


def test_moran_binary_weights_closed_form():
    # a path 1-2-3-4, binary weights: I = n/S0 * z'Wz / z'z
    y = np.array([1.0, 2.0, 3.0, 4.0])
    neighbours = {0: [1], 1: [0, 2], 2: [1, 3], 3: [2]}
    z = y - y.mean()
    expected = 4 / 6 * (2 * (z[0] * z[1] + z[1] * z[2] + z[2] * z[3])) / (z @ z)
    result = spatial.moran(y, neighbours, transform="b", permutations=0)
    assert pytest.approx(expected, abs=1e-12) == result.I
    assert np.isnan(result.p_sim)


def test_moran_permutation_p_brute_force():
    """A permutation p-value from a plain loop over the same permutations."""
    rng = np.random.default_rng(5)
    y = rng.normal(size=12)
    neighbours = spatial.knn(rng.uniform(0, 10, 12), rng.uniform(0, 10, 12), k=3)
    result = spatial.moran(y, neighbours, permutations=199, seed=3)
    w = spatial.weights_matrix(neighbours).toarray()

    def stat(v):
        z = v - v.mean()
        return len(v) / w.sum() * (z @ w @ z) / (z @ z)

    draws = np.random.default_rng(3).permuted(
        np.broadcast_to(y - y.mean(), (199, 12)), axis=1
    )
    sims = np.array([stat(row) for row in draws])
    larger = (sims >= result.I - 1e-9 * abs(result.I)).sum()
    larger = min(larger, 199 - larger)
    assert pytest.approx(stat(y), abs=1e-12) == result.I
    assert result.p_sim == pytest.approx((larger + 1) / 200, abs=1e-12)


# ------------------------------------------------------------ local Moran


QUADRANT = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}  # esda's q codes


@pytest.mark.parametrize("column", YEARS)
def test_local_moran_equals_esda(mexico, column):
    table, w, neighbours = mexico
    y = table[column].to_numpy()
    w.transform = "r"
    theirs = _esda(esda.Moran_Local, y, w, permutations=999, seed=11)
    ours = spatial.local_moran(y, neighbours, permutations=999, seed=11)
    np.testing.assert_allclose(ours.Is, theirs.Is, atol=1e-9, rtol=0)
    assert ours.quadrant.tolist() == [QUADRANT[q] for q in theirs.q]
    # the same draws: equal p-values, except that a permutation reproducing
    # the observed statistic (a state with one neighbour drawing it) always
    # counts as a tie here, while esda's rounding may drop it
    ties = (
        np.abs(theirs.rlisas - theirs.Is[:, None]) <= 1e-9 * np.abs(theirs.Is[:, None])
    ).sum(axis=1)
    difference = np.round(np.abs(ours.p_sim - theirs.p_sim) * 1000).astype(int)
    assert (difference <= ties).all()
    assert (difference[ties == 0] == 0).all() and (ties == 0).sum() >= 20


def test_local_moran_published_esda_value():
    """esda's test_moran.py: desmith data, 99 permutations, seed 12345:
    z_sim[0] = -0.6990291160835514 (only the same draws reproduce it)."""
    y = np.array(
        libpysal.io.open(libpysal.examples.get_path("desmith.txt")).by_col["z"]
    )
    neighbours = spatial.read_gal(libpysal.examples.get_path("desmith.gal"))
    result = spatial.local_moran(y, neighbours, permutations=99, seed=12345)
    assert result.z_sim[0] == pytest.approx(-0.6990291160835514, abs=1e-12)


def test_local_moran_brute_force_twin():
    """The vectorised conditional permutation against a loop over sites and
    permutations with the same draws, on uneven neighbour counts and an
    island."""
    rng = np.random.default_rng(2)
    n = 15
    y = rng.lognormal(size=n)
    neighbours = spatial.knn(rng.uniform(0, 5, n), rng.uniform(0, 5, n), k=2)
    neighbours[3] = neighbours[3] + [
        j for j in (7, 9, 11) if j not in neighbours[3] and j != 3
    ]
    for i in list(neighbours):
        neighbours[i] = [j for j in neighbours[i] if j != 14]
    neighbours[14] = []  # an island
    result = spatial.local_moran(y, neighbours, permutations=99, seed=4)
    z = (y - y.mean()) / y.std()
    k = [len(set(neighbours[i])) for i in range(n)]
    state = np.random.RandomState(4)
    draws = np.array([state.choice(n - 1, max(k), replace=False) for _ in range(99)])
    for i in range(n):
        if k[i] == 0:
            assert np.isnan(result.p_sim[i]) and result.quadrant[i] == ""
            continue
        others = np.delete(z, i)
        lag = np.mean(z[sorted(set(neighbours[i]))])
        observed = (n - 1) * z[i] * lag / (z @ z)
        sims = [
            (n - 1) * z[i] * others[draws[p, : k[i]]].mean() / (z @ z)
            for p in range(99)
        ]
        larger = sum(s >= observed - 1e-9 * abs(observed) for s in sims)
        larger = min(larger, 99 - larger)
        assert result.Is[i] == pytest.approx(observed, abs=1e-12)
        assert result.p_sim[i] == pytest.approx((larger + 1) / 100, abs=1e-12)


def test_clustering_reads_significance_only():
    rng = np.random.default_rng(0)
    # two blocks of a 10 x 10 grid: low on the left, high on the right
    lon, lat = np.meshgrid(np.arange(10.0), np.arange(10.0))
    y = np.where(lon < 5, 10.0, 20.0).ravel() + rng.normal(0, 0.5, 100)
    neighbours = spatial.knn(lon.ravel() * 0.1, lat.ravel() * 0.1, k=4)
    summary = spatial.clustering(
        spatial.moran(y, neighbours), spatial.local_moran(y, neighbours)
    )
    assert summary.clustered and summary.moran.I > 0.5
    assert summary.lagging_clusters > 20 and summary.leading_clusters > 20
    # values with no structure: no claim
    noise = rng.normal(size=100)
    flat = spatial.clustering(
        spatial.moran(noise, neighbours, seed=1),
        spatial.local_moran(noise, neighbours, seed=1),
    )
    assert not flat.clustered


def test_missing_values_refused():
    with pytest.raises(ValueError, match="1 missing"):
        spatial.moran([1.0, np.nan, 3.0], {0: [1], 1: [0, 2], 2: [1]})
    assert spatial.restrict({0: [1, 2], 1: [0], 2: [0]}, [True, False, True]) == {
        0: [1],
        1: [0],
    }


# ------------------------------------------------------------------ weights


def test_contiguity_equals_libpysal_queen_on_mexico(shared_data):
    gpd = pytest.importorskip("geopandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = gpd.read_file(shared_data / "pysal-mexico" / "mexicojoin.shp")
        queen = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    ours = spatial.contiguity(frame.geometry.values, tolerance=0)
    assert ours == {i: sorted(queen.neighbors[i]) for i in range(len(frame))}
    # Chihuahua's real neighbours: Coahuila, Durango, Sinaloa, Sonora
    names = frame["NAME"].tolist()
    chihuahua = names.index("Chihuahua")
    assert sorted(names[j] for j in ours[chihuahua]) == [
        "Coahuila De Zaragoza",
        "Durango",
        "Sinaloa",
        "Sonora",
    ]


@pytest.fixture(scope="module")
def queen(layer):
    return layer.neighbours()


def _names_of(layer, neighbours, oktmo):
    i = layer.territory_ids.index(oktmo)
    return sorted(layer.names[j] for j in neighbours[i])


def test_contiguity_real_municipal_neighbours(layer, queen):
    """Read off a map: Kazan borders five districts, Ufa four, and the
    Commander Islands (Aleutsky district) border nothing."""
    assert len(layer.territory_ids) == 2594
    assert _names_of(layer, queen, "92701000") == [
        "Верхнеуслонский",
        "Высокогорский",
        "Зеленодольский",
        "Лаишевский",
        "Пестречинский",
    ]
    assert _names_of(layer, queen, "80701000") == [
        "Благовещенский",
        "Иглинский",
        "Кармаскалинский",
        "Уфимский",
    ]
    assert _names_of(layer, queen, "30501000") == []


def test_contiguity_tolerance_bridges_simplified_borders(layer):
    """Petrovsk-Zabaykalsky district and Zaigraevsky district meet on the
    border of Zabaykalsky Krai and Buryatia; simplified separately, their
    polygons stay 0.00098° apart: only the tolerance joins them."""
    ids = list(layer.territory_ids)
    names = list(layer.names)
    a = next(i for i, n in enumerate(names) if n == "Заиграевский")
    b = next(
        i
        for i, n in enumerate(names)
        if n == "Петровск-Забайкальский"
        and ids[i].startswith("76")
        and spatial.great_circle_km(
            layer.lon[i], layer.lat[i], layer.lon[a], layer.lat[a]
        )
        < 300
    )
    strict = spatial.contiguity(layer.geometries[[a, b]], tolerance=0)
    loose = spatial.contiguity(layer.geometries[[a, b]])
    assert strict == {0: [], 1: []}
    assert loose == {0: [1], 1: [0]}


def test_knn_equals_libpysal_on_unit_sphere(layer):
    xyz = spatial._unit_sphere(layer.lon, layer.lat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = libpysal.weights.KNN.from_array(xyz, k=5)
    ours = spatial.knn(layer.lon, layer.lat, k=5)
    same = sum(sorted(ours[i]) == sorted(theirs.neighbors[i]) for i in range(len(xyz)))
    assert same == len(xyz)


def test_distance_band_brute_force(layer):
    sub = layer.subset([t for t in layer.territory_ids if t.startswith("80")])
    ours = spatial.distance_band(sub.lon, sub.lat, km=60)
    d = spatial.great_circle_km(
        sub.lon[:, None], sub.lat[:, None], sub.lon[None, :], sub.lat[None, :]
    )
    n = len(sub.lon)
    assert ours == {
        i: [j for j in range(n) if j != i and d[i, j] <= 60] for i in range(n)
    }


def test_local_moran_equals_esda_on_every_municipality(layer, queen):
    """2,594 municipalities, up to 26 neighbours, one island: the vectorised
    test against esda's loop, same seed, same draws."""
    rng = np.random.default_rng(8)
    y = np.exp(0.3 * (layer.lon - layer.lon.mean()) / layer.lon.std()
               + rng.normal(0, 0.5, len(layer.lon)))  # fmt: skip
    w = libpysal.weights.W(
        {i: list(js) for i, js in queen.items()}, silence_warnings=True
    )
    w.transform = "r"
    theirs = _esda(esda.Moran_Local, y, w, permutations=99, seed=5)
    ours = spatial.local_moran(y, queen, permutations=99, seed=5)
    np.testing.assert_allclose(ours.Is, theirs.Is, atol=1e-9, rtol=0)
    island = np.array([not js for js in queen.values()])
    assert island.sum() == 1 and np.isnan(ours.p_sim[island]).all()
    ties = (
        np.abs(theirs.rlisas - theirs.Is[:, None]) <= 1e-9 * np.abs(theirs.Is[:, None])
    ).sum(axis=1)
    difference = np.round(np.abs(ours.p_sim - theirs.p_sim) * 100)
    assert (difference[~island] <= ties[~island]).all()
    assert (difference[~island & (ties == 0)] == 0).all()
    assert ours.quadrant[~island].tolist() == [QUADRANT[q] for q in theirs.q[~island]]
    global_ = spatial.moran(y, queen, permutations=0)
    assert (
        pytest.approx(_esda(esda.Moran, y, w, permutations=0).I, abs=1e-9) == global_.I
    )
