"""Every labeler class labelwise exports passes the same contract checks.

Like scikit-learn's estimator checks: each class registered with
:func:`~labelwise.labeling.register_labeler` is run through every check of
:func:`~labelwise.labeling.conformance.labeler_checks` on its own small example (shape,
ABSTAIN handling, faults, provenance, pickling, the not-fitted error, ``as_lf``, the label
matrix). A new modality registers its labelers and gets the checks for free; the scan at the
bottom fails when an exported labeler class is not registered.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest

import labelwise
from labelwise.errors import NotFittedError
from labelwise.labeling import BaseLabeler, registered_labelers
from labelwise.labeling.conformance import labeler_checks


def _import_all_packages() -> list[str]:
    """Import every labelwise package (registration happens at import)."""
    names = ["labelwise"]
    for info in pkgutil.iter_modules(labelwise.__path__, "labelwise."):
        if info.ispkg and info.name not in {"labelwise.cli"}:
            importlib.import_module(info.name)
            names.append(info.name)
    return names


PACKAGES = _import_all_packages()
CHECKS = list(labeler_checks())

#: Exported classes with a ``label`` method that are not vote producers, and why.
NOT_VOTE_PRODUCERS = {
    "labelwise.learn.neighbors.NearestLabeledRegressor": "regression values (RegressionResult)",
    "labelwise.learn.neighbors.ClassStatisticsRegressor": "regression values (RegressionResult)",
    "labelwise.learn.cluster.ClusterRegressor": "regression values (RegressionResult)",
    "labelwise.learn.pseudo.PseudoRegressor": "regression values (RegressionResult)",
}


def _exported_classes():
    seen: dict[str, type] = {}
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isclass(obj) and callable(getattr(obj, "label", None)):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return seen


EXPORTED = _exported_classes()  # resolves lazily exported names, so registration has run
REGISTERED = registered_labelers()

#: Exported bases to subclass (they score nothing themselves) and the protocol.
BASES = {
    "labelwise.labeling.votes.Labeler": "the protocol itself",
    "labelwise.text.scoring.ScoringLabeler": "base class: subclasses implement _score",
}


@pytest.mark.filterwarnings("ignore:calibrating on only:UserWarning")
@pytest.mark.parametrize("check_name,check", CHECKS, ids=[n for n, _ in CHECKS])
@pytest.mark.parametrize("qualname", sorted(REGISTERED))
def test_registered_labeler_passes_check(qualname, check_name, check):
    cls, example = REGISTERED[qualname]
    assert example is not None, f"{qualname} is registered without an example"
    labeler, items, y = example()
    assert isinstance(labeler, cls)
    check(labeler, items, y)


def test_every_exported_labeler_class_is_registered():
    missing = sorted(
        q
        for q, cls in EXPORTED.items()
        if q not in REGISTERED
        and q not in NOT_VOTE_PRODUCERS
        and q not in BASES
        and cls is not BaseLabeler
    )
    assert not missing, (
        f"exported labeler classes not registered for the conformance suite: {missing}; "
        "decorate them with @register_labeler(example=...) (a tiny, offline example)"
    )
    assert len(REGISTERED) >= 8


def test_every_exported_labeler_subclasses_base_labeler():
    wrong = sorted(
        q
        for q, cls in EXPORTED.items()
        if q not in BASES and q not in NOT_VOTE_PRODUCERS and not issubclass(cls, BaseLabeler)
    )
    assert not wrong, f"labeler classes that do not subclass BaseLabeler: {wrong}"


@pytest.mark.parametrize("qualname", sorted(NOT_VOTE_PRODUCERS))
def test_regressors_share_fit_label_and_not_fitted_behaviour(qualname):
    from labelwise.learn.result import RegressionResult

    cls = EXPORTED[qualname]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X[:, 0] * 2.0 + rng.normal(scale=0.1, size=30)
    y[::3] = np.nan
    kw: dict = {"k": 3} if "Cluster" in qualname else {}
    if "Pseudo" in qualname:
        from sklearn.linear_model import LinearRegression

        kw = {"estimator": LinearRegression(), "max_rounds": 1, "n_members": 2}
    lab = cls(**kw)
    with pytest.raises(NotFittedError, match="not fitted"):
        lab.label(X)
    assert lab.fit(X, y) is lab
    out = lab.label(X)
    assert isinstance(out, RegressionResult) and len(out) == 30 and out.name == lab.name
    again = pickle.loads(pickle.dumps(lab)).label(X)
    np.testing.assert_array_equal(np.isnan(out.values), np.isnan(again.values))
    np.testing.assert_allclose(
        out.values[~np.isnan(out.values)], again.values[~np.isnan(again.values)]
    )
