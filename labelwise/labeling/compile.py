"""Compile ordinary row-wise rules to vectorized code (no per-row Python).

A Snorkel-style rule such as::

    @labeling_function()
    def check_out(x):
        return SPAM if "check out" in x.text.lower() else ABSTAIN

is read from its source (AST) and translated into pandas/numpy operations over whole
columns: comparisons, ``and``/``or``/``not``, ``in`` over strings and constant sets,
``str`` methods (``lower``, ``upper``, ``strip``, ``startswith``, ``endswith``), ``len``,
``re.search``/``re.match``, ``+``/``-``/``*`` on fields, and constants or module-level names
(``SPAM``, keyword sets) and resources. The body may be ``return A if cond else B``
(nested) or a chain of ``if cond: return A`` ending in ``return B``.

The translation only runs when its result is certain to equal the row-wise one: text
operations need a column of strings only (a ``None`` would make the row-wise rule raise
on that row), numeric comparisons a numeric column. Otherwise -- or for any construct not
listed -- :func:`compile_rule` returns ``None`` or the compiled function raises
:class:`NotCompilable` on that table, and the applier runs the rule row by row as before.
``LabelMatrix.provenance[name]["compiled"]`` says which path ran.

Example
-------
>>> import pandas as pd
>>> from labelwise.labeling import labeling_function
>>> @labeling_function()
... def long_text(x):
...     return 1 if len(x.text) > 5 and x.n >= 2 else -1
>>> vec = compile_rule(long_text)
>>> vec(pd.DataFrame({"text": ["hi", "hello there"], "n": [3, 3]})).tolist()
[-1, 1]
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NotCompilable", "compile_rule"]


class NotCompilable(Exception):
    """The rule (or this table) cannot be run vectorized with identical results."""


_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
_STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "casefold"}
_STR_TESTS = {"startswith", "endswith", "isdigit", "isalpha", "isupper", "islower", "isspace"}
_SCALARS = (int, float, str, bool)


class _Val:
    """A translated expression: a column (``kind`` str/num/bool) or a scalar."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: Any) -> None:
        self.kind = kind  # "str" | "num" | "bool" | "any" | "scalar"
        self.value = value


def _resolve(name: str, f: Callable[..., Any], resources: dict[str, Any]) -> Any:
    if name in resources:
        return resources[name]
    code = f.__code__
    if code.co_freevars and f.__closure__:
        cells = dict(zip(code.co_freevars, f.__closure__, strict=True))
        if name in cells:
            return cells[name].cell_contents
    glb = f.__globals__
    if name in glb:
        return glb[name]
    import builtins

    if hasattr(builtins, name):
        return getattr(builtins, name)
    raise NotCompilable(f"unknown name {name!r}")


def _constant_value(v: Any) -> bool:
    if isinstance(v, _SCALARS) or v is None:
        return True
    if isinstance(v, (set, frozenset, tuple, list)):
        return all(isinstance(e, _SCALARS) for e in v)
    return False


class _Translator:
    def __init__(self, f: Callable[..., Any], arg: str, resources: dict[str, Any], df: Any):
        self.f, self.arg, self.resources, self.df = f, arg, resources, df

    # ---------------------------------------------------------------- leaves
    def column(self, name: str) -> _Val:
        import pandas as pd

        if name not in self.df.columns:
            raise NotCompilable(f"no column {name!r}")  # row-wise raises per row
        col = self.df[name]
        if pd.api.types.is_bool_dtype(col.dtype):
            return _Val("bool", col)
        if pd.api.types.is_numeric_dtype(col.dtype):
            return _Val("num", col)
        if not col.isna().any() and pd.api.types.infer_dtype(col, skipna=False) == "string":
            return _Val("str", col.astype(object))
        return _Val("any", col)

    def scalar(self, node: ast.AST) -> Any:
        v = self.expr(node)
        if v.kind != "scalar":
            raise NotCompilable("expected a constant")
        return v.value

    # ---------------------------------------------------------------- expressions
    def expr(self, node: ast.AST) -> _Val:
        if isinstance(node, ast.Constant):
            if not _constant_value(node.value):
                raise NotCompilable("constant type")
            return _Val("scalar", node.value)
        if isinstance(node, ast.Name):
            if node.id == self.arg:
                raise NotCompilable("the row itself")
            v = _resolve(node.id, self.f, self.resources)
            if not _constant_value(v):
                raise NotCompilable(f"name {node.id!r} is not a constant")
            return _Val("scalar", v)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return _Val("scalar", tuple(self.scalar(e) for e in node.elts))
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == self.arg:
                return self.column(node.attr)
            raise NotCompilable("attribute")
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Name) and node.value.id == self.arg:
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    return self.column(key.value)
            raise NotCompilable("subscript")
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(v) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return _Val("bool", out)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _Val("bool", ~self.truth(node.operand))
            if isinstance(node.op, ast.USub):
                v = self.expr(node.operand)
                if v.kind in ("num", "scalar"):
                    return _Val(v.kind, -v.value)
            raise NotCompilable("unary operator")
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BinOp):
            op = _ARITH.get(type(node.op))
            left, right = self.expr(node.left), self.expr(node.right)
            if op is None:
                raise NotCompilable("operator")
            if left.kind == "scalar" and right.kind == "scalar":
                return _Val("scalar", op(left.value, right.value))
            if {left.kind, right.kind} <= {"num", "scalar"} and all(
                v.kind == "num" or isinstance(v.value, (int, float)) for v in (left, right)
            ):
                return _Val("num", op(left.value, right.value))
            raise NotCompilable("arithmetic on non-numbers")
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.IfExp):
            raise NotCompilable("nested conditional expression")
        raise NotCompilable(type(node).__name__)

    def truth(self, node: ast.AST) -> Any:
        v = self.expr(node)
        if v.kind == "bool":
            return np.asarray(v.value, dtype=bool)
        if v.kind == "scalar":
            return np.full(len(self.df), bool(v.value))
        if v.kind == "str":
            return np.asarray(v.value.str.len() > 0, dtype=bool)
        raise NotCompilable("truth value of a non-boolean column")

    def compare(self, node: ast.Compare) -> _Val:
        result = None
        left = self.expr(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.expr(right_node)
            part = self.compare_one(op, left, right)
            result = part if result is None else (result & part)
            left = right
        return _Val("bool", result)

    def compare_one(self, op: ast.cmpop, left: _Val, right: _Val) -> Any:
        if isinstance(op, (ast.In, ast.NotIn)):
            if right.kind == "str" and left.kind == "scalar" and isinstance(left.value, str):
                hit = np.asarray(right.value.str.contains(left.value, regex=False), dtype=bool)
            elif left.kind in ("str", "num", "bool") and right.kind == "scalar":
                values = right.value
                if isinstance(values, str):
                    if left.kind != "str":
                        raise NotCompilable("'in' a string needs text")
                    hit = np.asarray(left.value.map(values.__contains__), dtype=bool)
                elif isinstance(values, (tuple, set, frozenset, list)):
                    hit = np.asarray(left.value.isin(list(values)), dtype=bool)
                else:
                    raise NotCompilable("'in' over this value")
            else:
                raise NotCompilable("'in' operands")
            return ~hit if isinstance(op, ast.NotIn) else hit
        fn = _CMP.get(type(op))
        if fn is None:
            raise NotCompilable("comparison operator")
        kinds = {left.kind, right.kind}
        if "any" in kinds:
            raise NotCompilable("comparison on a mixed-type column")
        if isinstance(op, (ast.Eq, ast.NotEq)):
            if kinds == {"scalar"}:
                return np.full(len(self.df), fn(left.value, right.value))
            return np.asarray(fn(left.value, right.value), dtype=bool)

        # Ordering: both sides numbers, or both text.
        def is_num(v: _Val) -> bool:
            return v.kind in ("num", "bool") or (
                v.kind == "scalar" and isinstance(v.value, (int, float))
            )

        def is_str(v: _Val) -> bool:
            return v.kind == "str" or (v.kind == "scalar" and isinstance(v.value, str))

        if (is_num(left) and is_num(right)) or (is_str(left) and is_str(right)):
            if kinds == {"scalar"}:
                return np.full(len(self.df), fn(left.value, right.value))
            return np.asarray(fn(left.value, right.value), dtype=bool)
        raise NotCompilable("ordering between different types")

    def call(self, node: ast.Call) -> _Val:
        func = node.func
        if node.keywords and not (
            isinstance(func, ast.Attribute) and func.attr in ("search", "match")
        ):
            raise NotCompilable("keyword arguments")
        if isinstance(func, ast.Name) and func.id == "len" and len(node.args) == 1:
            if _resolve("len", self.f, self.resources) is not len:
                raise NotCompilable("len is shadowed")
            v = self.expr(node.args[0])
            if v.kind == "str":
                return _Val("num", v.value.str.len())
            raise NotCompilable("len of a non-text column")
        if isinstance(func, ast.Attribute):
            # re.search(pattern, text[, flags]) / re.match
            if (
                isinstance(func.value, ast.Name)
                and func.attr in ("search", "match")
                and _resolve(func.value.id, self.f, self.resources) is re
            ):
                return self.regex(node, func.attr)
            target = self.expr(func.value)
            if target.kind != "str":
                raise NotCompilable("method on a non-text column")
            args = [self.scalar(a) for a in node.args]
            if func.attr in _STR_METHODS and not args:
                return _Val("str", getattr(target.value.str, func.attr)())
            if func.attr in ("startswith", "endswith") and len(args) == 1:
                prefix = args[0]
                if isinstance(prefix, tuple) and all(isinstance(p, str) for p in prefix):
                    pass
                elif not isinstance(prefix, str):
                    raise NotCompilable("startswith argument")
                method = getattr(str, func.attr)
                return _Val("bool", np.asarray(target.value.map(lambda s: method(s, prefix)), bool))
            if func.attr in _STR_TESTS and not args:
                method = getattr(str, func.attr)
                return _Val("bool", np.asarray(target.value.map(method), dtype=bool))
            if func.attr == "count" and len(args) == 1 and isinstance(args[0], str):
                sub = args[0]
                return _Val("num", target.value.map(lambda s: s.count(sub)))
        raise NotCompilable("call")

    def regex(self, node: ast.Call, how: str) -> _Val:
        if len(node.args) < 2:
            raise NotCompilable("re call arguments")
        pattern = self.scalar(node.args[0])
        text = self.expr(node.args[1])
        flags = 0
        if len(node.args) > 2:
            flags = int(self.scalar_or_attr(node.args[2]))
        for kw in node.keywords:
            if kw.arg != "flags":
                raise NotCompilable("re keyword")
            flags = int(self.scalar_or_attr(kw.value))
        if not isinstance(pattern, str) or text.kind != "str":
            raise NotCompilable("re on a non-text column")
        compiled = re.compile(pattern, flags)
        test = compiled.search if how == "search" else compiled.match
        return _Val("bool", np.asarray(text.value.map(lambda s: test(s) is not None), bool))

    def scalar_or_attr(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            mod = _resolve(node.value.id, self.f, self.resources)
            if mod is re:
                return getattr(re, node.attr)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.scalar_or_attr(node.left) | self.scalar_or_attr(node.right)
        return self.scalar(node)


def _branches(body: list[ast.stmt]) -> list[tuple[ast.AST | None, ast.AST]]:
    """``[(condition, value), ..., (None, default)]`` from a rule body, or raise."""
    stmts = list(body)
    if (
        stmts
        and isinstance(stmts[0], ast.Expr)
        and isinstance(stmts[0].value, ast.Constant)
        and isinstance(stmts[0].value.value, str)
    ):
        stmts = stmts[1:]  # docstring
    out: list[tuple[ast.AST | None, ast.AST]] = []
    for i, st in enumerate(stmts):
        last = i == len(stmts) - 1
        if isinstance(st, ast.Return) and st.value is not None:
            out.extend(_ifexp_branches(st.value))
            if not last:
                raise NotCompilable("code after return")
            return out
        if isinstance(st, ast.If):
            if len(st.body) != 1 or not isinstance(st.body[0], ast.Return):
                raise NotCompilable("if body")
            value = st.body[0].value
            if value is None or isinstance(value, ast.IfExp):
                raise NotCompilable("if return value")
            out.append((st.test, value))
            if st.orelse:
                rest = _branches(st.orelse)
                out.extend(rest)
                if not last:
                    raise NotCompilable("code after if/else")
                return out
            continue
        raise NotCompilable(type(st).__name__)
    raise NotCompilable("no final return")


def _ifexp_branches(node: ast.AST) -> list[tuple[ast.AST | None, ast.AST]]:
    out: list[tuple[ast.AST | None, ast.AST]] = []
    while isinstance(node, ast.IfExp):
        out.append((node.test, node.body))
        node = node.orelse
    out.append((None, node))
    return out


def compile_rule(lf: Any) -> Callable[[Any], np.ndarray] | None:
    """A function ``df -> int32 votes`` equivalent to the row-wise rule ``lf``, or None
    when its body is outside the supported subset (see the module doc).

    The returned function raises :class:`NotCompilable` when a table's columns do not
    allow an identical result (then run the rule row by row).
    """
    from labelwise.labeling.lf import LabelingFunction, _function_node, needs_full_row

    if not isinstance(lf, LabelingFunction) or lf._pre:
        return None
    f = lf._f
    if needs_full_row(f):
        return None
    node = _function_node(f)
    if node is None or isinstance(node, ast.Lambda):
        if node is None:
            return None
        body: list[ast.stmt] = [ast.Return(value=node.body)]
    else:
        body = node.body
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs:
        return None
    arg = args.args[0].arg
    extra = [a.arg for a in args.args[1:]]
    resources = dict(lf._resources)
    if set(extra) != set(resources):
        return None
    try:
        branches = _branches(body)
    except NotCompilable:
        return None

    def run(df: Any) -> np.ndarray:
        tr = _Translator(f, arg, resources, df)
        n = len(df)
        conds, values = [], []
        for cond, value in branches:
            v = tr.scalar(value)
            if isinstance(v, bool) or not isinstance(v, int):
                raise NotCompilable("a vote must be an int constant")
            if cond is None:
                default = v
                break
            conds.append(tr.truth(cond))
            values.append(v)
        else:  # pragma: no cover - _branches always ends with a default
            raise NotCompilable("no default")
        if not conds:
            return np.full(n, default, dtype=np.int32)
        return np.select(conds, values, default=default).astype(np.int32)

    return run
