from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import DataError, RuleError
from labelwise.image import (
    aspect_ratio_between,
    dark_share_above,
    dominant_channel,
    edge_density_above,
    extract_features,
    feature_names,
    feature_rule,
    hog_descriptor,
    image_features,
    image_labeling_function,
    largest_contour_area_above,
    load_images,
    symmetry_above,
    tallest_contour_above,
)
from labelwise.labeling import ABSTAIN
from labelwise.labeling.apply import LFApplier


def _img_with_bar(h: int, w: int, bar: tuple[int, int, int, int]) -> np.ndarray:
    img = np.full((h, w, 3), 230, np.uint8)
    y1, y2, x1, x2 = bar
    img[y1:y2, x1:x2] = 20
    return img


def test_image_features_measure_what_they_say() -> None:
    img = _img_with_bar(40, 60, (10, 30, 20, 30))
    f = image_features(img)
    assert f["width"] == 60 and f["height"] == 40 and f["aspect_ratio"] == 1.5
    assert f["dark_share"] == pytest.approx(200 / 2400)
    assert f["bright_share"] == pytest.approx(1 - 200 / 2400)
    assert f["n_contours"] == 1
    assert f["largest_contour_area"] == pytest.approx(200 / 2400)
    assert (f["largest_contour_x"], f["largest_contour_y"]) == pytest.approx((20 / 60, 10 / 40))
    assert (f["largest_contour_w"], f["largest_contour_h"]) == pytest.approx((10 / 60, 20 / 40))
    assert f["tallest_contour_height"] == pytest.approx(0.5)
    assert f["symmetry_tb"] == pytest.approx(1.0)  # the bar is centred vertically
    assert f["symmetry_lr"] < 0.95  # but not horizontally
    assert f["edge_density"] > 0 and f["gray_variance"] == pytest.approx(f["gray_std"] ** 2)
    assert sum(f[f"hist_r_{i}"] for i in range(8)) == pytest.approx(1.0)
    assert sum(f[f"hist_h_{i}"] for i in range(8)) == pytest.approx(1.0)
    assert len([k for k in f if k.startswith("hog_")]) == 324
    assert f["colorfulness"] == 0.0  # gray only
    red = np.zeros((20, 20, 3), np.uint8)
    red[..., 0] = 255
    fr = image_features(red, groups=("basic",))
    assert fr["colorfulness"] == pytest.approx(0.3 * np.hypot(255, 127.5)) and fr[
        "saturation_mean"
    ] == pytest.approx(1.0)
    fixed = image_features(img, groups=("threshold",), threshold=100)
    assert fixed["threshold"] == 100 and fixed["dark_share"] == pytest.approx(200 / 2400)
    with pytest.raises(DataError, match="unknown feature groups"):
        image_features(img, groups=("magic",))
    with pytest.raises(DataError, match="threshold must be"):
        image_features(img, threshold="high")


def test_features_work_on_odd_images() -> None:
    for arr in (
        np.zeros((1, 1, 3), np.uint8),
        np.full((5, 300), 7, np.uint8),
        np.zeros((4, 4, 4), np.uint8),
    ):
        f = image_features(arr)
        assert all(np.isfinite(v) for v in f.values())
    assert hog_descriptor(np.zeros((3, 3), np.uint8), size=16, cell=8, block=16).shape == (36,)
    with pytest.raises(DataError, match="multiples"):
        hog_descriptor(np.zeros((8, 8), np.uint8), size=30)


def test_feature_table_and_rules_through_applier(shapes_dir: Path) -> None:
    df = extract_features(shapes_dir, groups=("basic", "threshold", "shape"))
    assert list(df.columns[:4]) == ["item_id", "path", "label", "error"]
    assert len(df) == 16 and df["error"].isna().all()
    assert list(df.columns[4:]) == feature_names(groups=("basic", "threshold", "shape"))
    # squares fill their bounding box; circles fill pi/4 of it
    fill = df["largest_contour_area"] / (df["largest_contour_w"] * df["largest_contour_h"])
    is_square = (df["label"] == "square").to_numpy()
    assert (fill[is_square] > 0.9).all() and (fill[~is_square] < 0.85).all()

    CIRCLE, SQUARE = 0, 1
    lfs = [
        dark_share_above(0.01, SQUARE, name="any_dark"),
        tallest_contour_above(0.2, CIRCLE, name="tall"),
        aspect_ratio_between(0.9, 1.1, CIRCLE, name="squareish"),
        largest_contour_area_above(0.99, SQUARE, name="never"),
        symmetry_above(0.0, CIRCLE),
        edge_density_above(0.0, SQUARE),
        dominant_channel("g", SQUARE, margin=200),
    ]
    L = LFApplier(lfs).apply(df)
    assert L.shape == (16, 7)
    assert (L["any_dark"] == SQUARE).all() and (L["tall"] == CIRCLE).all()
    assert (L["never"] == ABSTAIN).all()
    assert (L["dominant_g"] == ABSTAIN).all()
    # NaN features (a failed image) abstain
    broken = df.copy()
    broken.loc[0, "dark_share"] = np.nan
    assert LFApplier([lfs[0]]).apply(broken).values[0, 0] == ABSTAIN
    with pytest.raises(RuleError, match="within"):
        dark_share_above(1.5, 1)
    with pytest.raises(RuleError, match="low <= high"):
        aspect_ratio_between(2, 1, 1)
    with pytest.raises(RuleError, match="channel"):
        dominant_channel("x", 1)


def test_rules_row_and_vectorized_forms_agree(shapes_dir: Path) -> None:
    df = extract_features(shapes_dir, groups=("basic", "threshold", "shape"))
    lfs = [
        dark_share_above(0.1, 1),
        dominant_channel("r", 0, margin=-500),
        feature_rule("n_contours", "==", 1, 1),
    ]
    vec = LFApplier(lfs).apply(df).values
    rows = np.array([[lf(dict(r)) for lf in lfs] for r in df.to_dict("records")])
    np.testing.assert_array_equal(vec, rows)


def test_image_labeling_function_reads_pixels(shapes_dir: Path, tmp_path: Path) -> None:
    @image_labeling_function()
    def has_dark_center(x):  # type: ignore[no-untyped-def]
        h, w = x.image.shape[:2]
        return 1 if x.image[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].mean() < 200 else ABSTAIN

    col = load_images(shapes_dir)
    table = col.table[["item_id", "path"]].copy()
    table.loc[len(table)] = ["ghost", str(tmp_path / "ghost.png")]
    L = LFApplier([has_dark_center]).apply(table)
    assert L.values[-1, 0] == ABSTAIN  # missing file: a fault, not a crash
    assert L.provenance["has_dark_center"]["faults"] == 1
    assert "ghost.png" in L.provenance["has_dark_center"]["first_fault"]
    assert (L.values[:-1, 0] != ABSTAIN).sum() >= 8


def test_shared_photos_rules_and_label_model(shared_datasets: Path) -> None:
    """The issue's two examples on the real photos: a diseased leaf has more dark pixels
    than a healthy one, and a rider makes the bicycle's silhouette taller."""
    rules = shared_datasets / "images" / "rules"
    otsu = extract_features(rules, groups=("basic", "threshold", "shape")).set_index("item_id")
    fixed = extract_features(rules, groups=("threshold",), threshold=45).set_index("item_id")
    PLAIN, RIDER = 0, 1
    L = LFApplier(
        [tallest_contour_above(0.7, RIDER), tallest_contour_above(0.0, PLAIN, name="any")]
    ).apply(otsu.loc[["bike.jpeg", "bike_man.jpeg", "bike_with_person.jpeg"]].reset_index())
    assert L.values[:, 0].tolist() == [ABSTAIN, RIDER, RIDER]
    HEALTHY, DISEASED = 0, 1
    leaf = fixed.loc[["oig_1.jpeg", "oig_2.jpeg"]].reset_index()
    votes = LFApplier([dark_share_above(0.21, DISEASED)]).apply(leaf).values[:, 0].tolist()
    assert votes == [DISEASED, ABSTAIN]
    green = LFApplier([dominant_channel("g", HEALTHY, margin=30)]).apply(
        otsu.loc[["oig_1.jpeg", "oig_2.jpeg"]].reset_index()
    )
    assert green.values[:, 0].tolist() == [ABSTAIN, HEALTHY]
    mv = pytest.importorskip("labelwise.models.majority")
    both = LFApplier(
        [dark_share_above(0.21, DISEASED), dominant_channel("g", HEALTHY, margin=30, name="green")]
    ).apply(
        pd.concat(
            [
                leaf[["item_id", "dark_share"]],
                otsu.loc[["oig_1.jpeg", "oig_2.jpeg"], ["r_mean", "g_mean", "b_mean"]].reset_index(
                    drop=True
                ),
            ],
            axis=1,
        )
    )
    pred = mv.MajorityVote().fit(both).predict(both)
    assert pred.tolist() == [DISEASED, HEALTHY]
