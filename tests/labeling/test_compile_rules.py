"""Compiled row-wise rules give exactly the row-wise matrix (property tests)."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest

from labelwise.labeling import LFApplier, labeling_function
from labelwise.labeling.compile import compile_rule

WORDS = ["free", "Check out", "hello", "WIN", "ok", "", "call 555", "abc", "zz top"]


def make_frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    text = [" ".join(rng.choice(WORDS, size=rng.integers(0, 4))) for _ in range(n)]
    mixed: list[object] = [t if rng.random() > 0.1 else None for t in text]
    f = rng.normal(size=n) * 10
    f[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "n": rng.integers(-5, 20, n),
            "f": f,
            "t": text,
            "c": rng.choice(["a", "b", "c"], n),
            "m": mixed,
        },
        index=rng.permutation(n) + 1000,
    )


def random_condition(rng: np.random.Generator, depth: int = 0) -> str:
    if depth < 2 and rng.random() < 0.35:
        op = rng.choice(["and", "or"])
        return f"({random_condition(rng, depth + 1)} {op} {random_condition(rng, depth + 1)})"
    if depth < 2 and rng.random() < 0.1:
        return f"not {random_condition(rng, depth + 1)}"
    word = str(rng.choice(["free", "check", "win", "ok", "55", "o"]))
    cmp = str(rng.choice(["<", "<=", ">", ">=", "==", "!="]))
    atoms = [
        f"x.n {cmp} {int(rng.integers(-3, 15))}",
        f"x.f {cmp} {float(rng.normal()):.3f}",
        f'"{word}" in x.t.lower()',
        f'x.t.lower().startswith("{word[:2]}")',
        f"len(x.t) {cmp} {int(rng.integers(0, 20))}",
        'x.c in ("a", "b")',
        f'x["c"] == "{rng.choice(["a", "c"])}"',
        f're.search(r"{word}", x.t, flags=re.I)',
        f"x.n + x.f {cmp} {int(rng.integers(-5, 20))}",
        f"x.n * 2 - 3 {cmp} x.n",
        f'"{word}" in x.m',  # None on some rows: the row-wise rule raises there
        f'x.t {cmp} "hello"',
        "x.t.isupper()",
        "x.c not in KEYWORDS",
    ]
    return atoms[int(rng.integers(0, len(atoms)))]


def random_rule(rng: np.random.Generator, i: int) -> str:
    a, b = (int(v) for v in rng.choice([-1, 0, 1, 2], size=2, replace=False))
    if rng.random() < 0.5:
        return f"@labeling_function()\ndef r{i}(x):\n    return {a} if {random_condition(rng)} else {b}\n"
    lines = [f"@labeling_function()\ndef r{i}(x):", '    """A generated rule."""']
    for v in rng.choice([0, 1, 2], size=int(rng.integers(1, 3)), replace=False):
        lines.append(f"    if {random_condition(rng)}:\n        return {int(v)}")
    lines.append(f"    return {b}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    rng = np.random.default_rng(7)
    src = [
        "import re",
        "from labelwise.labeling import labeling_function",
        'KEYWORDS = {"b", "z"}',
        "",
    ]
    src += [random_rule(rng, i) for i in range(240)]
    path = tmp_path_factory.mktemp("rules") / "generated_rules.py"
    path.write_text("\n".join(src))
    spec = importlib.util.spec_from_file_location("generated_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [getattr(module, f"r{i}") for i in range(240)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_matrix_equals_rowwise(generated, seed):
    df = make_frame(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = LFApplier(generated, cardinality=3).apply(df)
        slow = LFApplier(generated, cardinality=3).apply(df, compile_rules=False)
    np.testing.assert_array_equal(fast.values, slow.values)
    assert (
        fast.provenance[generated[0].name]["faults"] == slow.provenance[generated[0].name]["faults"]
    )
    compiled = [lf.name for lf in generated if fast.provenance[lf.name].get("compiled")]
    # Most generated rules compile; those on the column with None fall back.
    assert len(compiled) > 0.5 * len(generated)
    assert any(not fast.provenance[lf.name]["compiled"] for lf in generated)
    for lf in generated:
        assert fast.provenance[lf.name]["faults"] == slow.provenance[lf.name]["faults"]


def test_unsupported_bodies_fall_back():
    @labeling_function()
    def loop(x):
        for w in ("a", "b"):
            if w in x.t:
                return 1
        return -1

    @labeling_function()
    def uses_series(x):
        return 1 if x.isna().any() else -1

    @labeling_function()
    def simple(x):
        return 1 if x.n > 3 else -1

    assert compile_rule(loop) is None and compile_rule(uses_series) is None
    assert compile_rule(simple) is not None
    df = make_frame(3, 50)
    L = LFApplier([loop, uses_series, simple], cardinality=2).apply(df)
    assert [L.provenance[n]["compiled"] for n in ("loop", "uses_series", "simple")] == [
        False,
        False,
        True,
    ]
    assert L["simple"].tolist() == [1 if v > 3 else -1 for v in df.n]
