"""The curated public surface: __all__ lists exist, import is light, doctests pass."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

PACKAGES = ["labelwise", "labelwise.labeling", "labelwise.models", "labelwise.reports"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    assert module.__all__, f"{name} has an empty __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"


def test_import_is_light():
    """`import labelwise` must not drag in pandas, torch, cv2 or the web stack."""
    code = (
        "import sys, labelwise, labelwise.labeling, labelwise.models; "
        "heavy = [m for m in ('pandas', 'torch', 'cv2', 'fastapi', 'sklearn', 'matplotlib') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


@pytest.mark.parametrize(
    "module",
    [
        "labelwise.labeling.space",
        "labelwise.labeling.lf",
        "labelwise.labeling.matrix",
        "labelwise.labeling.analysis",
        "labelwise.labeling.apply.pandas",
        "labelwise.reports",
    ],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
