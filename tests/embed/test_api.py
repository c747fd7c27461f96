"""labelwise.embed's public surface and its docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

import labelwise.embed


def test_all_names_exist():
    assert labelwise.embed.__all__
    missing = [n for n in labelwise.embed.__all__ if not hasattr(labelwise.embed, n)]
    assert not missing


@pytest.mark.parametrize(
    "module",
    [
        "labelwise.embed.base",
        "labelwise.embed.cache",
        "labelwise.labeling.scoring",  # the scoring helpers moved here from embed.votes
        "labelwise.embed.zeroshot",
        "labelwise.embed.fewshot",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
