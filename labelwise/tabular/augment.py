"""Label-preserving augmentation for tables, and a check that it actually helps.

Every function takes features ``X`` (a ``DataFrame`` or a 2-D array) and targets ``y`` and
returns new ``(X, y)`` of the same types, by default with the original rows first
(``include_original=True``). Only numeric columns are perturbed; other columns (and, by
default, binary 0/1 flags) are copied from the source row, and integer columns stay
integers. Perturbed values are clipped to the observed range of their column.

* :func:`gaussian_noise`: add ``N(0, (scale * column std)^2)``; ``scale`` per column.
* :func:`random_scaling`: multiply rows (or cells) by a factor in ``[low, high]``.
* :func:`jitter`: add uniform noise of ``amount * column range``.
* :func:`interpolate_same_class`: SMOTE-like points between a row and one of its nearest
  neighbours of the same class (``balance=True`` evens out the classes).
* :func:`mixup`: convex combinations of rows *and* their numeric targets (regression).
* :func:`compare_augmentation`: train a model with and without augmentation and report the
  difference on held-out rows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import DataError, LabelwiseError

__all__ = [
    "AugmentationComparison",
    "compare_augmentation",
    "gaussian_noise",
    "interpolate_same_class",
    "jitter",
    "mixup",
    "random_scaling",
]


# ---------------------------------------------------------------------- table plumbing
class _Table:
    """Numeric block of a table plus what is needed to rebuild the caller's type."""

    def __init__(self, X: Any, columns: Sequence[str] | None, skip_binary: bool) -> None:
        self.is_frame = isinstance(X, pd.DataFrame)
        if self.is_frame:
            self.frame = X.reset_index(drop=True)
        else:
            arr = np.asarray(X)
            if arr.ndim != 2:
                raise DataError(f"X must be 2-D (n_rows, n_columns), got shape {arr.shape}")
            if arr.dtype.kind not in "biuf":
                raise DataError(
                    f"X has dtype {arr.dtype}; pass a DataFrame to keep non-numeric columns, "
                    "or a numeric array"
                )
            self.frame = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
        if len(self.frame) == 0:
            raise DataError("X has no rows to augment")
        numeric = [
            c
            for c in self.frame.columns
            if pd.api.types.is_numeric_dtype(self.frame[c])
            and not pd.api.types.is_bool_dtype(self.frame[c])
        ]
        if columns is not None:
            names = [
                f"x{c}" if isinstance(c, (int, np.integer)) and not self.is_frame else c
                for c in columns
            ]
            missing = [c for c in names if c not in self.frame.columns]
            if missing:
                raise DataError(
                    f"columns {missing} are not in X; columns are {list(self.frame.columns)[:30]}"
                )
            bad = [c for c in names if c not in numeric]
            if bad:
                raise DataError(
                    f"columns {bad} are not numeric and cannot be perturbed; drop them from "
                    "columns= (non-numeric columns are copied unchanged)"
                )
            numeric = list(names)
        if skip_binary and columns is None:
            numeric = [c for c in numeric if self.frame[c].dropna().nunique() > 2]
        self.columns = numeric
        self.values = self.frame[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        self.lo = np.nanmin(self.values, axis=0) if numeric else np.zeros(0)
        self.hi = np.nanmax(self.values, axis=0) if numeric else np.zeros(0)
        self.std = np.nan_to_num(np.nanstd(self.values, axis=0)) if numeric else np.zeros(0)
        self.is_int = np.array(
            [pd.api.types.is_integer_dtype(self.frame[c]) for c in numeric], dtype=bool
        )

    def build(self, source_rows: np.ndarray, new_values: np.ndarray, *, clip: bool) -> pd.DataFrame:
        """Rows copied from ``source_rows`` with the numeric block replaced."""
        vals = new_values
        if clip and len(self.columns):
            vals = np.clip(vals, self.lo, self.hi)
        return self.replace_numeric(
            self.frame.iloc[source_rows].reset_index(drop=True).copy(), vals
        )

    def replace_numeric(self, frame: pd.DataFrame, vals: np.ndarray) -> pd.DataFrame:
        """``frame`` with the numeric block set to ``vals`` (integer columns rounded)."""
        vals = np.where(self.is_int, np.round(vals), vals)
        for j, c in enumerate(self.columns):
            col = vals[:, j]
            if self.is_int[j] and not np.isnan(col).any():
                frame[c] = col.astype(self.frame[c].dtype)
            else:
                frame[c] = col
        return frame

    def finish(self, X_new: pd.DataFrame, include_original: bool) -> Any:
        out = pd.concat([self.frame, X_new], ignore_index=True) if include_original else X_new
        if self.is_frame:
            return out
        return out.to_numpy()


def _targets(y: Any, n: int) -> tuple[np.ndarray, bool, Any]:
    if y is None:
        return np.zeros(0), False, None
    is_series = isinstance(y, pd.Series)
    arr = y.to_numpy() if is_series else np.asarray(y)
    if arr.ndim != 1 or len(arr) != n:
        raise DataError(f"y has shape {arr.shape} but X has {n} rows; give one target per row")
    return arr, is_series, (y.name if is_series else None)


def _finish_y(
    y_arr: np.ndarray,
    new: np.ndarray,
    is_series: bool,
    name: Any,
    include_original: bool,
    given: bool,
) -> Any:
    if not given:
        return None
    out = np.concatenate([y_arr, new]) if include_original else new
    return pd.Series(out, name=name) if is_series else out


def _scale_vector(
    scale: float | Mapping[str, float] | Sequence[float], columns: list[str]
) -> np.ndarray:
    if isinstance(scale, Mapping):
        unknown = [c for c in scale if c not in columns]
        if unknown:
            raise DataError(
                f"scale names columns {unknown} that are not perturbed numeric columns {columns}"
            )
        return np.array([float(scale.get(c, 0.0)) for c in columns])
    if isinstance(scale, (int, float, np.floating, np.integer)):
        return np.full(len(columns), float(scale))
    arr = np.asarray(scale, dtype=np.float64)
    if arr.shape != (len(columns),):
        raise DataError(f"scale has {arr.size} values for {len(columns)} numeric columns {columns}")
    return arr


def _copies(n: int, n_copies: int, rng: np.random.Generator) -> np.ndarray:
    if int(n_copies) < 1:
        raise LabelwiseError(f"n_copies={n_copies} must be at least 1")
    return np.tile(np.arange(n), int(n_copies))


def _check_non_negative(value: float, name: str) -> None:
    if value < 0:
        raise LabelwiseError(f"{name}={value} must not be negative")


def _perturb(
    X: Any,
    y: Any,
    change: Callable[[_Table, np.ndarray, np.random.Generator], np.ndarray],
    columns: Sequence[Any] | None,
    n_copies: int,
    skip_binary: bool,
    clip: bool,
    include_original: bool,
    seed: Any,
) -> tuple[Any, Any]:
    """``n_copies`` copies of every row whose numeric block is ``change(table, rows, rng)``
    (the rows' new values, shape ``(len(rows), n_numeric)``); ``y`` is copied along."""
    t = _Table(X, columns, skip_binary)
    y_arr, is_series, name = _targets(y, len(t.frame))
    rng = np.random.default_rng(seed)
    src = _copies(len(t.frame), n_copies, rng)
    X_new = t.build(src, change(t, src, rng), clip=clip)
    return t.finish(X_new, include_original), _finish_y(
        y_arr,
        y_arr[src] if y is not None else y_arr,
        is_series,
        name,
        include_original,
        y is not None,
    )


# ---------------------------------------------------------------------- perturbations
def gaussian_noise(
    X: Any,
    y: Any = None,
    *,
    scale: float | Mapping[str, float] | Sequence[float] = 0.05,
    columns: Sequence[Any] | None = None,
    n_copies: int = 1,
    skip_binary: bool = True,
    clip: bool = True,
    include_original: bool = True,
    seed: Any = None,
    random_state: Any = None,
) -> tuple[Any, Any]:
    """Copies of the rows with Gaussian noise on numeric columns.

    Parameters
    ----------
    X : DataFrame or array of shape (n, p)
    y : array-like of shape (n,), optional
        Copied unchanged for the new rows (the label is preserved).
    scale : float, mapping column -> float, or sequence, default 0.05
        Noise standard deviation as a multiple of each column's standard deviation.
    columns : sequence, optional
        Numeric columns to perturb (default: all numeric, non-binary columns).
    n_copies : int, default 1
        New rows per original row.
    skip_binary, clip, include_original, seed
        See the module docstring.

    Returns
    -------
    X_aug, y_aug
        ``n * (1 + n_copies)`` rows with the originals (``n * n_copies`` without).

    Examples
    --------
    >>> X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    >>> Xa, ya = gaussian_noise(X, [0, 1, 1], scale=0.1, seed=0)
    >>> Xa.shape, ya.tolist()
    ((6, 2), [0, 1, 1, 0, 1, 1])
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="gaussian_noise()"
    )

    def change(t: _Table, src: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        sd = _scale_vector(scale, t.columns) * t.std
        if (sd < 0).any():
            raise LabelwiseError("scale must not be negative")
        return t.values[src] + rng.normal(size=(len(src), len(t.columns))) * sd

    return _perturb(X, y, change, columns, n_copies, skip_binary, clip, include_original, seed)


def random_scaling(
    X: Any,
    y: Any = None,
    *,
    low: float = 0.95,
    high: float = 1.05,
    per: Literal["row", "cell"] = "row",
    columns: Sequence[Any] | None = None,
    n_copies: int = 1,
    skip_binary: bool = True,
    clip: bool = True,
    include_original: bool = True,
    seed: Any = None,
    random_state: Any = None,
) -> tuple[Any, Any]:
    """Copies of the rows with numeric columns multiplied by a factor in ``[low, high]``.

    ``per="row"`` scales all numeric columns of a row by one factor (keeps their ratios);
    ``per="cell"`` draws a factor per value.

    Examples
    --------
    >>> X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    >>> Xa, _ = random_scaling(X, low=2.0, high=2.0, clip=False, include_original=False)
    >>> Xa[:, 0].tolist()
    [2.0, 4.0, 6.0]
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="random_scaling()"
    )
    if not 0 < low <= high:
        raise LabelwiseError(f"need 0 < low <= high, got low={low}, high={high}")
    if per not in ("row", "cell"):
        raise LabelwiseError(f"per={per!r} must be 'row' or 'cell'")

    def change(t: _Table, src: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        shape = (len(src), 1) if per == "row" else (len(src), len(t.columns))
        return t.values[src] * rng.uniform(low, high, size=shape)

    return _perturb(X, y, change, columns, n_copies, skip_binary, clip, include_original, seed)


def jitter(
    X: Any,
    y: Any = None,
    *,
    amount: float = 0.01,
    columns: Sequence[Any] | None = None,
    n_copies: int = 1,
    skip_binary: bool = True,
    clip: bool = True,
    include_original: bool = True,
    seed: Any = None,
    random_state: Any = None,
) -> tuple[Any, Any]:
    """Copies of the rows with uniform noise of ``± amount * (column max - min)``.

    Examples
    --------
    >>> X = np.array([[0.0], [10.0], [5.0]])
    >>> Xa, _ = jitter(X, amount=0.1, include_original=False, seed=0)
    >>> bool(np.all(np.abs(Xa - X) <= 1.0))
    True
    """
    seed = renamed_kwarg(seed, random_state, old="random_state", new="seed", where="jitter()")
    _check_non_negative(amount, "amount")

    def change(t: _Table, src: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        width = amount * (t.hi - t.lo)
        return t.values[src] + rng.uniform(-1.0, 1.0, size=(len(src), len(t.columns))) * width

    return _perturb(X, y, change, columns, n_copies, skip_binary, clip, include_original, seed)


def _neighbors_within(values: np.ndarray, k: int) -> np.ndarray:
    """Indices (within ``values``) of each row's ``k`` nearest other rows (scaled)."""
    from sklearn.neighbors import NearestNeighbors

    spread = values.std(axis=0)
    Z = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    k = min(k, len(values) - 1)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z)
    return np.asarray(idx[:, 1:])


def _mix_other_columns(t: _Table, a: np.ndarray, b: np.ndarray, take_b: np.ndarray) -> pd.DataFrame:
    """Base rows ``a`` with non-perturbed columns taken from ``b`` where ``take_b``."""
    out = t.frame.iloc[a].reset_index(drop=True).copy()
    others = [c for c in t.frame.columns if c not in t.columns]
    if others and take_b.any():
        donor = t.frame.iloc[b].reset_index(drop=True)
        for c in others:
            out.loc[take_b, c] = donor.loc[take_b, c].to_numpy()
    return out


def interpolate_same_class(
    X: Any,
    y: Any,
    *,
    n_new: int | None = None,
    balance: bool = False,
    k_neighbors: int = 5,
    columns: Sequence[Any] | None = None,
    include_original: bool = True,
    seed: Any = None,
    random_state: Any = None,
) -> tuple[Any, Any]:
    """SMOTE-like rows on the segment between a row and a same-class near neighbour.

    Parameters
    ----------
    X : DataFrame or array of shape (n, p)
    y : array-like of shape (n,)
        Class of each row (missing values are not allowed here).
    n_new : int, optional
        New rows in total, spread over classes in proportion to their size (default: ``n``).
    balance : bool, default False
        Instead, add rows to every class until it matches the largest one.
    k_neighbors : int, default 5
        Neighbours (same class, scaled numeric features) to interpolate towards.

    Notes
    -----
    Numeric columns are interpolated, integer columns rounded; every other column comes
    from the closer of the two parent rows. Classes with a single row are copied as is.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [10.0, 10.0], [11.0, 11.0], [12.0, 12.0]])
    >>> Xa, ya = interpolate_same_class(X, [0, 0, 1, 1, 1], balance=True, seed=0)
    >>> ya.tolist(), bool(0 <= Xa[5, 0] <= 1)
    ([0, 0, 1, 1, 1, 0], True)
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="interpolate_same_class()"
    )
    t = _Table(X, columns, skip_binary=False)
    y_arr, is_series, name = _targets(y, len(t.frame))
    if y is None or pd.isna(pd.Series(y_arr)).any():
        raise DataError("interpolate_same_class needs a class for every row (no missing y)")
    if int(k_neighbors) < 1:
        raise LabelwiseError(f"k_neighbors={k_neighbors} must be at least 1")
    rng = np.random.default_rng(seed)
    classes, inverse, counts = np.unique(y_arr.astype(str), return_inverse=True, return_counts=True)
    if balance:
        want = counts.max() - counts
    else:
        total = len(y_arr) if n_new is None else int(n_new)
        if total < 0:
            raise LabelwiseError(f"n_new={n_new} must not be negative")
        want = np.floor(total * counts / counts.sum()).astype(int)
        want[np.argsort(-counts)[: total - int(want.sum())]] += 1
    bases, partners, lams = [], [], []
    for c in range(len(classes)):
        rows = np.flatnonzero(inverse == c)
        if want[c] == 0:
            continue
        base = rows[rng.integers(0, len(rows), size=want[c])]
        if len(rows) == 1 or not t.columns:
            bases.append(base)
            partners.append(base)
            lams.append(np.zeros(want[c]))
            continue
        nb = _neighbors_within(t.values[rows], int(k_neighbors))
        local = np.searchsorted(rows, base)
        pick = nb[local, rng.integers(0, nb.shape[1], size=want[c])]
        bases.append(base)
        partners.append(rows[pick])
        lams.append(rng.uniform(0.0, 1.0, size=want[c]))
    if not bases:
        X_new = t.frame.iloc[0:0]
        return t.finish(X_new, include_original), _finish_y(
            y_arr, y_arr[:0], is_series, name, include_original, True
        )
    a, b, lam = np.concatenate(bases), np.concatenate(partners), np.concatenate(lams)
    new_vals = t.values[a] + lam[:, None] * (t.values[b] - t.values[a])
    X_new = _mix_other_columns(t, a, b, lam > 0.5)
    X_new = t.replace_numeric(X_new, new_vals)
    return t.finish(X_new, include_original), _finish_y(
        y_arr, y_arr[a], is_series, name, include_original, True
    )


def mixup(
    X: Any,
    y: Any,
    *,
    n_new: int | None = None,
    alpha: float = 0.4,
    k_neighbors: int | None = None,
    columns: Sequence[Any] | None = None,
    include_original: bool = True,
    seed: Any = None,
    random_state: Any = None,
) -> tuple[Any, Any]:
    """Mixup for regression: ``x = l*x_i + (1-l)*x_j``, ``y = l*y_i + (1-l)*y_j``.

    Parameters
    ----------
    X : DataFrame or array of shape (n, p)
    y : array-like of shape (n,)
        Numeric targets.
    n_new : int, optional
        New rows (default ``n``).
    alpha : float, default 0.4
        ``l ~ Beta(alpha, alpha)``; small alpha keeps new rows near one parent.
    k_neighbors : int, optional
        Mix each row only with one of its ``k`` nearest rows (local mixup; safer when the
        target is far from linear in the features). Default: any row.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> Xa, ya = mixup(X, X[:, 0] * 2, n_new=4, include_original=False, seed=0)
    >>> bool(np.allclose(ya, Xa[:, 0] * 2))
    True
    """
    seed = renamed_kwarg(seed, random_state, old="random_state", new="seed", where="mixup()")
    t = _Table(X, columns, skip_binary=False)
    y_arr, is_series, name = _targets(y, len(t.frame))
    try:
        yf = y_arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            "mixup mixes targets, so y must be numeric (use interpolate_same_class for classes)"
        ) from exc
    if np.isnan(yf).any():
        raise DataError("y has missing values; mixup needs a target for every row")
    if alpha <= 0:
        raise LabelwiseError(f"alpha={alpha} must be positive")
    n = len(t.frame)
    if n < 2:
        raise DataError("mixup needs at least 2 rows")
    count = n if n_new is None else int(n_new)
    if count < 0:
        raise LabelwiseError(f"n_new={n_new} must not be negative")
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=count)
    if k_neighbors is not None:
        if int(k_neighbors) < 1:
            raise LabelwiseError(f"k_neighbors={k_neighbors} must be at least 1")
        nb = _neighbors_within(t.values, int(k_neighbors))
        b = nb[a, rng.integers(0, nb.shape[1], size=count)]
    else:
        b = (a + rng.integers(1, n, size=count)) % n
    lam = rng.beta(alpha, alpha, size=count)
    new_vals = lam[:, None] * t.values[a] + (1 - lam[:, None]) * t.values[b]
    new_y = lam * yf[a] + (1 - lam) * yf[b]
    X_new = _mix_other_columns(t, a, b, lam < 0.5)
    X_new = t.replace_numeric(X_new, new_vals)
    return t.finish(X_new, include_original), _finish_y(
        yf, new_y, is_series, name, include_original, True
    )


# ---------------------------------------------------------------------- evaluation
@dataclass
class AugmentationComparison:
    """Held-out score of a model trained without and with augmentation.

    Attributes
    ----------
    metric : str
    baseline, augmented : ndarray of shape (n_repeats,)
        Scores per repeat (higher is better for every metric used here).
    n_train, n_train_augmented : int
    """

    metric: str
    baseline: np.ndarray
    augmented: np.ndarray
    n_train: int
    n_train_augmented: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def difference(self) -> float:
        """Mean augmented score minus mean baseline score (positive = augmentation helped)."""
        return float(np.mean(self.augmented) - np.mean(self.baseline))

    def to_frame(self) -> pd.DataFrame:
        """One row per setting with mean and standard deviation over repeats."""
        return pd.DataFrame(
            {
                "setting": ["without augmentation", "with augmentation"],
                "train_rows": [self.n_train, self.n_train_augmented],
                f"{self.metric}_mean": [
                    float(np.mean(self.baseline)),
                    float(np.mean(self.augmented)),
                ],
                f"{self.metric}_std": [float(np.std(self.baseline)), float(np.std(self.augmented))],
            }
        )

    def __str__(self) -> str:
        sign = "+" if self.difference >= 0 else ""
        return (
            f"{self.metric}: {np.mean(self.baseline):.4f} without, {np.mean(self.augmented):.4f} "
            f"with augmentation ({sign}{self.difference:.4f}) over {len(self.baseline)} repeats"
        )


def _call_augment(augment: Callable[..., Any], X: Any, y: Any, seed: int) -> tuple[Any, Any]:
    try:
        params = inspect.signature(augment).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if "seed" in params:
        out = augment(X, y, seed=seed)
    elif "random_state" in params:  # user functions written for the old name
        out = augment(X, y, random_state=seed)
    else:
        out = augment(X, y)
    if not isinstance(out, tuple) or len(out) != 2:
        raise LabelwiseError("augment must return (X_augmented, y_augmented)")
    return out


def compare_augmentation(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    augment: Callable[..., tuple[Any, Any]],
    metric: str | Callable[[Any, Any], float] | None = None,
    n_repeats: int = 3,
    seed: Any = None,
    random_state: Any = None,
) -> AugmentationComparison:
    """Train ``model`` with and without ``augment`` and score both on the held-out rows.

    Parameters
    ----------
    model : scikit-learn estimator
        Cloned for every fit; its ``random_state`` (if any) is set per repeat, the same
        for both settings, so only the training data differs.
    X_train, y_train, X_test, y_test
        The held-out rows are never augmented or trained on.
    augment : callable
        ``augment(X, y[, seed=...]) -> (X_aug, y_aug)``, e.g.
        ``functools.partial(gaussian_noise, scale=0.05)``.
    metric : {"accuracy", "macro_f1", "r2", "neg_mae"} or callable, optional
        Default: accuracy for classifiers, R^2 for regressors. A callable gets
        ``(y_true, y_pred)``; higher must be better.
    n_repeats : int, default 3

    Examples
    --------
    >>> from functools import partial
    >>> from sklearn.linear_model import Ridge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 3)); y = X @ [1.0, 2.0, 0.0] + rng.normal(0, 0.1, 80)
    >>> res = compare_augmentation(Ridge(), X[:60], y[:60], X[60:], y[60:],
    ...                            augment=partial(gaussian_noise, scale=0.01), seed=0)
    >>> res.metric, res.n_train_augmented
    ('r2', 120)
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="compare_augmentation()"
    )
    from sklearn.base import clone, is_classifier
    from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score

    if int(n_repeats) < 1:
        raise LabelwiseError(f"n_repeats={n_repeats} must be at least 1")
    if metric is None:
        metric = "accuracy" if is_classifier(model) else "r2"
    if callable(metric):
        score_fn, metric_name = metric, getattr(metric, "__name__", "score")
    else:
        metric_name = metric
        table: dict[str, Callable[[Any, Any], float]] = {
            "accuracy": accuracy_score,
            "macro_f1": lambda a, b: f1_score(a, b, average="macro"),
            "r2": r2_score,
            "neg_mae": lambda a, b: -mean_absolute_error(a, b),
        }
        if metric not in table:
            raise LabelwiseError(
                f"metric={metric!r} is not supported; use {sorted(table)} or a callable"
            )
        score_fn = table[metric]
    rng = np.random.default_rng(seed)
    base_scores, aug_scores = [], []
    n_aug = 0
    for _ in range(int(n_repeats)):
        seed = int(rng.integers(2**31 - 1))
        m0 = clone(model)
        if "random_state" in m0.get_params():
            m0.set_params(random_state=seed)
        m1 = clone(m0)
        base_scores.append(float(score_fn(y_test, m0.fit(X_train, y_train).predict(X_test))))
        Xa, ya = _call_augment(augment, X_train, y_train, seed)
        n_aug = len(Xa)
        aug_scores.append(float(score_fn(y_test, m1.fit(Xa, ya).predict(X_test))))
    return AugmentationComparison(
        metric=metric_name,
        baseline=np.asarray(base_scores),
        augmented=np.asarray(aug_scores),
        n_train=len(X_train),
        n_train_augmented=n_aug,
        details={
            "model": type(model).__name__,
            "augment": getattr(augment, "__name__", repr(augment)),
        },
    )
