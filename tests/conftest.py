"""Shared fixtures: the real datasets folder and a scratch output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"

# Tests never want progress bars in their output.
os.environ.setdefault("LABELWISE_PROGRESS", "0")


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets`` beside the project; skips the test when it is absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"real datasets folder {SHARED_DATASETS} (../shared/datasets) is absent")
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def test_output() -> Path:
    """A folder for artefacts worth looking at after a run (reports, screenshots)."""
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    return out
