from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelwise.errors import LabelwiseError
from labelwise.geometry import (
    Box,
    Polygon,
    box_area,
    box_contains,
    box_iou_matrix,
    clip_boxes,
    convert_boxes,
    find_degenerate_boxes,
    find_out_of_range_boxes,
    non_max_suppression,
    point_in_polygon,
    polygon_area,
    polygon_contains,
    polygon_iou,
    polygon_perimeter,
    polyline_length,
)

coord = st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False)
size = st.floats(min_value=0.01, max_value=500, allow_nan=False, allow_infinity=False)


@st.composite
def boxes(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x, y, w, h = draw(coord), draw(coord), draw(size), draw(size)
    return (x, y, x + w, y + h)


@settings(max_examples=200, deadline=None)
@given(boxes(), boxes())
def test_iou_symmetric_and_bounded(a: tuple, b: tuple) -> None:
    ab = box_iou_matrix([a], [b])[0, 0]
    ba = box_iou_matrix([b], [a])[0, 0]
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(ba, abs=1e-12)
    assert box_iou_matrix([a], [a])[0, 0] == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(boxes())
def test_shoelace_equals_width_times_height(b: tuple) -> None:
    box = Box(*b)
    assert polygon_area(box.to_polygon()) == pytest.approx(box.width * box.height, rel=1e-9)
    assert box_area([b])[0] == pytest.approx(box.area)


@settings(max_examples=200, deadline=None)
@given(boxes(), st.sampled_from(["xyxy", "xywh", "cxcywh"]), st.booleans())
def test_conversions_round_trip(b: tuple, fmt: str, normalized: bool) -> None:
    img = (1920.0, 1080.0)
    there = convert_boxes([b], "xyxy", fmt, image_size=img, dst_normalized=normalized)
    back = convert_boxes(there, fmt, "xyxy", image_size=img, src_normalized=normalized)
    np.testing.assert_allclose(back[0], b, rtol=1e-9, atol=1e-6)


def test_conversion_values() -> None:
    b = Box(10, 20, 30, 60)
    assert b.to_xywh() == (10, 20, 20, 40)
    assert b.to_cxcywh() == (20, 40, 20, 40)
    assert b.to_cxcywh(image_size=(100, 200)) == pytest.approx((0.2, 0.2, 0.2, 0.2))
    back = Box.from_cxcywh(0.2, 0.2, 0.2, 0.2, image_size=(100, 200))
    assert back.to_xyxy() == pytest.approx((10, 20, 30, 60))
    assert Box.from_xywh(10, 20, 20, 40) == b
    with pytest.raises(LabelwiseError, match="image_size"):
        convert_boxes([[0, 0, 1, 1]], "xyxy", "cxcywh", dst_normalized=True)
    with pytest.raises(LabelwiseError, match="not one of"):
        convert_boxes([[0, 0, 1, 1]], "xyxy", "tlbr")
    with pytest.raises(LabelwiseError, match=r"shape \(n, 4\)"):
        box_iou_matrix([[0, 0, 1]], [[0, 0, 1, 1]])


def test_per_box_image_sizes() -> None:
    b = np.array([[10.0, 20, 30, 60], [0, 0, 50, 40], [5, 5, 120, 90]])
    sizes = (np.array([100.0, 200, 100]), np.array([100.0, 80, 50]))
    per_box = convert_boxes(b, "xyxy", "cxcywh", image_size=sizes, dst_normalized=True)
    one_by_one = [
        convert_boxes(row, "xyxy", "cxcywh", image_size=(w, h), dst_normalized=True)[0]
        for row, w, h in zip(b, *sizes, strict=True)
    ]
    np.testing.assert_allclose(per_box, one_by_one)
    back = convert_boxes(per_box, "cxcywh", "xyxy", image_size=sizes, src_normalized=True)
    np.testing.assert_allclose(back, b)
    assert clip_boxes(b, sizes).tolist() == [[10, 20, 30, 60], [0, 0, 50, 40], [5, 5, 100, 50]]


def test_iou_known_values_and_containment() -> None:
    assert box_iou_matrix([[0, 0, 2, 2]], [[1, 0, 3, 2]])[0, 0] == pytest.approx(1 / 3)
    assert box_iou_matrix([[0, 0, 1, 1]], [[2, 2, 3, 3]])[0, 0] == 0.0
    assert box_iou_matrix([[0, 0, 0, 0]], [[0, 0, 0, 0]])[0, 0] == 0.0  # no area, no NaN
    outer = Box(0, 0, 10, 10)
    assert outer.contains(Box(0, 0, 10, 10)) and outer.contains(Box(2, 2, 3, 3))
    assert not outer.contains(Box(5, 5, 11, 6))
    assert outer.contains((10, 0)) and not outer.contains((10.5, 0))
    assert box_contains([[0, 0, 4, 4]], [[1, 1], [5, 5]]).tolist() == [[True, False]]


def test_out_of_range_and_degenerate_masks() -> None:
    b = [[0, 0, 1, 1.0018], [0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.5, 0.7], [-0.01, 0, 0.3, 0.3]]
    assert find_out_of_range_boxes(b).tolist() == [True, False, False, True]
    assert find_degenerate_boxes(b).tolist() == [False, False, True, False]
    assert Box(0, 0, 5, 12).clip(10, 10) == Box(0, 0, 5, 10)


def test_nms_keeps_best_of_overlaps_and_respects_classes() -> None:
    b = [[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 10]]
    s = [0.6, 0.9, 0.5, 0.8]
    assert non_max_suppression(b, s, iou_threshold=0.5).tolist() == [1, 2]
    # box 3 is another class: it survives next to box 1
    assert non_max_suppression(b, s, iou_threshold=0.5, classes=[0, 0, 0, 1]).tolist() == [1, 3, 2]
    assert non_max_suppression(b, s, score_threshold=0.7).tolist() == [1]
    assert non_max_suppression(b, s, max_detections=1).tolist() == [1]
    assert non_max_suppression(np.zeros((0, 4)), []).tolist() == []
    with pytest.raises(LabelwiseError, match="scores"):
        non_max_suppression(b, [0.1])


@settings(max_examples=100, deadline=None)
@given(st.lists(boxes(), min_size=1, max_size=12), st.floats(0.1, 0.9))
def test_nms_properties(bs: list, thr: float) -> None:
    rng = np.random.default_rng(len(bs))
    scores = rng.random(len(bs))
    keep = non_max_suppression(bs, scores, iou_threshold=thr)
    assert keep[0] == int(np.argmax(scores))
    kept = np.asarray(bs)[keep]
    iou = box_iou_matrix(kept, kept)
    np.fill_diagonal(iou, 0)
    assert (iou <= thr + 1e-12).all()
    # every dropped box overlaps some kept box by more than the threshold
    dropped = sorted(set(range(len(bs))) - set(keep.tolist()))
    if dropped:
        assert (box_iou_matrix(np.asarray(bs)[dropped], kept).max(axis=1) > thr).all()


def test_polygon_measures() -> None:
    tri = [[0, 0], [4, 0], [0, 3]]
    assert polygon_area(tri) == 6.0
    assert polygon_area(tri, signed=True) == 6.0
    assert polygon_area(tri[::-1], signed=True) == -6.0
    assert polygon_perimeter(tri) == pytest.approx(12.0)
    assert polyline_length([[0, 0], [3, 4], [3, 10]]) == 11.0
    L = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]]  # concave "L", area 7
    assert polygon_area(L) == 7.0
    assert point_in_polygon((0.5, 3), L) and not point_in_polygon((2, 2), L)
    assert point_in_polygon((4, 0.5), L)  # on an edge
    assert not point_in_polygon((4, 0.5), L, boundary=False)
    poly = Polygon(L)
    assert poly.bounding_box() == Box(0, 0, 4, 4)
    assert Polygon([[0, 0], [3, 4]], closed=False).length == 5.0
    assert poly.normalized((4, 4)).denormalized((4, 4)).area == pytest.approx(7.0)
    with pytest.raises(LabelwiseError, match=r"\(n, 2\)"):
        polygon_area([[0, 0, 0]])


def test_polygon_containment() -> None:
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    assert polygon_contains(square, [[1, 1], [9, 1], [9, 9]])
    assert polygon_contains(square, square)
    assert not polygon_contains(square, [[1, 1], [11, 1], [9, 9]])
    notch = [[0, 0], [10, 0], [10, 10], [6, 10], [5, 2], [4, 10], [0, 10]]
    # both vertices inside the notched outline, but the segment crosses the notch
    assert not polygon_contains(notch, [[2, 8], [8, 8]])


def test_polygon_iou_exact_and_raster() -> None:
    a = [[0, 0], [2, 0], [2, 2], [0, 2]]
    b = [[1, 0], [3, 0], [3, 2], [1, 2]]
    assert polygon_iou(a, b) == pytest.approx(1 / 3)
    assert polygon_iou(a, a) == pytest.approx(1.0)
    assert polygon_iou(a, [[5, 5], [6, 5], [6, 6]]) == 0.0
    L1 = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]]
    L2 = [[x + 0.5, y] for x, y in L1]
    # two concave polygons: rasterized; exact value by inclusion-exclusion on unit strips
    # overlap: the bottom bars share 3.5 x 1, the vertical bars 0.5 x 3
    inter = 3.5 * 1 + 0.5 * 3
    union = 7 + 7 - inter
    assert polygon_iou(L1, L2, resolution=800) == pytest.approx(inter / union, abs=0.01)


@settings(max_examples=100, deadline=None)
@given(boxes(), boxes())
def test_polygon_iou_of_rectangles_matches_box_iou_matrix(a: tuple, b: tuple) -> None:
    pa, pb = Box(*a).to_polygon(), Box(*b).to_polygon()
    assert polygon_iou(pa, pb) == pytest.approx(box_iou_matrix([a], [b])[0, 0], abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(3, 12),
    st.floats(1, 100),
    st.floats(-50, 50),
    st.floats(-50, 50),
)
def test_regular_polygon_area_matches_formula(n: int, r: float, cx: float, cy: float) -> None:
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)])
    expected = 0.5 * n * r * r * math.sin(2 * math.pi / n)
    assert polygon_area(pts) == pytest.approx(expected, rel=1e-9)
    assert point_in_polygon((cx, cy), pts)
