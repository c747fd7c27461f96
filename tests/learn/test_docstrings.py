"""The examples in the docstrings of the learn modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labelwise.learn",
    "labelwise.learn.active",
    "labelwise.learn.agreement",
    "labelwise.learn.cluster",
    "labelwise.learn.features",
    "labelwise.learn.issues",
    "labelwise.learn.neighbors",
    "labelwise.learn.pseudo",
    "labelwise.learn.result",
    "labelwise.learn.timewindow",
    "labelwise.tabular.augment",
    "labelwise.models.multilabel",
    "labelwise.models.hierarchy",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    from threadpoolctl import threadpool_limits

    module = importlib.import_module(name)
    with threadpool_limits(limits=1):
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    assert result.failed == 0, f"{result.failed} docstring examples failed in {name}"
    if name != "labelwise.learn":
        assert result.attempted > 0, f"{name} has no docstring examples"
