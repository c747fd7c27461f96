"""Shared input handling for the learners: feature matrices and partially labeled targets.

Every labeler in :mod:`labelwise.learn` takes features ``X`` (a ``DataFrame`` or a 2-D
array) and a target ``y`` in which unlabeled rows are missing (``None``/``NaN``, or
``ABSTAIN = -1`` for integer classes). This module turns both into numpy arrays with one set
of clear errors, so each labeler does not repeat the checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from labelwise.errors import DataError, LabelwiseError, NotFittedError
from labelwise.labeling.space import ABSTAIN, LabelSpace, sign_targets_as_names

__all__ = [
    "FeaturePrep",
    "encode_targets",
    "prepare_features",
    "regression_targets",
    "split_target",
    "unlabeled_mask",
]

Scale = Literal["standard", "robust", "minmax", "none"]
Categorical = Literal["auto", "error"] | Sequence[str]


def _is_numeric_column(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


class FeaturePrep:
    """Turn a table into a float matrix: numeric check, one-hot categoricals, impute, scale.

    Parameters
    ----------
    categorical : "error", "auto" or list of str, default "error"
        ``"error"`` raises :class:`~labelwise.errors.DataError` naming every non-numeric
        column; ``"auto"`` one-hot encodes all of them; a list one-hot encodes the named
        columns (numeric codes included) and still rejects other non-numeric columns.
    scale : {"standard", "robust", "minmax", "none"}, default "standard"
        Per-column scaling fitted on the rows passed to :meth:`fit`.
    impute : {"median", "error"}, default "median"
        Missing numeric values are replaced by the column median of the fitted rows
        (``imputed_`` counts them); ``"error"`` refuses missing values instead.
    categorical_weight : float, default 1.0
        Multiplier of the one-hot columns, i.e. how far apart two different categories
        are compared with one standard deviation of a numeric column.

    Attributes
    ----------
    columns_ : list of str
        Input columns used, in order.
    feature_names_ : list of str
        Output column names (``col=value`` for one-hot columns).
    imputed_ : dict of str -> int
        Missing values filled per column at ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]})
    >>> prep = FeaturePrep(categorical="auto").fit(df)
    >>> prep.transform(df).shape, prep.feature_names_
    ((3, 3), ['a', 'c=x', 'c=y'])
    """

    def __init__(
        self,
        *,
        categorical: Categorical = "error",
        scale: Scale = "standard",
        impute: Literal["median", "error"] = "median",
        categorical_weight: float = 1.0,
    ) -> None:
        if scale not in ("standard", "robust", "minmax", "none"):
            raise LabelwiseError(
                f"scale={scale!r} is not supported; use 'standard', 'robust', 'minmax' or 'none'"
            )
        if impute not in ("median", "error"):
            raise LabelwiseError(f"impute={impute!r} is not supported; use 'median' or 'error'")
        self.categorical = categorical
        self.scale = scale
        self.impute = impute
        self.categorical_weight = float(categorical_weight)

    # ------------------------------------------------------------------ fit / transform
    def fit(self, X: Any) -> FeaturePrep:
        """Learn columns, categories, medians and scales from ``X`` of shape (n, p)."""
        df = _as_frame(X)
        if df.shape[1] == 0:
            raise DataError("the feature table has no columns; pass at least one feature column")
        if self.categorical == "auto":
            cat_cols = [c for c in df.columns if not _is_numeric_column(df[c])]
        elif self.categorical == "error":
            cat_cols = []
        else:
            cat_cols = [str(c) for c in self.categorical]
            missing = [c for c in cat_cols if c not in df.columns]
            if missing:
                raise DataError(
                    f"categorical columns {missing} are not in the data; "
                    f"columns are {list(map(str, df.columns))[:30]}"
                )
        bad = [c for c in df.columns if c not in cat_cols and not _is_numeric_column(df[c])]
        if bad:
            examples = {c: str(df[c].dropna().iloc[0]) if df[c].notna().any() else "" for c in bad}
            raise DataError(
                f"non-numeric feature columns {bad} (e.g. {examples}); numeric features are "
                "needed here. Encode them first (e.g. pandas.get_dummies for one-hot), drop "
                f"them, or pass categorical={bad!r} (or categorical='auto') to one-hot encode them"
            )
        self.columns_: list[str] = [str(c) for c in df.columns]
        self.numeric_columns_: list[str] = [str(c) for c in df.columns if c not in cat_cols]
        self.categorical_columns_: list[str] = [str(c) for c in cat_cols]
        num = df[self.numeric_columns_].to_numpy(dtype=np.float64, na_value=np.nan)
        nan = np.isnan(num)
        if nan.any() and self.impute == "error":
            cols = [self.numeric_columns_[j] for j in np.flatnonzero(nan.any(axis=0))]
            raise DataError(
                f"feature columns {cols} have missing values; fill or drop them, "
                "or use impute='median'"
            )
        all_nan = (
            [self.numeric_columns_[j] for j in np.flatnonzero(nan.all(axis=0))] if len(num) else []
        )
        if all_nan:
            raise DataError(f"feature columns {all_nan} are entirely missing; drop them")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.medians_ = np.nanmedian(num, axis=0) if num.size else np.zeros(num.shape[1])
        self.imputed_: dict[str, int] = {
            self.numeric_columns_[j]: int(c) for j, c in enumerate(nan.sum(axis=0)) if c
        }
        num = np.where(nan, self.medians_, num)
        self.categories_: dict[str, list[str]] = {
            c: sorted({str(v) for v in df[c].dropna().tolist()}) for c in self.categorical_columns_
        }
        if self.scale == "standard":
            center, spread = num.mean(axis=0), num.std(axis=0)
        elif self.scale == "robust":
            q1, med, q3 = np.percentile(num, [25, 50, 75], axis=0)
            center, spread = med, q3 - q1
        elif self.scale == "minmax":
            center, spread = num.min(axis=0), num.max(axis=0) - num.min(axis=0)
        else:
            center, spread = np.zeros(num.shape[1]), np.ones(num.shape[1])
        spread = np.where(spread > 0, spread, 1.0)
        self.center_, self.spread_ = center, spread
        self.feature_names_: list[str] = list(self.numeric_columns_) + [
            f"{c}={v}" for c in self.categorical_columns_ for v in self.categories_[c]
        ]
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The float matrix of shape (n, n_features) for ``X`` (same columns as at ``fit``)."""
        if not hasattr(self, "columns_"):
            raise NotFittedError("FeaturePrep is not fitted; call fit(X) first")
        df = _as_frame(X, columns=self.columns_)
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise DataError(f"feature columns {missing} seen at fit are missing from the data")
        bad = [c for c in self.numeric_columns_ if not _is_numeric_column(df[c])]
        if bad:
            raise DataError(
                f"feature columns {bad} were numeric at fit but are not numeric now; "
                "encode them the same way as the fitted data"
            )
        num = df[self.numeric_columns_].to_numpy(dtype=np.float64, na_value=np.nan)
        num = np.where(np.isnan(num), self.medians_, num)
        num = (num - self.center_) / self.spread_
        blocks = [num]
        for c in self.categorical_columns_:
            col = df[c]
            text = col.astype("object").where(col.notna(), None)
            text = text.map(lambda v: None if v is None else str(v))
            # categories unseen at fit (and missing values) get code -1: no one-hot bit
            codes = pd.Categorical(text, categories=self.categories_[c]).codes
            onehot = np.zeros((len(df), len(self.categories_[c])))
            seen = codes >= 0
            onehot[np.flatnonzero(seen), codes[seen]] = 1.0
            blocks.append(onehot * self.categorical_weight)
        return np.hstack(blocks) if len(blocks) > 1 else num

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)


def _as_frame(X: Any, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        df = X.copy()
        df.columns = [str(c) for c in df.columns]
        return df
    if isinstance(X, pd.Series):
        return X.to_frame()
    arr = np.asarray(X)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise DataError(f"features must be 2-D (n_rows, n_features), got shape {arr.shape}")
    names = list(columns) if columns is not None and len(columns) == arr.shape[1] else None
    names = names or [f"x{j}" for j in range(arr.shape[1])]
    if arr.dtype.kind == "O":
        frame = pd.DataFrame(arr, columns=names)
        for c in frame.columns:
            converted = pd.to_numeric(frame[c], errors="coerce")
            if converted.isna().sum() == frame[c].isna().sum():
                frame[c] = converted
        return frame
    if arr.dtype.kind not in "biuf":
        return pd.DataFrame(arr, columns=names)
    return pd.DataFrame(arr, columns=names)


def prepare_features(
    X: Any,
    *,
    categorical: Categorical = "error",
    scale: Scale = "standard",
    impute: Literal["median", "error"] = "median",
) -> np.ndarray:
    """Check, encode and scale features in one call (see :class:`FeaturePrep`).

    Parameters
    ----------
    X : DataFrame or array of shape (n, p)

    Returns
    -------
    ndarray of shape (n, n_features)

    Examples
    --------
    >>> prepare_features([[1.0, 10.0], [3.0, 30.0]]).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    return FeaturePrep(categorical=categorical, scale=scale, impute=impute).fit_transform(X)


def split_target(
    data: pd.DataFrame, target: str, *, features: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Split a table into features and its target column (missing target = unlabeled).

    Raises
    ------
    DataError
        When ``target`` or a named feature column does not exist.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1, 2], "y": [0, None]})
    >>> X, y = split_target(df, "y")
    >>> list(X.columns), y.isna().tolist()
    (['x'], [False, True])
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if target not in data.columns:
        close = [c for c in data.columns if str(c).lower() == str(target).lower()]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f"target column {target!r} does not exist{hint}; columns are "
            f"{list(map(str, data.columns))[:40]}"
        )
    if features is None:
        cols = [c for c in data.columns if c != target]
    else:
        cols = list(features)
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise DataError(
                f"feature columns {missing} do not exist; columns are {list(data.columns)[:40]}"
            )
        if target in cols:
            raise DataError(f"the target column {target!r} is also listed as a feature; remove it")
    return data[cols], data[target]


def unlabeled_mask(y: Any) -> np.ndarray:
    """Boolean mask of unlabeled rows: ``None``/``NaN``/``pd.NA``, or ``-1`` in integer ``y``.

    Examples
    --------
    >>> unlabeled_mask([0, -1, 1, None]).tolist()
    [False, True, False, True]
    """
    s = pd.Series(np.asarray(y, dtype=object) if not isinstance(y, pd.Series) else y)
    miss = np.array(s.isna().to_numpy(), dtype=bool)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        miss |= s.to_numpy(dtype=np.float64, na_value=np.nan) == ABSTAIN
    else:
        miss |= np.array([_is_intlike(v) and int(v) == ABSTAIN for v in s], dtype=bool)
    return miss


def encode_targets(
    y: Any, *, label_space: LabelSpace | None = None, min_per_class: int = 0
) -> tuple[np.ndarray, LabelSpace]:
    """Encode a partially labeled class column as integers (``ABSTAIN`` = unlabeled).

    Parameters
    ----------
    y : array-like of shape (n,)
        Class names or integer classes; ``None``/``NaN``/``-1`` mark unlabeled rows.
    label_space : LabelSpace, optional
        The classes; inferred from the labeled values when omitted (integer classes
        ``0..max`` are kept as they are, names are sorted).
    min_per_class : int, default 0
        Raise when fewer labeled rows than classes are present; with ``min_per_class > 0``
        also warn about classes with fewer labeled rows than that.

    Returns
    -------
    codes : ndarray of shape (n,), int64
    label_space : LabelSpace

    Examples
    --------
    >>> codes, space = encode_targets(["cat", None, "dog", "cat"])
    >>> codes.tolist(), space.names
    ([0, -1, 1, 0], ['cat', 'dog'])
    """
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y, dtype=object)
    if arr.ndim != 1:
        raise DataError(f"the target must be 1-D, got shape {arr.shape}")
    if label_space is None:  # {-1, +1} targets: classes "-1"/"+1", not "-1 = unlabeled"
        arr, label_space = sign_targets_as_names(arr)
    missing = unlabeled_mask(arr)
    present = arr[~missing]
    if label_space is None:
        if present.size == 0:
            raise DataError(
                "no labeled rows: every target value is missing; label a few rows per class "
                "or use an unsupervised labeler (e.g. ClusterLabeler without labels)"
            )
        if all(_is_intlike(v) for v in present):
            k = max(2, int(max(float(v) for v in present)) + 1)
            if min(float(v) for v in present) < 0:
                raise DataError(
                    f"integer classes must be 0..k-1 with -1 for unlabeled, got "
                    f"{min(float(v) for v in present):g}"
                )
            label_space = LabelSpace([str(i) for i in range(k)])
        else:
            label_space = LabelSpace.from_values(str(v) for v in present)
    codes = np.full(len(arr), ABSTAIN, dtype=np.int64)
    for i in np.flatnonzero(~missing):
        v = arr[i]
        if _is_intlike(v) and str(v) not in label_space:
            iv = int(float(v))
            if not 0 <= iv < label_space.k:
                raise DataError(
                    f"y[{i}] = {v!r} is outside the classes 0..{label_space.k - 1} "
                    f"({label_space.names})"
                )
            codes[i] = iv
        else:
            name = str(int(float(v))) if _is_intlike(v) else str(v)
            if name not in label_space:
                raise DataError(
                    f"y[{i}] = {v!r} is not one of the classes {label_space.names}; "
                    "fix the value or pass a label_space that includes it"
                )
            codes[i] = label_space.index(name)
    n_labeled = int((codes != ABSTAIN).sum())
    if n_labeled < label_space.k:
        raise DataError(
            f"only {n_labeled} labeled rows for {label_space.k} classes {label_space.names}; "
            "label at least one row per class (better: several) before growing labels"
        )
    if min_per_class:
        counts = np.bincount(codes[codes != ABSTAIN], minlength=label_space.k)
        thin = [label_space.names[j] for j in np.flatnonzero(counts < min_per_class)]
        if thin:
            warnings.warn(
                f"classes {thin} have fewer than {min_per_class} labeled rows "
                f"(counts {dict(zip(label_space.names, counts.tolist(), strict=True))}); "
                "their labels will be unreliable",
                UserWarning,
                stacklevel=3,
            )
    return codes, label_space


def _is_intlike(v: Any) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isfinite(v) and float(v).is_integer())
    return False


def regression_targets(y: Any) -> np.ndarray:
    """A float target with ``NaN`` for unlabeled rows; rejects non-numeric values clearly.

    Unlike classes, ``-1`` is a legitimate target value here; only missing values mark
    unlabeled rows.

    Examples
    --------
    >>> regression_targets([1.5, None, -1]).tolist()
    [1.5, nan, -1.0]
    """
    s = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y, dtype=object))
    if not pd.api.types.is_numeric_dtype(s):
        converted = pd.to_numeric(s, errors="coerce")
        bad = s[converted.isna() & s.notna()]
        if len(bad):
            raise DataError(
                f"the regression target has non-numeric values (e.g. {bad.iloc[0]!r} at row "
                f"{bad.index[0]}); regression needs numbers, with missing values for "
                "unlabeled rows"
            )
        s = converted
    out = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(out).any():
        raise DataError("the regression target has infinite values; replace them or mark unlabeled")
    if np.isnan(out).all():
        raise DataError("no labeled rows: every target value is missing")
    return out
