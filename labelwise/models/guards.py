"""Guards that keep a label model from being silently worse than majority vote.

Every :class:`~labelwise.models.base.LabelModel` runs :func:`check_against_majority` at
the end of each ``fit``, with or without gold labels. Three checks compare the fitted
model with what the votes say plainly:

* **agreement with majority vote** on the items where majority vote is decisive (one
  class has strictly the most votes). A model that disagrees on many of those has most
  likely swapped classes or collapsed to one class;
* **predicted class balance** on covered items against majority vote's balance, and
  against the gold labels' balance when gold is given;
* **estimated labeler accuracies** against how often each labeler agrees with the
  majority of the others: a rule that agrees 90% of the time but is estimated at 0%
  accuracy means the model has flipped it.

When a check trips the model's result is suspect: the model warns in plain words
(:class:`LabelModelWarning`), sets ``guards_.ok = False``, ``auto`` selection does not
choose it and ``labelwise label`` refuses to write its labels without ``--force``.

Example
-------
>>> import numpy as np
>>> from labelwise.models import MajorityVote
>>> L = np.array([[0, 0, -1], [1, 1, 1], [0, -1, 0], [1, 1, -1]])
>>> MajorityVote().fit(L).guards_.ok
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from labelwise.models.base import LabelModel
    from labelwise.models.patterns import VoteTable

__all__ = [
    "AGREEMENT_MIN",
    "BALANCE_MAX_GAP",
    "STRONG_AGREEMENT_MIN",
    "GuardCheck",
    "GuardReport",
    "LabelModelWarning",
    "check_against_majority",
    "majority_decisions",
]

#: Minimum share of majority vote's decisive items on which a model must agree with it.
AGREEMENT_MIN = 0.96
#: ... and on the items where it leads by two votes or more.
STRONG_AGREEMENT_MIN = 0.97
#: Maximum total-variation gap between the model's and the reference class balance.
BALANCE_MAX_GAP = 0.15
#: Maximum gap between a labeler's estimated accuracy and its agreement with the others.
ACCURACY_MAX_GAP = 0.50
#: Labelers need at least this many scored votes before their accuracy is compared.
_MIN_SCORED = 20


class LabelModelWarning(UserWarning):
    """A label model's fit looks worse than majority vote (see :mod:`labelwise.models.guards`)."""


@dataclass
class GuardCheck:
    """One check: its name, the measured value, the limit and whether it passed."""

    name: str
    value: float
    limit: float
    ok: bool
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "value": round(float(self.value), 4),
            "limit": self.limit,
            "ok": self.ok,
            "message": self.message,
        }


@dataclass
class GuardReport:
    """All checks of one fit. ``ok`` is False when any check tripped."""

    model: str
    checks: list[GuardCheck] = field(default_factory=list)
    #: Share of majority vote's decisive items on which the model agrees with it.
    mv_agreement: float = 1.0
    #: Number of decisive items behind ``mv_agreement``.
    decisive_items: float = 0.0
    #: How the final fit was reached (``"as fitted"`` or the fallback that was used).
    resolution: str = "as fitted"

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def severe(self) -> bool:
        """The model disagrees with majority vote on most of its decisive items."""
        return self.decisive_items > 0 and self.mv_agreement < 0.5

    def failures(self) -> list[GuardCheck]:
        return [c for c in self.checks if not c.ok]

    def message(self) -> str:
        """Plain-words summary of the tripped checks (empty when all passed)."""
        bad = self.failures()
        if not bad:
            return ""
        lines = "; ".join(c.message for c in bad)
        return (
            f"label model {self.model!r} looks worse than majority vote: {lines}. "
            "Its labels may be wrong without being obviously so: use majority vote "
            "(--model mv), pass gold labels so the model can be checked, or review the rules."
        )

    def as_records(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.checks]


def majority_decisions(table: VoteTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Majority vote per table row: ``(label, decisive, counts)``.

    ``decisive`` is True where one class has strictly the most votes; ``label`` is that
    class there (and the first of the tied classes elsewhere).
    """
    counts = np.asarray(table.counts(), dtype=np.float64)
    label = np.argmax(counts, axis=1)
    top = counts.max(axis=1)
    n_top = (counts == top[:, None]).sum(axis=1)
    decisive = (top > 0) & (n_top == 1)
    return label, decisive, counts


def _balance(labels: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    share = np.bincount(labels, weights=weights, minlength=k)[:k].astype(np.float64)
    total = share.sum()
    return share / total if total > 0 else np.full(k, 1.0 / k)


def _fmt(p: np.ndarray) -> str:
    return "/".join(f"{v:.2f}" for v in p)


def _let_gold_decide(
    model: LabelModel, report: GuardReport, gold: tuple[np.ndarray, np.ndarray]
) -> None:
    """Gold labels settle the agreement checks: where the model overrules a decisive
    majority on gold items and is right significantly more often than majority vote there
    (one-sided sign test, 95%), the disagreement is an improvement, not a flip."""
    from labelwise.models.patterns import VoteTable

    agreement_checks = [c for c in report.checks if c.name.startswith("agreement") and not c.ok]
    if not agreement_checks:
        return
    dev_votes, y = gold
    table = VoteTable.from_votes(dev_votes, model.cardinality_, strategy="sparse")
    y = y[: table.n_rows] if table.strategy == "sparse" else y
    mv_label, decisive, _ = majority_decisions(table)
    pred = np.argmax(model._predict_proba(table), axis=1)
    differ = decisive & (pred != mv_label)
    model_right = int(np.sum(differ & (pred == y)))
    mv_right = int(np.sum(differ & (mv_label == y)))
    n = model_right + mv_right
    if n > 0 and model_right - mv_right > 1.645 * np.sqrt(n):
        for check in agreement_checks:
            check.ok = True
            check.message += (
                f" -- but on the gold items where they differ the model is right {model_right} "
                f"times and majority vote {mv_right} times, so gold backs the model"
            )


def check_against_majority(
    model: LabelModel,
    table: VoteTable,
    gold: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    agreement_min: float = AGREEMENT_MIN,
    balance_max_gap: float = BALANCE_MAX_GAP,
    accuracy_max_gap: float = ACCURACY_MAX_GAP,
) -> GuardReport:
    """Compare a fitted model with majority vote on the same votes (see the module doc).

    Parameters
    ----------
    model : LabelModel
        Fitted (its ``_predict_proba`` and ``accuracies_`` are read).
    table : VoteTable
        The votes it was fitted on.
    gold : (dev_votes, y_dev), optional
        Gold labels: the predicted class balance is also checked against theirs.
    """
    from labelwise.models.majority import estimate_agreement_accuracies

    k = table.k
    report = GuardReport(model=getattr(model, "name", type(model).__name__))
    w = np.asarray(table.weights, dtype=np.float64)
    has_vote = table.has_vote()
    mv_label, decisive, counts = majority_decisions(table)
    proba = np.asarray(model._predict_proba(table), dtype=np.float64)
    pred = np.argmax(proba, axis=1)

    # 1. Agreement with majority vote where it is decisive.
    wd = w * decisive
    n_dec = float(wd.sum())
    report.decisive_items = n_dec
    if n_dec > 0:
        agree = float(wd @ (pred == mv_label)) / n_dec
        report.mv_agreement = agree
        report.checks.append(
            GuardCheck(
                "agreement_with_majority",
                agree,
                agreement_min,
                agree >= agreement_min,
                f"it agrees with majority vote on only {agree:.1%} of the {n_dec:,.0f} items "
                f"where majority vote is decisive (at least {agreement_min:.0%} expected)",
            )
        )

        srt = np.sort(counts, axis=1)
        strong = w * ((srt[:, -1] - srt[:, -2]) >= 2)
        n_strong = float(strong.sum())
        if n_strong >= _MIN_SCORED:
            agree_strong = float(strong @ (pred == mv_label)) / n_strong
            report.checks.append(
                GuardCheck(
                    "agreement_where_majority_leads_by_two",
                    agree_strong,
                    STRONG_AGREEMENT_MIN,
                    agree_strong >= STRONG_AGREEMENT_MIN,
                    f"it overrules a majority of two votes or more on "
                    f"{1 - agree_strong:.1%} of the {n_strong:,.0f} such items",
                )
            )

    if gold is not None and gold[1].size:
        _let_gold_decide(model, report, gold)

    # 2. Predicted class balance vs majority vote's (ties split evenly) and vs gold.
    wc = w * has_vote
    if wc.sum() > 0:
        model_bal = _balance(pred, wc, k)
        tops = counts == counts.max(axis=1, keepdims=True)
        share = tops / np.maximum(tops.sum(axis=1, keepdims=True), 1)
        mv_bal = (wc @ share) / wc.sum()
        gap = 0.5 * float(np.abs(model_bal - mv_bal).sum())
        report.checks.append(
            GuardCheck(
                "balance_vs_votes",
                gap,
                balance_max_gap,
                gap <= balance_max_gap,
                f"it predicts the classes in proportions {_fmt(model_bal)} where majority "
                f"vote gives {_fmt(mv_bal)}",
            )
        )
        if gold is not None and gold[1].size:
            y = gold[1]
            gold_bal = np.bincount(y, minlength=k)[:k] / y.size
            # Sampling noise of the gold balance widens the limit on small dev sets.
            limit = balance_max_gap + 2.0 * float(np.sqrt(0.25 / y.size))
            gap_gold = 0.5 * float(np.abs(model_bal - gold_bal).sum())
            report.checks.append(
                GuardCheck(
                    "balance_vs_gold",
                    gap_gold,
                    round(limit, 4),
                    gap_gold <= limit,
                    f"it predicts the classes in proportions {_fmt(model_bal)} where the "
                    f"{y.size} gold labels have {_fmt(gold_bal)}",
                )
            )

    # 3. Estimated accuracies vs agreement with the majority of the others.
    acc = getattr(model, "accuracies_", None)
    if acc is not None and k >= 2:
        agreement, scored, _ = estimate_agreement_accuracies(table)
        emp = (agreement + 1.0) / (scored + 2.0)
        usable = scored >= _MIN_SCORED
        acc = np.asarray(acc, dtype=np.float64)
        if usable.any() and acc.shape == emp.shape:
            gaps = np.where(usable, np.abs(acc - emp), 0.0)
            chance = 1.0 / k
            # A labeler the others clearly agree with, estimated below chance: flipped.
            flipped = usable & (acc < chance) & (emp >= chance + 0.3)
            j = int(np.argmax(np.where(flipped, 2.0, 0.0) + gaps))
            worst = float(gaps[j])
            ok = worst <= accuracy_max_gap and not flipped.any()
            report.checks.append(
                GuardCheck(
                    "accuracies_vs_agreement",
                    worst,
                    accuracy_max_gap,
                    ok,
                    f"it estimates labeler {j} at {acc[j]:.0%} accuracy although that "
                    f"labeler agrees with the others {emp[j]:.0%} of the time",
                )
            )
    return report
