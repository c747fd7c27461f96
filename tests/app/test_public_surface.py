"""The app's and the formats' public names exist, and their docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labelwise.app",
    "labelwise.app.agreement",
    "labelwise.app.auth",
    "labelwise.app.matrix",
    "labelwise.app.report",
    "labelwise.app.server",
    "labelwise.app.store",
    "labelwise.formats",
    "labelwise.formats.coco",
    "labelwise.formats.conll",
    "labelwise.formats.csv",
    "labelwise.geometry",
    "labelwise.formats.jsonl",
    "labelwise.formats.label_studio",
    "labelwise.formats.registry",
    "labelwise.formats.schema",
    "labelwise.formats.voc",
    "labelwise.formats.yolo",
]


@pytest.mark.parametrize("name", ["labelwise.app", "labelwise.formats"])
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__
    assert not [n for n in module.__all__ if not hasattr(module, n)]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in ("labelwise.app.store", "labelwise.app.matrix", "labelwise.geometry"):
        assert result.attempted > 0
