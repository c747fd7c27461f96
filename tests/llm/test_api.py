"""The public surface: names, lazy imports, and runnable docstring examples."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import labelwise.llm as llm

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "labelwise.llm",
    "labelwise.llm.ask",
    "labelwise.llm.cache",
    "labelwise.llm.client",
    "labelwise.llm.confidence",
    "labelwise.llm.cost",
    "labelwise.llm.labeler",
    "labelwise.llm.provider",
    "labelwise.llm.run",
    "labelwise.llm.server",
    "labelwise.llm.tasks",
    "labelwise.llm.tasks.classify",
    "labelwise.llm.tasks.hierarchical",
    "labelwise.llm.tasks.entities",
    "labelwise.llm.tasks.generate",
    "labelwise.llm.tasks.aspects",
    "labelwise.llm.taxonomy",
    "labelwise.llm.text",
]


def test_every_public_name_resolves() -> None:
    assert llm.__all__ == sorted(llm.__all__)
    for name in llm.__all__:
        assert getattr(llm, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        llm.nope  # noqa: B018
    assert {
        "LLMClient",
        "run_task",
        "ask",
        "LLMLabeler",
        "OpenAIProvider",
        "LocalChatServer",
    } <= set(llm.__all__)


def test_llm_errors_are_labelwise_errors() -> None:
    from labelwise.errors import LabelwiseError

    for name in (
        "LLMConfigError",
        "LLMProviderError",
        "BudgetExhausted",
        "RequestFailed",
        "PlanError",
        "TaxonomyError",
        "OutputError",
    ):
        assert issubclass(getattr(llm, name), LabelwiseError)
        assert issubclass(getattr(llm, name), ValueError)


def test_imports_stay_light() -> None:
    code = (
        "import sys, labelwise, labelwise.llm; "
        "heavy = [m for m in ('openai', 'pydantic', 'matplotlib', 'httpx2') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for test in finder.find(mod, module):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0
