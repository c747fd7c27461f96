"""Label encodings ({-1, +1}, names, NaN gold) and the array-like LabelMatrix."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelSpaceError
from labelwise.labeling import LabelMatrix
from labelwise.labeling.analysis import check_gold
from labelwise.labeling.space import is_sign_encoded, sign_targets_as_names
from labelwise.learn.features import encode_targets
from labelwise.models import check_gold_labels


def test_sign_targets_are_classes_for_learners_not_unlabeled():
    codes, space = encode_targets([1, -1, -1, None, 1.0])
    assert space.names == ["-1", "+1"]
    assert codes.tolist() == [1, 0, 0, -1, 1]
    # 0/1 with -1 for unlabeled keeps its meaning.
    codes, space = encode_targets([0, 1, -1])
    assert codes.tolist() == [0, 1, -1] and space.k == 2
    assert not is_sign_encoded(["a", -1, 1]) and not is_sign_encoded([1, 1])
    names, space = sign_targets_as_names(np.array([1, -1]))
    assert names.tolist() == ["+1", "-1"] and space is not None


def test_gold_checks_explain_sign_encodings_and_missing_values():
    with pytest.raises(LabelSpaceError, match=r"looks like a \{-1, \+1\} encoding"):
        check_gold([1, -1, 1], 3, cardinality=2)
    with pytest.raises(LabelSpaceError, match=r"y_dev\[1\] is missing \(NaN"):
        check_gold_labels([0.0, np.nan, 1.0], n_items=3, cardinality=2)
    # NaN where unknowns are allowed stays "unknown".
    assert check_gold([0.0, np.nan, 1.0], 3, cardinality=2).tolist() == [0, -1, 1]


def test_label_matrix_is_array_like():
    L = LabelMatrix([[0, -1, 1], [1, 1, -1]], names=["a", "b", "c"])
    arr = np.asarray(L)
    assert arr.shape == (2, 3) and arr.dtype == np.int8
    assert (L + 1).tolist() == [[1, 0, 2], [2, 2, 0]]
    assert (L * 100).max() == 100  # int64 arithmetic: no int8 overflow
    assert (L == -1).sum() == 2 and (L != -1).sum() == 4
    assert L[:, 1].tolist() == [-1, 1] and L["b"].tolist() == [-1, 1]
    assert L.max() == 1 and L.min() == -1 and L.ndim == 2 and L.size == 6
    assert np.array_equal(np.where(L == -1, 0, L), [[0, 0, 1], [1, 1, 0]])
    twin = L.copy()
    assert twin == L
    assert (twin != L) is False
    assert L.astype(np.float64).dtype == np.float64
