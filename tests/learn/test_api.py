"""The public surface of labelwise.learn and the weight of importing it."""

from __future__ import annotations

import subprocess
import sys

import labelwise.learn as learn


def test_all_names_exist_and_are_documented() -> None:
    assert len(learn.__all__) == len(set(learn.__all__))
    assert sorted(learn.__all__) == learn.__all__
    for name in learn.__all__:
        obj = getattr(learn, name)
        assert obj.__doc__, f"{name} has no docstring"
        # result containers are shown in the examples of the functions returning them
        if name not in {"AnnotatorReliability", "KSelection"}:
            assert "Example" in (obj.__doc__ or ""), f"{name} has no example"


def test_importing_learn_does_not_import_heavy_packages() -> None:
    code = (
        "import sys, labelwise, labelwise.learn, labelwise.tabular.augment, "
        "labelwise.models.multilabel, labelwise.models.hierarchy; "
        "print(','.join(m for m in ('sklearn', 'matplotlib', 'scipy.spatial', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
