"""Tests of analytics.typology: planted clusters, auto-k, stability, names, contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from analytics.store import DIRECTION, INDICATOR_ID, NAME_EN, NAME_RU, THEME
from analytics.typology import Typology

CENTRES = np.array(
    [
        [3.0, 3.0, -3.0, 0.0],  # strong finances, staff shortage
        [-3.0, -3.0, 3.0, 0.0],  # weak finances, well staffed
        [3.0, -3.0, 0.0, 3.0],  # mixed finances, many pupils
    ]
)
FEATURES = ["revenue", "own_revenue", "doctors", "pupils"]
CATALOG = pd.DataFrame(
    {
        INDICATOR_ID: FEATURES,
        NAME_RU: ["Доходы", "Собственные доходы", "Врачи", "Ученики"],
        NAME_EN: ["revenue", "own revenue", "doctors", "pupils"],
        THEME: ["finance", "finance", "staffing", "competencies"],
        DIRECTION: [1, 1, 1, 0],
    }
)


def planted(n_per: int = 12, seed: int = 0, spread: float = 0.5):
    """Three well separated groups of territories; truth = group number."""
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(c, spread, (n_per, len(c))) for c in CENTRES])
    ids = [f"t{i:03d}" for i in range(len(x))]
    truth = np.repeat(np.arange(len(CENTRES)), n_per)
    return pd.DataFrame(
        x, index=pd.Index(ids, name="territory_id"), columns=FEATURES
    ), truth


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_recovers_planted_clusters(method):
    x, truth = planted()
    model = Typology(method, 3, n_bootstrap=5, random_state=0).fit(x)
    assert adjusted_rand_score(truth, model.labels_) >= 0.9
    assert model.stability_ >= 0.9
    assert model.stability_scores_.size == 5


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_auto_k_finds_the_planted_k(method):
    x, truth = planted(seed=1)
    model = Typology(method, "auto", n_bootstrap=0).fit(x)
    assert model.n_clusters_ == 3
    assert model.silhouette_.idxmax() == 3
    assert model.silhouette_.index.tolist() == list(range(2, 9))
    assert adjusted_rand_score(truth, model.labels_) >= 0.9
    assert np.isnan(model.stability_)


def test_k_range_is_bounded_by_the_sample_size():
    x, _ = planted(n_per=2)  # 6 territories: k can be 2..5 only
    model = Typology("ward", "auto", n_bootstrap=0).fit(x)
    assert model.silhouette_.index.tolist() == [2, 3, 4, 5]


def test_seeded_runs_are_identical():
    x, _ = planted(spread=1.5)
    a = Typology("kmeans", 3, n_bootstrap=3, random_state=4).fit(x)
    b = Typology("kmeans", 3, n_bootstrap=3, random_state=4).fit(x)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.stability_scores_, b.stability_scores_)


def test_labels_numbered_by_size():
    x, _ = planted()
    x = x.iloc[:-6]  # the third group keeps 6 of its 12 members
    model = Typology("ward", 3, n_bootstrap=0).fit(x)
    assert model.cluster_sizes_.tolist() == [12, 12, 6]
    assert (model.labels_[:12] == 0).all() and (model.labels_[-6:] == 2).all()


def test_profiles_and_names_from_theme_traits():
    x, _ = planted()
    model = Typology("kmeans", 3, n_bootstrap=0, catalog=CATALOG).fit(x)
    profiles = model.profiles_
    assert profiles.columns.tolist() == FEATURES
    # revenue of the groups 3, -3, 3: mean 1, SD 2 sqrt(2) -> z = 2 / 2.83 = 0.71;
    # doctors -3, 3, 0: mean 0, SD sqrt(6) -> z = -3 / 2.45 = -1.22
    assert profiles.loc[0, "revenue"] == pytest.approx(2 / 8**0.5, abs=0.1)
    assert profiles.loc[0, "doctors"] == pytest.approx(-3 / 6**0.5, abs=0.1)
    names = model.cluster_names_
    assert names.loc[0, NAME_RU] == "дефицит кадров, сильные финансы"
    assert names.loc[0, NAME_EN] == "staff shortage, strong finances"
    assert names.loc[1, NAME_EN] == "well staffed, weak finances"
    # finance cancels out in the third group; pupils (direction 0) stands out
    assert names.loc[2, NAME_RU] == "«Ученики» выше среднего"
    assert names.loc[2, NAME_EN] == "high pupils"
    assert names[NAME_EN].is_unique and names[NAME_RU].is_unique


def test_indicator_level_names_and_uniqueness():
    x, _ = planted()
    model = Typology(
        "kmeans", 3, n_bootstrap=0, catalog=CATALOG, name_by="indicator"
    ).fit(x)
    assert model.cluster_names_[NAME_EN].is_unique
    assert "revenue" in model.cluster_names_.loc[0, NAME_EN]
    # two groups with the same theme profile get names that still differ
    twins = pd.DataFrame(
        [[5, 0], [5.1, 0], [4.9, 0], [0, 5], [0, 5.1], [0, 4.9], [0, 0], [0.1, 0]],
        columns=["revenue", "own_revenue"],
    )
    model = Typology("ward", 3, n_bootstrap=0, catalog=CATALOG).fit(twins)
    assert model.cluster_names_[NAME_EN].is_unique
    assert model.cluster_names_[NAME_RU].is_unique


def test_missing_values_imputed_and_useless_columns_dropped():
    x, truth = planted()
    x = x.assign(empty=np.nan, flat=1.0)
    x.iloc[0, 0] = np.nan
    x.iloc[5, 2] = np.nan
    model = Typology("kmeans", 3, n_bootstrap=0).fit(x)
    assert model.dropped_features_ == {"empty": "no values", "flat": "no variation"}
    assert model.feature_names_ == FEATURES
    assert model.imputed_.to_dict() == {
        "revenue": 1,
        "own_revenue": 0,
        "doctors": 1,
        "pupils": 0,
    }
    assert adjusted_rand_score(truth, model.labels_) >= 0.9


def test_projection_for_the_scatter_chart():
    x, _ = planted()
    model = Typology("kmeans", 3, n_bootstrap=0).fit(x)
    emb = model.embedding_
    assert emb.columns.tolist() == ["pc1", "pc2", "cluster"]
    assert emb.index.equals(x.index)
    assert emb["cluster"].tolist() == model.labels_.tolist()
    ratio = model.explained_variance_ratio_
    assert ratio.shape == (2,) and 0.8 < ratio.sum() <= 1.0 and ratio[0] >= ratio[1]
    # one column: the second component is zero
    one = Typology("ward", 2, n_bootstrap=0).fit(x[["revenue"]])
    assert one.explained_variance_ratio_.tolist() == pytest.approx([1.0, 0.0])
    assert (one.embedding_["pc2"] == 0).all()


def test_scikit_learn_contract():
    x, _ = planted()
    model = Typology("gmm", 3, n_bootstrap=0, random_state=2)
    params = model.get_params()
    assert params["method"] == "gmm" and params["random_state"] == 2
    assert model.set_params(method="ward") is model and model.method == "ward"
    twin = clone(model)
    assert twin.get_params()["method"] == "ward" and not hasattr(twin, "labels_")
    assert model.fit(x) is model
    np.testing.assert_array_equal(twin.fit_predict(x.to_numpy()), model.labels_)
    assert model.n_features_in_ == 4
    assert model.feature_names_in_.tolist() == FEATURES


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (Typology(), [[1.0, 2.0]], "at least 3 territories"),
        (Typology(), np.empty((0, 2)), "X is empty"),
        (Typology("dbscan", 2), np.eye(4), "method must be one of"),
        (Typology(n_clusters=4), np.eye(4), "from 2 to n_samples - 1 = 3"),
        (Typology(n_clusters="auto", k_range=(5, 8)), np.eye(4), "k_range"),
        (Typology(n_clusters=2), np.ones((4, 2)), "no column has varying values"),
        (Typology(name_by="theme2"), np.eye(4), "name_by"),
    ],
)
def test_clear_errors(model, data, message):
    with pytest.raises(ValueError, match=message):
        model.fit(data)
