from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import LabelMatrixError, LabelSpaceError
from labelwise.labeling import ABSTAIN, LabelMatrix, LabelSpace, check_votes


def test_label_space_maps_names_both_ways():
    space = LabelSpace(["neg", "pos", "neutral"])
    assert space.k == 3
    assert space.index("pos") == 1
    assert space.name(2) == "neutral"
    assert space.encode(["neutral", None, "neg", 1]).tolist() == [2, ABSTAIN, 0, 1]
    assert space.decode([2, -1]) == ["neutral", None]


@pytest.mark.parametrize(
    "names, message",
    [(["only"], "at least 2"), (["a", "b", "a"], "repeated")],
)
def test_label_space_rejects_bad_names(names, message):
    with pytest.raises(LabelSpaceError, match=message):
        LabelSpace(names)


def test_label_space_unknown_class_names_the_choices():
    space = LabelSpace(["ham", "spam"])
    with pytest.raises(LabelSpaceError, match=r"'eggs'.*\['ham', 'spam'\]"):
        space.encode(["ham", "eggs"])
    with pytest.raises(LabelSpaceError, match="outside -1..1"):
        space.encode([5])


def test_check_votes_reports_position_of_bad_value():
    with pytest.raises(LabelMatrixError, match=r"L\[1, 0\] = 3 is outside \[-1, 1\]"):
        check_votes([[0, 1], [3, -1]], cardinality=2)
    with pytest.raises(LabelMatrixError, match="-2"):
        check_votes([[0, -2]])
    with pytest.raises(LabelMatrixError, match="2 columns but 3 labelers"):
        check_votes([[0, 1]], n_labelers=3)
    with pytest.raises(LabelMatrixError, match="not an integer"):
        check_votes(np.array([[0.5, 1.0]]))
    assert check_votes(np.array([[1.0, -1.0]])).tolist() == [[1, -1]]


def test_label_matrix_is_compact_and_named():
    L = LabelMatrix([[0, -1, 2], [1, 1, -1]], names=["a", "b", "c"], cardinality=3)
    assert L.values.dtype == np.int8
    assert L.shape == (2, 3)
    assert L["c"].tolist() == [2, -1]
    assert L.coverage() == 1.0
    assert np.asarray(L).tolist() == [[0, -1, 2], [1, 1, -1]]
    with pytest.raises(KeyError, match="no labeler named 'z'"):
        L["z"]
    big = LabelMatrix([[299]], cardinality=300)
    assert big.values.dtype == np.int16


def test_label_matrix_rejects_wrong_names_and_values():
    with pytest.raises(LabelMatrixError, match="2 columns but 1 labeler names"):
        LabelMatrix([[0, 1]], names=["a"])
    with pytest.raises(LabelMatrixError, match="repeated"):
        LabelMatrix([[0, 1]], names=["a", "a"])
    with pytest.raises(LabelMatrixError, match="outside"):
        LabelMatrix([[0, 2]], cardinality=2)


def test_label_matrix_round_trips_pandas_and_parquet(tmp_path):
    space = LabelSpace(["ham", "spam"])
    L = LabelMatrix(
        [[0, -1], [1, 1], [-1, 0]],
        names=["kw", "model"],
        label_space=space,
        provenance={"kw": {"kind": "labeling_function", "faults": 2}},
        index=["m1", "m2", "m3"],
    )
    df = L.to_pandas()
    assert list(df.columns) == ["kw", "model"] and list(df.index) == ["m1", "m2", "m3"]
    assert LabelMatrix.from_pandas(df, label_space=space) == L

    path = tmp_path / "L.parquet"
    L.to_parquet(path)
    back = LabelMatrix.from_parquet(path)
    assert back == L
    assert back.label_space == space
    assert back.provenance["kw"] == {"kind": "labeling_function", "faults": 2}
    assert back.index == ["m1", "m2", "m3"]
    assert pd.read_parquet(path)["kw"].tolist() == [0, 1, -1]


def test_hstack_and_select():
    a = LabelMatrix([[0], [1]], names=["a"])
    b = LabelMatrix([[1], [-1]], names=["b"])
    both = a.hstack(b)
    assert both.names == ["a", "b"]
    assert both.select(["b"]).values.tolist() == [[1], [-1]]
    with pytest.raises(LabelMatrixError, match="2 and 3 items"):
        a.hstack(LabelMatrix([[0], [0], [0]], names=["c"]))
