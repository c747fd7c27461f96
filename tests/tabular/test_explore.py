"""Tabular exploration: exact statistics, alerts, the HTML report, and bad input."""

from __future__ import annotations

import re
from html import escape

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labelwise.tabular as tabular
from labelwise.errors import DataError, LabelwiseError
from labelwise.io import read_table
from labelwise.tabular import (
    SECTION_TITLES,
    AlertThresholds,
    cramers_v,
    explore_table,
    infer_column_kinds,
    profile_table,
)

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def adult(shared_datasets):
    return read_table(shared_datasets / "tabular" / "adult.csv", na_values=["?"])


@pytest.fixture(scope="module")
def adult_profile(adult):
    return profile_table(adult, target="income")


@pytest.fixture(scope="module")
def adult_report(adult, adult_profile):
    return explore_table(adult, target="income", profile=adult_profile, sample_rows=20_000)


def planted_frame(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    """A table with one column per alert worth catching, and clean columns around them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "clean_num": rng.normal(size=n),
            "x": x,
            "x_twin": 3 * x + rng.normal(scale=0.01, size=n),
            "constant": np.full(n, 7),
            "many_levels": [f"level_{i}" for i in rng.integers(0, 400, n)],
            "clean_cat": rng.choice(["a", "b", "c"], n),
            "dominated": np.where(rng.random(n) < 0.98, "usual", rng.choice(["odd1", "odd2"], n)),
            "mostly_missing": np.where(rng.random(n) < 0.5, np.nan, rng.normal(size=n)),
            "row_id": np.arange(n),
            "day": pd.Series(pd.date_range("2024-01-01", periods=90))
            .dt.strftime("%Y-%m-%d")[rng.integers(0, 90, n)]
            .to_numpy(),
            "y": np.where(rng.random(n) < 0.9, "neg", "pos"),
        }
    )


def kinds_by_column(alerts) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in alerts:
        for c in a.columns:
            out.setdefault(c, set()).add(a.kind)
    return out


# --------------------------------------------------------------------------- public surface


def test_public_names():
    assert sorted(tabular.__all__) == sorted(
        [
            "PLACEHOLDER_VALUES",
            "SECTION_TITLES",
            "Alert",
            "AlertThresholds",
            "alert_counts",
            "check_target",
            "cramers_v",
            "explore_file",
            "explore_table",
            "infer_column_kinds",
            "profile_table",
            "AugmentationComparison",
            "compare_augmentation",
            "gaussian_noise",
            "interpolate_same_class",
            "jitter",
            "mixup",
            "random_scaling",
        ]
    )
    for name in tabular.__all__:
        assert getattr(tabular, name) is not None


# --------------------------------------------------------------------------- Adult, end to end


def test_adult_report_has_every_section(adult_report, test_output):
    assert adult_report.section_titles == list(SECTION_TITLES)
    path = adult_report.save(test_output / "explore_adult.html")
    html = path.read_text(encoding="utf-8")
    for title in SECTION_TITLES:
        assert f"<h2>{escape(title)}</h2>" in html
    # Plots are embedded, nothing is fetched from elsewhere.
    sections = dict(zip(SECTION_TITLES, html.split("<section")[1:], strict=True))
    with_plots = [t for t, body in sections.items() if "data:image/png;base64," in body]
    assert with_plots == [
        "Missing values",
        "Class balance",
        "Univariate distributions",
        "Bivariate plots against the target",
        "Correlations",
        "Outliers (IQR)",
    ]
    assert not re.search(r"""(src|href)=["']https?://""", html)
    # The dotted column names and the target's classes appear escaped in the page.
    assert "hours.per.week" in html
    assert "&lt;=50K" in html and "<=50K" not in html.replace("&lt;=50K", "")


def test_adult_statistics_match_pandas(adult, adult_profile):
    p = adult_profile
    assert (p["n_rows"], p["n_columns"]) == adult.shape
    missing = adult.isna().sum()
    assert p["columns"]["missing"].to_dict() == {c: int(v) for c, v in missing.items()}
    assert p["columns"].loc["workclass", "missing"] == 1836  # the '?' markers
    assert p["n_missing_cells"] == int(missing.sum())
    assert p["n_rows_with_missing"] == int(adult.isna().any(axis=1).sum())
    assert p["n_duplicates"] == int(adult.duplicated().sum()) == 24

    num = p["numeric"]
    assert list(num.index) == [
        "age",
        "fnlwgt",
        "education.num",
        "capital.gain",
        "capital.loss",
        "hours.per.week",
    ]
    desc = adult[list(num.index)].describe()
    for stat in ("mean", "std", "min", "max", "25%", "50%", "75%"):
        np.testing.assert_allclose(num[stat].to_numpy(), desc.loc[stat].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(num["skew"], adult[list(num.index)].skew(), rtol=1e-10)
    assert num.loc["capital.gain", "zeros"] == int((adult["capital.gain"] == 0).sum())

    cat = p["categorical"]
    assert cat.loc["native.country", "unique"] == adult["native.country"].nunique() == 41
    assert cat.loc["sex", "top"] == "Male"
    assert cat.loc["sex", "top_count"] == int((adult["sex"] == "Male").sum())

    t = p["target"]
    assert t["task"] == "classification"
    assert t["classes"].to_dict() == {"<=50K": 24720, ">50K": 7841}
    per_class = adult.groupby("income")[list(num.index)].mean()
    np.testing.assert_allclose(t["per_class"]["mean"].to_numpy(), per_class.to_numpy())
    median = adult.groupby("income")["age"].median()
    assert t["per_class"]["median"]["age"].to_dict() == median.to_dict()

    pearson = adult[list(num.index)].corr()
    np.testing.assert_allclose(p["correlation"].to_numpy(), pearson.to_numpy(), atol=1e-12)


def test_adult_alerts(adult, adult_profile):
    by_col = kinds_by_column(adult_profile["alerts"])
    assert "imbalanced" in by_col["income"]
    assert "highly_correlated" in by_col["education"]
    assert "highly_correlated" in by_col["education.num"]
    assert "duplicates" in {a.kind for a in adult_profile["alerts"]}
    # Without na_values the '?' markers stay as a value, and an alert says how to fix it.
    raw = adult.astype({"workclass": "object"}).fillna({"workclass": "?"})
    alerts = profile_table(raw[["workclass", "age"]])["alerts"]
    placeholder = [a for a in alerts if a.kind == "placeholder"]
    assert placeholder and "na_values='?'" in placeholder[0].message


def test_adult_education_pair_is_redundant(adult_profile):
    mixed = adult_profile["mixed_association"]
    assert mixed.loc["education", "education.num"] == pytest.approx(1.0)
    assert mixed.loc["sex", "fnlwgt"] < 0.2


# --------------------------------------------------------------------------- planted alerts


def test_planted_columns_raise_their_alerts():
    df = planted_frame()
    p = profile_table(df, target="y")
    by_col = kinds_by_column(p["alerts"])
    assert "constant" in by_col["constant"]
    assert "high_cardinality" in by_col["many_levels"]
    assert "highly_correlated" in by_col["x"] and "highly_correlated" in by_col["x_twin"]
    assert "imbalanced" in by_col["y"]
    assert "imbalanced" in by_col["dominated"]
    assert "missing" in by_col["mostly_missing"]
    assert "unique" in by_col["row_id"]
    assert "dates_as_text" in by_col["day"]
    # Clean columns stay quiet, so the checks above are not firing on everything.
    assert "clean_num" not in by_col
    assert "clean_cat" not in by_col
    pair = next(a for a in p["alerts"] if a.kind == "highly_correlated")
    assert set(pair.columns) == {"x", "x_twin"} and pair.value == pytest.approx(1.0, abs=1e-3)


def test_thresholds_change_what_fires():
    df = planted_frame()
    strict = profile_table(df, thresholds=AlertThresholds(high_cardinality=1000))
    assert "many_levels" not in kinds_by_column(strict["alerts"])
    lax = profile_table(df, target="y", thresholds=AlertThresholds(imbalance_ratio=20))
    assert "imbalanced" not in kinds_by_column(lax["alerts"]).get("y", set())


def test_target_leak_is_flagged():
    rng = np.random.default_rng(1)
    y = rng.choice(["a", "b"], 500)
    df = pd.DataFrame({"y": y, "copy": np.where(y == "a", 1.0, 5.0), "noise": rng.random(500)})
    alerts = profile_table(df, target="y")["alerts"]
    leak = [a for a in alerts if a.kind == "highly_correlated" and "copy" in a.columns]
    assert leak and "leakage" in leak[0].message
    assert not any("noise" in a.columns for a in alerts if a.kind == "highly_correlated")


# --------------------------------------------------------------------------- outliers


def test_outliers_counted_by_iqr():
    x = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, -50, np.nan], dtype=float)
    out = profile_table(pd.DataFrame({"x": x}))["outliers"].loc["x"]
    q1, q3 = np.nanpercentile(x, [25, 75])
    assert (out["q1"], out["q3"]) == (q1, q3)
    assert out["lower_fence"] == q1 - 1.5 * (q3 - q1)
    assert out["upper_fence"] == q3 + 1.5 * (q3 - q1)
    assert (out["below"], out["above"], out["n_outliers"]) == (1, 1, 2)
    assert out["outlier_pct"] == pytest.approx(100 * 2 / 12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
        min_size=2,
        max_size=60,
    )
)
def test_outliers_match_a_direct_count(values):
    s = pd.Series(values, dtype=float)
    if s.notna().sum() == 0:
        return
    out = profile_table(pd.DataFrame({"v": s}))["outliers"].loc["v"]
    q1, q3 = s.quantile(0.25), s.quantile(0.75)
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    assert out["below"] == int((s < lo).sum())
    assert out["above"] == int((s > hi).sum())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1e5, 1e5, allow_nan=False, allow_infinity=False), st.just(float("nan"))
        ),
        min_size=1,
        max_size=80,
    )
)
def test_numeric_summary_matches_pandas(values):
    s = pd.Series(values, dtype=float)
    row = profile_table(pd.DataFrame({"v": s}))["numeric"].loc["v"]
    assert row["count"] == s.count()
    if s.count() == 0:
        assert np.isnan(row["mean"])
        return
    np.testing.assert_allclose(row["mean"], s.mean(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        [row["min"], row["25%"], row["50%"], row["75%"], row["max"]],
        [s.min(), s.quantile(0.25), s.median(), s.quantile(0.75), s.max()],
    )
    spread = s.max() - s.min()
    if s.count() >= 4 and spread > 1e-3 * max(1.0, s.abs().max()):
        np.testing.assert_allclose(row["std"], s.std(), rtol=1e-9)
        np.testing.assert_allclose(row["skew"], s.skew(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(row["kurtosis"], s.kurt(), rtol=1e-6, atol=1e-9)
    assert row["zeros"] == int((s == 0).sum())
    assert row["negative"] == int((s < 0).sum())


# --------------------------------------------------------------------------- pieces


def test_duplicates_are_exact_including_missing_values():
    df = pd.DataFrame({"a": [1, 1, 2, 1, np.nan, np.nan], "b": ["x", "x", "y", "x", None, None]})
    p = profile_table(df)
    assert p["n_duplicates"] == int(df.duplicated().sum()) == 3
    ex = p["duplicate_examples"]
    assert ex.iloc[0]["copies"] == 3 and ex.iloc[0]["a"] == 1


def test_unhashable_cells_do_not_break_profiling():
    df = pd.DataFrame({"tags": [["a"], ["b", "c"], ["a"]], "n": [1, 2, 1]})
    p = profile_table(df)
    assert p["categorical"].loc["tags", "unique"] == 2
    assert p["n_duplicates"] == 1


def test_cramers_v_matches_scipy():
    from scipy.stats.contingency import association, crosstab

    rng = np.random.default_rng(3)
    a = rng.choice(list("abc"), 400)
    b = np.where(rng.random(400) < 0.6, a, rng.choice(list("abcd"), 400))
    table = crosstab(a, b).count
    assert cramers_v(a, b) == pytest.approx(association(table, method="cramer"), rel=1e-10)
    assert np.isnan(cramers_v(["a", "a"], ["x", "y"]))


def test_correlation_ratio_matches_a_groupby():
    from labelwise.tabular.profile import _correlation_ratio

    rng = np.random.default_rng(4)
    n = 1_000
    g = rng.choice(["a", "b", "c", None], n)
    x = rng.normal(size=n) + (g == "a") * 2.0 + 1e6  # a large offset must not hurt precision
    x[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame({"g": g, "x": x}).dropna()
    means = frame.groupby("g")["x"].transform("mean")
    expected = np.sqrt(
        ((means - frame["x"].mean()) ** 2).sum() / ((frame["x"] - frame["x"].mean()) ** 2).sum()
    )
    codes = pd.factorize(pd.Series(g))[0]
    assert _correlation_ratio(codes, x) == pytest.approx(expected, rel=1e-6)
    assert np.isnan(_correlation_ratio(np.zeros(5, dtype=int), np.ones(5)))


def test_heart_failure_numeric_class_target(shared_datasets):
    df = read_table(shared_datasets / "tabular" / "heart_failure.csv")
    p = profile_table(df, target="DEATH_EVENT")
    assert p["target"]["task"] == "classification"
    assert p["target"]["classes"].to_dict() == df["DEATH_EVENT"].value_counts().to_dict()
    r = explore_table(df, target="DEATH_EVENT", profile=p)
    assert r.section_titles == list(SECTION_TITLES)


def test_infer_column_kinds():
    n = 50
    df = pd.DataFrame(
        {
            "num": np.arange(n, dtype=float),
            "flag": np.arange(n) % 2 == 0,
            "when": pd.date_range("2024-01-01", periods=n),
            "cat": ["a", "b"] * (n // 2),
            "note": [
                f"this is a long free text comment number {i} about the item" for i in range(n)
            ],
        }
    )
    assert infer_column_kinds(df) == {
        "num": "numeric",
        "flag": "boolean",
        "when": "datetime",
        "cat": "categorical",
        "note": "text",
    }
    report = explore_table(df, sample_rows=10)
    assert "Class balance" not in report.section_titles
    assert "text" in {a.kind for a in profile_table(df)["alerts"]}


def test_regression_target_gets_its_own_sections():
    rng = np.random.default_rng(5)
    n = 2_000
    x = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "x": x,
            "z": rng.random(n),
            "grp": rng.choice(["u", "v"], n),
            "price": 10 * x + rng.normal(size=n),
        }
    )
    p = profile_table(df, target="price")
    assert p["target"]["task"] == "regression"
    assert len(p["target"]["per_class"]["mean"]) == 4  # target quartiles
    assert p["target"]["association"].loc["x", "value"] == pytest.approx(df["x"].corr(df["price"]))
    r = explore_table(df, target="price", profile=p, sample_rows=500)
    assert "Target distribution" in r.section_titles
    assert "Aggregates by target quartile" in r.section_titles
    assert "Class balance" not in r.section_titles
    # Forcing classification on the same column is allowed and changes the sections.
    r2 = explore_table(
        df.assign(price=np.round(df["price"] / 20)), target="price", task="classification"
    )
    assert "Class balance" in r2.section_titles


def test_california_housing_regression(shared_datasets):
    df = read_table(shared_datasets / "tabular" / "california_housing.csv")
    p = profile_table(df, target="median_house_value")
    assert p["target"]["task"] == "regression"
    assert (
        p["columns"].loc["total_bedrooms", "missing"] == int(df["total_bedrooms"].isna().sum()) > 0
    )
    assert p["kinds"]["ocean_proximity"] == "categorical"


def test_no_target_leaves_target_sections_out():
    r = explore_table(planted_frame(400), sample_rows=100)
    expected = [
        t
        for t in SECTION_TITLES
        if t not in ("Class balance", "Per-class aggregates", "Bivariate plots against the target")
    ]
    assert r.section_titles == expected


def test_plots_use_a_sample_but_statistics_do_not():
    df = planted_frame(5_000)
    r = explore_table(df, target="y", sample_rows=300, seed=1)
    html = r.to_html()
    assert "a random sample of 300 of 5,000 rows (seed 1)" in html
    assert "5,000" in html


def odd_frame(n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "<script>alert(1)</script>": rng.choice(["<b>x</b>", "y&z"], n),
            "all_nan": np.full(n, np.nan),
            "with_inf": np.where(rng.random(n) < 0.1, np.inf, rng.normal(size=n)),
            "when": pd.date_range("2020-01-01", periods=n, freq="h"),
            "cat": pd.Categorical(rng.choice(["a", "b"], n)),
            "mixed": [1, "a", 2.5] * (n // 3),
            "nullable_int": pd.array(
                np.where(rng.random(n) < 0.2, None, rng.integers(0, 5, n)), dtype="Int64"
            ),
            "a" * 200: rng.normal(size=n),
            "flag": rng.random(n) < 0.2,
        }
    )


@pytest.mark.parametrize("target", [None, "flag", "<script>alert(1)</script>"])
def test_odd_columns_render_and_are_escaped(target):
    df = odd_frame()
    r = explore_table(df, target=target, sample_rows=100)
    html = r.to_html()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


@pytest.mark.parametrize(
    ("target", "task"),
    [("cat", "classification"), ("with_inf", "regression"), ("nullable_int", "classification")],
)
def test_odd_targets_are_profiled(target, task):
    p = profile_table(odd_frame(), target=target)
    assert p["target"]["task"] == task
    kinds = kinds_by_column(p["alerts"])
    assert "infinite" in kinds["with_inf"]
    assert "missing" in kinds["all_nan"]
    assert p["numeric"].loc["with_inf", "infinite"] == int(np.isinf(odd_frame()["with_inf"]).sum())


def test_docstring_examples_run():
    import doctest

    from labelwise.tabular import explore, profile

    for module in (profile, explore):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# --------------------------------------------------------------------------- bad input


def test_missing_target_lists_close_matches(adult):
    with pytest.raises(DataError) as info:
        profile_table(adult, target="hours_per_week")
    msg = str(info.value)
    assert "'hours_per_week' is not in the table" in msg
    assert "did you mean 'hours.per.week'" in msg
    with pytest.raises(LabelwiseError, match="did you mean 'income'"):
        explore_table(adult, target="incme")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame(), "no columns"),
        (pd.DataFrame({"a": pd.Series([], dtype=float)}), "no rows"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "'a' appear more than once"),
    ],
)
def test_unusable_tables_are_refused(frame, message):
    with pytest.raises(DataError, match=message):
        profile_table(frame)


def test_bad_target_values_and_options():
    df = pd.DataFrame({"y": [None, None], "s": ["a", "b"], "x": [1.0, 2.0]})
    with pytest.raises(DataError, match="is empty"):
        profile_table(df, target="y")
    with pytest.raises(DataError, match="cannot be a regression target"):
        profile_table(df, target="s", task="regression")
    with pytest.raises(DataError, match="task must be"):
        profile_table(df, task="clustering")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="sample_rows"):
        explore_table(df, sample_rows=0)
    with pytest.raises(DataError, match="another table or target"):
        explore_table(df, target="s", profile=profile_table(df))
    with pytest.raises(DataError, match="expected a pandas DataFrame"):
        profile_table([[1, 2]])
