"""Checks every labeler must pass, like scikit-learn's estimator checks.

:func:`check_labeler` runs one labeler through the whole contract of
:class:`~labelwise.labeling.Labeler`; :func:`labeler_checks` yields the checks one by one
so a test can parametrize over them. A new modality registers its labelers with
:func:`~labelwise.labeling.register_labeler` and gets these checks for free from
``tests/labeling/test_labeler_conformance.py``.

Examples
--------
>>> [name for name, _ in labeler_checks()]
['shape', 'abstain', 'provenance', 'faults', 'pickle', 'not_fitted', 'as_lf', 'label_matrix']
>>> check_labeler(my_labeler, items, y)          # doctest: +SKIP
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.faults import FaultLog
from labelwise.labeling.space import ABSTAIN
from labelwise.labeling.votes import Labeler, Votes

__all__ = ["ConformanceError", "check_labeler", "labeler_checks"]


class ConformanceError(AssertionError):
    """A labeler broke the contract; the message says which check and how."""


def _n_items(items: Any) -> int:
    return len(items)


def _fitted(labeler: Any, items: Any, y: Any) -> Any:
    return labeler.fit(items, y) if y is not None else labeler.fit(items)


def _fail(labeler: Any, check: str, msg: str) -> None:
    raise ConformanceError(f"{type(labeler).__name__} fails '{check}': {msg}")


def check_shape(labeler: Any, items: Any, y: Any) -> None:
    """fit returns self; label returns Votes with one int vote per item in -1..k-1."""
    out = _fitted(labeler, items, y)
    if out is not labeler:
        _fail(labeler, "shape", "fit(items, y) must return self")
    v = labeler.label(items)
    if not isinstance(v, Votes):
        _fail(labeler, "shape", f"label() returned {type(v).__name__}, expected Votes")
    if len(v) != _n_items(items):
        _fail(labeler, "shape", f"{len(v)} votes for {_n_items(items)} items")
    if v.votes.dtype != np.int64:
        _fail(labeler, "shape", f"votes dtype {v.votes.dtype}")
    if v.votes.size and (v.votes.min() < ABSTAIN or v.votes.max() >= v.k):
        _fail(labeler, "shape", "votes outside -1..k-1")
    if v.proba is not None:
        if not np.all(np.isfinite(v.proba)) or np.any(v.proba < -1e-9):
            _fail(labeler, "shape", "proba has negative or non-finite values")
        sums = v.proba.sum(axis=1)
        ok = np.isclose(sums, 1.0, atol=1e-4) | np.isclose(sums, 0.0)
        if not ok.all():
            _fail(labeler, "shape", "proba rows must sum to 1 (or 0 where unusable)")
    if v.confidence is not None:
        c = v.confidence[np.isfinite(v.confidence)]
        if c.size and (c.min() < -1e-9 or c.max() > 1 + 1e-9):
            _fail(labeler, "shape", "confidence outside [0, 1]")


def check_abstain(labeler: Any, items: Any, y: Any) -> None:
    """Votes are classes or ABSTAIN only; the same call twice gives the same votes."""
    _fitted(labeler, items, y)
    a = labeler.label(items)
    b = labeler.label(items)
    if not np.array_equal(a.votes, b.votes):
        _fail(labeler, "abstain", "labeling the same items twice gave different votes")
    if a.confidence is not None:
        abst = a.votes == ABSTAIN
        if a.proba is not None and (~abst).any():
            top = a.proba[~abst].argmax(axis=1)
            if not np.array_equal(top, a.votes[~abst]) and a.provenance.get("vote_rule") is None:
                _fail(labeler, "abstain", "a vote is not the most probable class of proba")


def check_provenance(labeler: Any, items: Any, y: Any) -> None:
    """Votes carry a name and a provenance ``kind``; the matrix column keeps them."""
    _fitted(labeler, items, y)
    v = labeler.label(items)
    if not v.name or v.name != getattr(labeler, "name", v.name):
        _fail(labeler, "provenance", f"Votes name {v.name!r} differs from labeler.name")
    if "kind" not in v.provenance:
        _fail(labeler, "provenance", "provenance must say which kind of labeler made the votes")
    prov = v.to_label_matrix().provenance[v.name]
    if prov.get("kind") != v.provenance["kind"] or "faults" not in prov:
        _fail(labeler, "provenance", "label-matrix provenance lost the kind or the fault count")


def check_faults(labeler: Any, items: Any, y: Any) -> None:
    """Faults are a FaultLog and every faulted item abstains."""
    _fitted(labeler, items, y)
    v = labeler.label(items)
    if not isinstance(v.faults, FaultLog):
        _fail(labeler, "faults", "faults must be a FaultLog")
    for f in v.faults.errors:
        is_row = isinstance(f.item, (int, np.integer)) and 0 <= int(f.item) < len(v)
        if is_row and v.votes[int(f.item)] != ABSTAIN:
            _fail(labeler, "faults", f"item {f.item} faulted but got a vote")


def check_pickle(labeler: Any, items: Any, y: Any) -> None:
    """A fitted labeler pickles (for Dask and caches) and votes the same after."""
    _fitted(labeler, items, y)
    before = labeler.label(items).votes
    clone = pickle.loads(pickle.dumps(labeler))
    after = clone.label(items).votes
    if not np.array_equal(before, after):
        _fail(labeler, "pickle", "the unpickled labeler votes differently")


def check_not_fitted(labeler: Any, items: Any, y: Any) -> None:
    """A labeler that must be fitted raises NotFittedError from label(), never silently."""
    fresh = copy.deepcopy(labeler)
    if getattr(fresh, "requires_fit", True) is False:
        return
    try:
        fresh.label(items)
    except NotFittedError:
        return
    except LabelwiseError as exc:
        _fail(labeler, "not_fitted", f"raised {type(exc).__name__}, expected NotFittedError")
    _fail(labeler, "not_fitted", "label() before fit() did not raise NotFittedError")


def check_as_lf(labeler: Any, items: Any, y: Any) -> None:
    """``as_lf`` exists and gives a labeling function named after the labeler."""
    _fitted(labeler, items, y)
    if not hasattr(labeler, "as_lf"):
        _fail(labeler, "as_lf", "labelers must offer as_lf()")
    if not isinstance(labeler, Labeler):
        _fail(labeler, "as_lf", "does not implement the Labeler protocol")


def check_label_matrix(labeler: Any, items: Any, y: Any) -> None:
    """Votes become a label-matrix column with the same votes."""
    from labelwise.labeling.matrix import LabelMatrix

    _fitted(labeler, items, y)
    v = labeler.label(items)
    L = LabelMatrix.from_votes([v])
    if L.names != [v.name] or not np.array_equal(L.values[:, 0], v.votes):
        _fail(labeler, "label_matrix", "LabelMatrix.from_votes changed the votes")


_CHECKS: list[tuple[str, Callable[[Any, Any, Any], None]]] = [
    ("shape", check_shape),
    ("abstain", check_abstain),
    ("provenance", check_provenance),
    ("faults", check_faults),
    ("pickle", check_pickle),
    ("not_fitted", check_not_fitted),
    ("as_lf", check_as_lf),
    ("label_matrix", check_label_matrix),
]


def labeler_checks() -> Iterator[tuple[str, Callable[[Any, Any, Any], None]]]:
    """``(name, check)`` pairs; each check is ``check(labeler, items, y)``."""
    yield from _CHECKS


def check_labeler(labeler: Any, items: Any, y: Any = None) -> list[str]:
    """Run every check on a fresh copy of ``labeler``; return the names of those passed."""
    passed = []
    for name, check in _CHECKS:
        check(copy.deepcopy(labeler), items, y)
        passed.append(name)
    return passed
