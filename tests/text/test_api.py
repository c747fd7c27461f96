"""labelwise.text's public surface and its docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

import labelwise.text


def test_all_names_exist():
    missing = [n for n in labelwise.text.__all__ if not hasattr(labelwise.text, n)]
    assert not missing
    assert len(set(labelwise.text.__all__)) == len(labelwise.text.__all__)


@pytest.mark.parametrize(
    "module",
    [
        "labelwise.text",
        "labelwise.text.clean",
        "labelwise.text.tokenize",
        "labelwise.text.dedup",
        "labelwise.text.explore",
        "labelwise.text.rules",
        "labelwise.text.spans",
        "labelwise.text.models",
        "labelwise.text.export",
        "labelwise.text.wordcloud",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
