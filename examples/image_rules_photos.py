"""Label photos with image rules, a pretrained detector and a label model.

Runs on the rule photos in ``../shared/datasets/images/rules`` (bicycles with and without a
rider, a car, a flower, a diseased and a healthy leaf)::

    .venv/bin/python examples/image_rules_photos.py [--out image_examples_output]

Two small labeling tasks share one features table:

* leaf health: "diseased if the share of dark pixels is high", "healthy if green dominates";
* bicycle rider: "a rider if the tallest silhouette spans most of the image height", plus
  OpenCV's HOG people detector as an image-level vote ("contains a person").

The votes of each task form a label matrix, a majority-vote label model combines them, and
an HTML report shows the photos with their features, votes and labels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from labelwise.image import (
    detect_images,
    detection_votes,
    dominant_channel,
    draw_detections,
    extract_features,
    feature_rule,
    load_images,
    read_image,
    tallest_contour_above,
)
from labelwise.labeling import LabelMatrix
from labelwise.labeling.apply import LFApplier
from labelwise.reports import Report

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "datasets" / "images" / "rules"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--photos", type=Path, default=PHOTOS)
    ap.add_argument("--out", type=Path, default=Path("image_examples_output"))
    args = ap.parse_args()
    from labelwise.models.majority import MajorityVote

    col = load_images(args.photos)
    otsu = extract_features(col, groups=("basic", "threshold", "shape"))
    dark45 = extract_features(col, groups=("threshold",), threshold=45)
    # "diseased if dark share > t" reads the dark share at a fixed threshold of 45
    feats = otsu.assign(dark_share_45=dark45["dark_share"].to_numpy())
    print(
        feats[["item_id", "dark_share_45", "g_mean", "tallest_contour_height"]]
        .round(3)
        .to_string(index=False)
    )

    # Task 1: leaf health (0 healthy, 1 diseased), on the leaf photos.
    leaves = feats[feats["item_id"].str.startswith("oig")].reset_index(drop=True)
    HEALTHY, DISEASED = 0, 1
    leaf_rules = [
        # the dark share at a fixed threshold of 45 (column added above)
        feature_rule("dark_share_45", ">", 0.21, DISEASED, name="dark_spots"),
        dominant_channel("g", HEALTHY, margin=30, name="green_dominates"),
    ]
    L_leaf = LFApplier(leaf_rules).apply(leaves)
    leaf_pred = MajorityVote().fit(L_leaf).predict(L_leaf)

    # Task 2: bicycle with a rider (1) or without (0), on the bicycle photos.
    bikes = feats[feats["item_id"].str.startswith("bike")].reset_index(drop=True)
    PLAIN, RIDER = 0, 1
    L_rules = LFApplier(
        [
            tallest_contour_above(0.7, RIDER, name="tall_silhouette"),
            feature_rule("tallest_contour_height", "<=", 0.6, PLAIN, name="short_silhouette"),
        ]
    ).apply(bikes)
    bike_col = col.subset(col.table["item_id"].str.startswith("bike").to_numpy())
    people = detect_images(bike_col, "people")
    L_det = LabelMatrix(
        detection_votes(people, RIDER)[:, None],
        names=["hog_person"],
        provenance={"hog_person": {"kind": "detector", "detector": "people"}},
    )
    L_bike = L_rules.hstack(L_det)
    bike_pred = MajorityVote().fit(L_bike).predict(L_bike)

    rep = Report("Image rules on photos", subtitle=str(args.photos))
    s = rep.section("Leaf health")
    s.table(
        leaves[["item_id", "dark_share_45", "g_mean", "r_mean"]].assign(
            **{n: L_leaf[n] for n in L_leaf.names},
            label=[
                "diseased" if p == DISEASED else "healthy" if p == HEALTHY else "?"
                for p in leaf_pred
            ],
        ),
        index=False,
    )
    s.image_grid(
        [(read_image(p), i) for i, p in zip(leaves["item_id"], leaves["path"], strict=True)],
        thumb=220,
    )
    s = rep.section("Bicycle rider")
    s.table(
        bikes[["item_id", "tallest_contour_height"]].assign(
            **{n: L_bike[n] for n in L_bike.names},
            label=["rider" if p == RIDER else "no rider" if p == PLAIN else "?" for p in bike_pred],
        ),
        index=False,
    )
    s.image_grid(
        [
            (draw_detections(read_image(p), dets or []), i)
            for i, p, dets in zip(people.item_ids, people.paths, people.detections, strict=True)
        ],
        thumb=260,
    )
    out = rep.save(args.out / "image_rules_photos.html")
    for name, ids, pred in (
        ("leaf", leaves["item_id"], leaf_pred),
        ("bike", bikes["item_id"], bike_pred),
    ):
        print(name, dict(zip(ids, pred.tolist(), strict=True)))
    print(f"report: {out}")


if __name__ == "__main__":
    main()
