"""The curated public surface: __all__ lists exist and import is light.

Docstring examples run as part of the suite (pytest --doctest-modules over labelwise/).
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "labelwise",
    "labelwise.labeling",
    "labelwise.models",
    "labelwise.reports",
    "labelwise.learn",
    "labelwise.tabular",
    "labelwise.text",
    "labelwise.embed",
    "labelwise.llm",
    "labelwise.image",
    "labelwise.video",
    "labelwise.formats",
    "labelwise.app",
]


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
