from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelSpaceError
from labelwise.labeling import LabelMatrix, LabelSpace, lf_summary

# 6 items x 3 labelers, hand-checked below.
L = np.array(
    [
        [0, 0, -1],
        [1, -1, 1],
        [1, 0, -1],
        [-1, -1, -1],
        [0, -1, 1],
        [-1, 1, 1],
    ]
)
Y = np.array([0, 1, 0, 1, 0, 1])


def test_summary_statistics_by_hand():
    s = lf_summary(L, Y, names=["a", "b", "c"])
    assert s["polarity"].tolist() == [[0, 1], [0, 1], [1]]
    np.testing.assert_allclose(s["coverage"], [4 / 6, 3 / 6, 3 / 6])
    # overlaps: a overlaps on rows 0,1,2,4; b on 0,2,5; c on 1,4,5
    np.testing.assert_allclose(s["overlaps"], [4 / 6, 3 / 6, 3 / 6])
    # conflicts: row 2 (a=1,b=0), row 4 (a=0,c=1); row 0 agrees, row 1 agrees, row 5 agrees
    np.testing.assert_allclose(s["conflicts"], [2 / 6, 1 / 6, 1 / 6])
    assert s["correct"].tolist() == [3, 3, 2]
    assert s["incorrect"].tolist() == [1, 0, 1]
    np.testing.assert_allclose(s["emp_accuracy"], [0.75, 1.0, 2 / 3])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64])
def test_statistics_do_not_depend_on_storage_dtype(dtype):
    s = lf_summary(L.astype(dtype), Y)
    np.testing.assert_allclose(s["conflicts"], [2 / 6, 1 / 6, 1 / 6])
    assert (s["conflicts"] <= s["overlaps"]).all() and (s["overlaps"] <= s["coverage"]).all()


def test_summary_uses_matrix_names_and_faults():
    M = LabelMatrix(L, names=["a", "b", "c"], provenance={"b": {"faults": 3}})
    s = lf_summary(M)
    assert list(s.index) == ["a", "b", "c"]
    assert s.loc["b", "faults"] == 3
    assert "emp_accuracy" not in s.columns


def test_unknown_gold_is_ignored_and_bad_gold_is_rejected():
    y = Y.copy()
    y[:3] = -1
    s = lf_summary(L, y)
    assert s["correct"].tolist() == [1, 1, 1]
    assert s["incorrect"].tolist() == [0, 0, 1]
    with pytest.raises(LabelSpaceError, match="5 labels but its label matrix has 6 rows"):
        lf_summary(L, Y[:5])
    with pytest.raises(LabelSpaceError, match="dtype"):
        lf_summary(L, np.array(["x"] * 6))


def test_gold_names_through_label_space():
    from labelwise.labeling.analysis import check_gold

    space = LabelSpace(["neg", "pos"])
    assert check_gold(["neg", "pos", None], 3, label_space=space).tolist() == [0, 1, -1]
    with pytest.raises(LabelSpaceError, match="'maybe' is not a known class"):
        check_gold(["maybe"], 1, label_space=space)
