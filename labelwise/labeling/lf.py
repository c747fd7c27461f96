"""Labeling functions: row-wise (Snorkel-compatible) and vectorized.

A *row-wise* labeling function takes one item ``x`` and returns a class index or
``ABSTAIN``. When its source shows it only reads fields (``x.column``, ``x["column"]``)
it gets a light :class:`Row`; otherwise (``x.name``, ``x.isna()``, ``x.to_dict()``,
passing ``x`` on, unreadable source) it gets the ``pandas.Series`` Snorkel passes, with
``x.name`` the row label -- so Snorkel users' functions run unchanged and give the same
matrix (see :func:`needs_full_row`).

A *vectorized* labeling function takes the whole ``DataFrame`` and returns an array of
votes, one per row; most rules (thresholds, ranges, membership, keywords) need no per-row
Python at all. The helpers at the bottom build them, and each also knows how to vote on a
single row, so every applier gives the same label matrix for the same rules.
"""

from __future__ import annotations

import operator
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labelwise.errors import RuleError
from labelwise.labeling.space import ABSTAIN

if TYPE_CHECKING:  # pandas is imported lazily: `import labelwise` stays light
    import pandas as pd

__all__ = [
    "LabelingFunction",
    "Row",
    "VectorizedLabelingFunction",
    "as_labeling_function",
    "as_labeling_functions",
    "in_range",
    "is_in",
    "keyword",
    "labeling_function",
    "needs_full_row",
    "regex",
    "threshold",
    "vectorized_labeling_function",
]


class Row(dict):
    """One item: a dict whose keys are also attributes (``x.age`` and ``x["age"]``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"item has no field {name!r}; fields: {sorted(self)[:20]}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def copy(self) -> Row:
        """A shallow copy that is still a :class:`Row`."""
        return Row(self)


_SERIES_NAMES: frozenset[str] | None = None


def _series_names() -> frozenset[str]:
    """Attribute names of ``pandas.Series`` (``x.name``, ``x.count``, ``x.isna`` ...)."""
    global _SERIES_NAMES
    if _SERIES_NAMES is None:
        import pandas as pd

        _SERIES_NAMES = frozenset(dir(pd.Series))
    return _SERIES_NAMES


def _function_node(f: Callable[..., Any]) -> Any:
    """The ``def``/``lambda`` AST node of ``f``, or None when its source is unavailable."""
    import ast
    import inspect
    import textwrap

    code = getattr(f, "__code__", None)
    if code is None:
        return None
    try:
        src = textwrap.dedent(inspect.getsource(f))
    except (OSError, TypeError):
        return None
    tree: ast.AST
    try:
        tree = ast.parse(src)
    except SyntaxError:
        # A lambda inside a larger expression: parse from the lambda keyword on.
        start = src.find("lambda")
        if start < 0:
            return None
        for end in range(len(src), start, -1):
            try:
                tree = ast.parse(src[start:end].strip().rstrip(",)"), mode="eval")
                break
            except SyntaxError:
                continue
        else:
            return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            return node
        if isinstance(node, ast.Lambda) and code.co_name == "<lambda>":
            return node
    return None


def needs_full_row(f: Callable[..., Any]) -> bool:
    """True unless ``f`` provably uses its item argument only for field access.

    Field access is ``x.field`` (a name that is not a ``pandas.Series`` attribute),
    ``x["field"]`` with a constant key, assigning ``x.field = ...`` and ``return x``.
    Anything else -- ``x.name``, ``x.isna()``, ``x.values``, ``len(x)``, passing ``x`` on
    -- needs the real ``pandas.Series`` Snorkel passes. Unreadable source counts as
    needing it (the safe side).

    Examples
    --------
    >>> def fields(x):
    ...     return 1 if x.age > 60 and x["sex"] == "F" else -1
    >>> def series(x):
    ...     return 1 if x.isna().any() else -1
    >>> needs_full_row(fields), needs_full_row(series)
    (False, True)
    """
    import ast

    node = _function_node(f)
    if node is None or not node.args.args:
        return True
    arg = node.args.args[0].arg
    series = _series_names()
    parents: dict[int, Any] = {}
    for parent in ast.walk(node):
        for child in ast.iter_child_nodes(parent):
            parents[id(child)] = parent
    for sub in ast.walk(node):
        if not (isinstance(sub, ast.Name) and sub.id == arg):
            continue
        if isinstance(sub.ctx, ast.Store):
            return True  # rebinding x: cannot follow
        up = parents.get(id(sub))
        if isinstance(up, ast.Attribute) and up.value is sub:
            if up.attr in series:
                return True
            continue
        if isinstance(up, ast.Subscript) and up.value is sub:
            key = up.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                continue
            return True
        if isinstance(up, ast.Return):
            continue
        return True
    return False


class LabelingFunction:
    """A named row-wise labeling function with optional resources and preprocessors.

    Parameters
    ----------
    name : str
        Unique name; it names the column of the label matrix.
    f : callable
        ``f(x, **resources) -> int``.
    resources : mapping, optional
        Keyword arguments passed to ``f`` on every call (lexicons, models).
    pre : sequence of callables, optional
        Each maps ``x`` to a (possibly new) ``x`` before ``f`` sees it.

    Examples
    --------
    >>> lf = LabelingFunction("long", lambda x: 1 if len(x.text) > 5 else -1)
    >>> lf(Row(text="a long text"))
    1
    """

    vectorized = False

    def __init__(
        self,
        name: str,
        f: Callable[..., Any],
        *,
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise RuleError(f"a labeling function needs a non-empty string name, got {name!r}")
        self.name = name
        self._f = f
        self._resources = dict(resources or {})
        self._pre = list(pre or [])

    def __call__(self, x: Any) -> Any:
        for p in self._pre:
            x = p(x)
        return self._f(x, **self._resources)

    @property
    def needs_full_row(self) -> bool:
        """True when the function (or a preprocessor) needs a real ``pandas.Series`` row
        (see :func:`needs_full_row`); False when field access on a light row is enough."""
        cached = self.__dict__.get("_needs_full_row")
        if cached is None:
            funcs = [self._f, *(getattr(p, "_f", p) for p in self._pre)]
            cached = any(needs_full_row(f) for f in funcs)
            self.__dict__["_needs_full_row"] = cached
        return bool(cached)

    def __repr__(self) -> str:
        return f"LabelingFunction({self.name!r})"


class VectorizedLabelingFunction:
    """A labeling function over a whole table: ``f(df) -> votes`` of length ``len(df)``.

    Parameters
    ----------
    name : str
        Unique name.
    f : callable
        ``f(df, **resources)`` returning an array-like of integer votes.
    columns : sequence of str, optional
        The columns ``f`` reads; checked before the call so a typo fails clearly.
    row_f : callable, optional
        The same rule on one item (``row_f(x, **resources) -> int``), used when a row-wise
        applier is asked to run everything per row.

    Examples
    --------
    >>> import pandas as pd
    >>> lf = VectorizedLabelingFunction("adult", lambda df: (df.age >= 18).astype(int))
    >>> lf.apply_frame(pd.DataFrame({"age": [10, 40]})).tolist()
    [0, 1]
    """

    vectorized = True

    def __init__(
        self,
        name: str,
        f: Callable[..., Any],
        *,
        columns: Sequence[str] | None = None,
        resources: Mapping[str, Any] | None = None,
        row_f: Callable[..., Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise RuleError(f"a labeling function needs a non-empty string name, got {name!r}")
        self.name = name
        self._f = f
        self.columns = list(columns) if columns is not None else None
        self._resources = dict(resources or {})
        self._row_f = row_f

    def apply_frame(self, df: pd.DataFrame) -> np.ndarray:
        """Votes for every row of ``df`` (validated length; values checked by the applier)."""
        if self.columns is not None:
            missing = [c for c in self.columns if c not in df.columns]
            if missing:
                raise RuleError(
                    f"labeling function {self.name!r} reads columns {missing} that the data "
                    f"does not have; available: {list(df.columns)[:30]}"
                )
        out = self._f(df, **self._resources)
        votes = np.asarray(out)
        if votes.ndim != 1 or len(votes) != len(df):
            raise RuleError(
                f"vectorized labeling function {self.name!r} returned shape {votes.shape} "
                f"for {len(df)} rows; return one vote per row"
            )
        return votes

    @property
    def has_row_form(self) -> bool:
        return self._row_f is not None

    def __call__(self, x: Any) -> Any:
        if self._row_f is None:
            raise RuleError(
                f"vectorized labeling function {self.name!r} has no row-wise form; "
                "apply it with LFApplier (vectorized) or pass row_f="
            )
        return self._row_f(x, **self._resources)

    def __repr__(self) -> str:
        return f"VectorizedLabelingFunction({self.name!r})"


def labeling_function(
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Decorator: turn ``f(x) -> int`` into a :class:`LabelingFunction` (Snorkel's signature).

    Examples
    --------
    >>> @labeling_function()
    ... def lf_has_check(x):
    ...     return 1 if "check" in x.text.lower() else ABSTAIN
    >>> lf_has_check.name
    'lf_has_check'
    """

    def decorator(f: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(name or f.__name__, f, resources=resources, pre=pre)

    return decorator


def vectorized_labeling_function(
    name: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], VectorizedLabelingFunction]:
    """Decorator: turn ``f(df) -> votes`` into a :class:`VectorizedLabelingFunction`."""

    def decorator(f: Callable[..., Any]) -> VectorizedLabelingFunction:
        return VectorizedLabelingFunction(
            name or f.__name__, f, columns=columns, resources=resources
        )

    return decorator


LFLike = LabelingFunction | VectorizedLabelingFunction


def as_labeling_function(obj: Any) -> LFLike:
    """Accept our labeling functions, Snorkel ``LabelingFunction`` objects (duck-typed: a
    ``name`` and ``__call__``), or plain callables (named after ``__name__``)."""
    if isinstance(obj, (LabelingFunction, VectorizedLabelingFunction)):
        return obj
    if callable(obj):
        name = getattr(obj, "name", None) or getattr(obj, "__name__", None)
        if not isinstance(name, str) or not name or name == "<lambda>":
            raise RuleError(
                f"cannot name labeling function {obj!r}; wrap it with "
                "LabelingFunction('a_name', f) or use @labeling_function()"
            )
        return LabelingFunction(name, obj)
    raise RuleError(
        f"{obj!r} ({type(obj).__name__}) is not a labeling function; expected a callable, "
        "@labeling_function or a vectorized labeling function"
    )


def as_labeling_functions(lfs: Iterable[Any]) -> list[LFLike]:
    """Normalize a list of labeling functions and check that names are unique."""
    out = [as_labeling_function(lf) for lf in lfs]
    if not out:
        raise RuleError("no labeling functions were given; pass at least one")
    seen: dict[str, int] = {}
    for lf in out:
        seen[lf.name] = seen.get(lf.name, 0) + 1
    dups = sorted(n for n, c in seen.items() if c > 1)
    if dups:
        raise RuleError(
            f"labeling function names must be unique; repeated: {dups}. "
            "Give each rule its own name (name=...)"
        )
    return out


# ----------------------------------------------------------------------------- helpers

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN
    except TypeError:  # pandas.NA
        return True


def _numeric_column(df: pd.DataFrame, column: str, rule: str) -> pd.Series:
    """``df[column]`` as numbers; a column that holds mostly non-numbers is an error (a
    numeric comparison on text would silently abstain everywhere)."""
    import pandas as pd

    raw = df[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw
    col = pd.to_numeric(raw, errors="coerce")
    present = raw.notna().to_numpy()
    bad = present & col.isna().to_numpy()
    if present.any() and bad.sum() > 0.5 * present.sum():
        example = raw[bad].iloc[0]
        raise RuleError(
            f"{rule} compares column {column!r} with a number, but {bad.sum():,} of its "
            f"{present.sum():,} values are not numbers (e.g. {example!r}, dtype {raw.dtype}); "
            "pick a numeric column, convert it first, or use keyword()/regex()/is_in() for text"
        )
    return col


def _vote_where(mask: Any, label: int) -> np.ndarray:
    m = np.asarray(mask, dtype=bool)
    return np.where(m, np.int8(label), np.int8(ABSTAIN)).astype(np.int32)


def threshold(
    column: str, op: str, value: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """Vote ``label`` where ``df[column] <op> value`` (op one of > >= < <= == !=).

    Missing values abstain.

    Examples
    --------
    >>> import pandas as pd
    >>> threshold("age", ">=", 65, 1).apply_frame(pd.DataFrame({"age": [70, 20]})).tolist()
    [1, -1]
    """
    if op not in _OPS:
        raise RuleError(f"threshold op {op!r} is not one of {sorted(_OPS)}")
    fn = _OPS[op]

    rule_name = name or f"{column}{op}{value}"

    def vec(df: pd.DataFrame) -> np.ndarray:
        col = _numeric_column(df, column, f"threshold rule {rule_name!r}")
        # NaN != value is True in pandas; missing values abstain, as in the row form.
        return _vote_where(fn(col, value).to_numpy(dtype=bool) & col.notna().to_numpy(), label)

    def row(x: Any) -> int:
        v = x[column]
        if _is_missing(v):
            return ABSTAIN
        try:
            return label if fn(float(v), value) else ABSTAIN
        except (TypeError, ValueError):
            return ABSTAIN

    return VectorizedLabelingFunction(rule_name, vec, columns=[column], row_f=row)


def in_range(
    column: str,
    low: float,
    high: float,
    label: int,
    *,
    inclusive: str = "both",
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote ``label`` where ``low <= df[column] <= high`` (``inclusive``: both/left/right/neither)."""
    lo_op = operator.ge if inclusive in ("both", "left") else operator.gt
    hi_op = operator.le if inclusive in ("both", "right") else operator.lt
    if inclusive not in ("both", "left", "right", "neither"):
        raise RuleError(f"inclusive must be both/left/right/neither, got {inclusive!r}")

    rule_name = name or f"{column}_in_{low}_{high}"

    def vec(df: pd.DataFrame) -> np.ndarray:
        col = _numeric_column(df, column, f"in_range rule {rule_name!r}")
        return _vote_where((lo_op(col, low) & hi_op(col, high)).to_numpy(dtype=bool), label)

    def row(x: Any) -> int:
        v = x[column]
        if _is_missing(v):
            return ABSTAIN
        try:
            f = float(v)
        except (TypeError, ValueError):
            return ABSTAIN
        return label if lo_op(f, low) and hi_op(f, high) else ABSTAIN

    return VectorizedLabelingFunction(rule_name, vec, columns=[column], row_f=row)


def is_in(
    column: str, values: Iterable[Any], label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """Vote ``label`` where ``df[column]`` is one of ``values``."""
    allowed = list(values)
    allowed_set = set(allowed)

    def vec(df: pd.DataFrame) -> np.ndarray:

        return _vote_where(df[column].isin(allowed).to_numpy(), label)

    def row(x: Any) -> int:
        v = x[column]
        try:
            return label if v in allowed_set else ABSTAIN
        except TypeError:
            return ABSTAIN

    return VectorizedLabelingFunction(name or f"{column}_in_set", vec, columns=[column], row_f=row)


def _string_mask(col: Any, test: Callable[[Any], Any]) -> np.ndarray:
    """``test`` over the string cells of ``col`` (a boolean array; non-strings are False).

    String-dtype columns (the pandas 3 default) use pandas' vectorized ``.str`` methods;
    object columns with mixed types are filtered to real strings first.
    """
    import pandas as pd

    if isinstance(col.dtype, pd.StringDtype):
        return np.asarray(test(col.str).fillna(False), dtype=bool)
    is_str = col.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_str.any():
        return is_str
    strs = col.where(is_str, "").astype(str)
    return np.asarray(test(strs.str), dtype=bool) & is_str


def regex(
    column: str,
    pattern: str,
    label: int,
    *,
    case: bool = False,
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote ``label`` where the text in ``column`` matches the regular expression ``pattern``.

    Matching uses Python's :func:`re.search` semantics in both forms; non-string cells
    abstain. ``case=False`` ignores case.

    Examples
    --------
    >>> import pandas as pd
    >>> lf = regex("text", r"\\bwin(ner)?\\b", 1)
    >>> lf.apply_frame(pd.DataFrame({"text": ["You are a WINNER", "window", None]})).tolist()
    [1, -1, -1]
    """
    flags = 0 if case else re.IGNORECASE
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise RuleError(f"regex {pattern!r} does not compile: {exc}") from None

    def vec(df: pd.DataFrame) -> np.ndarray:
        # A compiled pattern makes pandas use Python's re (not pyarrow's RE2), so the
        # vectorized and row forms agree on every pattern.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="This pattern is interpreted")
            mask = _string_mask(df[column], lambda s: s.contains(compiled, regex=True))
        return _vote_where(mask, label)

    def row(x: Any) -> int:
        v = x[column]
        return label if isinstance(v, str) and compiled.search(v) is not None else ABSTAIN

    return VectorizedLabelingFunction(
        name or f"{column}_re_{pattern[:20]}", vec, columns=[column], row_f=row
    )


def keyword(
    column: str,
    words: str | Iterable[str],
    label: int,
    *,
    case: bool = False,
    word_boundary: bool = True,
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote ``label`` where the text contains any of ``words``.

    With ``word_boundary=True`` (default) ``"free"`` matches ``"free entry"`` but not
    ``"freedom"``; with ``False`` it is a plain substring test (fastest).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["FREE entry", "freedom", 3]})
    >>> keyword("text", "free", 1).apply_frame(df).tolist()
    [1, -1, -1]
    >>> keyword("text", "free", 1, word_boundary=False).apply_frame(df).tolist()
    [1, 1, -1]
    """
    word_list = [words] if isinstance(words, str) else list(words)
    if not word_list or not all(isinstance(w, str) and w for w in word_list):
        raise RuleError(f"keyword() needs non-empty strings, got {word_list!r}")
    lf_name = name or f"{column}_kw_{word_list[0]}"
    if word_boundary:
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in word_list) + r")\b"
        return regex(column, pattern, label, case=case, name=lf_name)
    needles = word_list if case else [w.lower() for w in word_list]

    def vec(df: pd.DataFrame) -> np.ndarray:
        def test(s: Any) -> Any:
            hits = None
            for w in needles:
                hit = s.contains(w, case=case, regex=False)
                hits = hit if hits is None else (hits | hit)
            return hits

        return _vote_where(_string_mask(df[column], test), label)

    def row(x: Any) -> int:
        v = x[column]
        if not isinstance(v, str):
            return ABSTAIN
        s = v if case else v.lower()
        return label if any(w in s for w in needles) else ABSTAIN

    return VectorizedLabelingFunction(lf_name, vec, columns=[column], row_f=row)
