"""MetalModel: the Snorkel/MeTaL-style label model fitted by matrix completion."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelwise.errors import LabelwiseError
from labelwise.models import (
    MODELS,
    MajorityVote,
    MetalModel,
    TripletModel,
    VoteTable,
    covote_moments,
    fit_metal,
    fit_metal_mu,
    make_label_model,
    metal_log_weights,
)
from labelwise.models.guards import LabelModelWarning
from labelwise.models.metal import _binary_scores


def one_sided_votes(
    n: int,
    *,
    k: int = 2,
    m: int = 8,
    prior: list[float] | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each labeler votes only class ``j % k``: often on that class, rarely on the others.

    Returns ``L (n, m)``, ``y (n,)`` and the true ``mu[j, c, y] = P(votes c | Y = y)``.
    """
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=prior)
    on_target = rng.uniform(0.15, 0.6, size=m)
    off_target = on_target * rng.uniform(0.05, 0.35, size=m)
    mu = np.zeros((m, k, k))
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        c = j % k
        mu[j, c, :] = off_target[j]
        mu[j, c, c] = on_target[j]
        voted = rng.random(n) < mu[j, c, y]
        L[voted, j] = c
    return L, y, mu


def covered_accuracy(pred: np.ndarray, L: np.ndarray, y: np.ndarray) -> float:
    covered = (L != -1).any(axis=1)
    return float(np.mean(pred[covered] == y[covered]))


def bayes_predictions(L: np.ndarray, mu: np.ndarray, prior: list[float]) -> np.ndarray:
    """Argmax of ``p_y prod_j P(lambda_j | y)`` under the true parameters, abstains included."""
    m = mu.shape[0]
    log_post = np.tile(np.log(prior), (L.shape[0], 1))
    for j in range(m):
        abstain = 1 - mu[j].sum(axis=0)  # (k,)
        factor = np.where(L[:, j, None] == -1, abstain, mu[j][np.maximum(L[:, j], 0)])
        log_post += np.log(np.maximum(factor, 1e-12))
    return log_post.argmax(axis=1)


@pytest.fixture(scope="module")
def one_sided_binary():
    return one_sided_votes(50_000, prior=[0.7, 0.3], seed=3)


def test_registry_names_metal_snorkel_and_keeps_triplet():
    assert MODELS["snorkel"] is MetalModel and MODELS["triplet"] is TripletModel
    model = make_label_model("snorkel", cardinality=3, seed=4)
    assert isinstance(model, MetalModel) and model.cardinality == 3 and model.seed == 4


def test_recovers_one_sided_vote_rates_and_class_balance(one_sided_binary):
    L, y, mu = one_sided_binary
    model = MetalModel(seed=0).fit(L)
    assert model.mu_.shape == (8, 2, 2)
    np.testing.assert_allclose(model.mu_, mu, atol=0.03)
    np.testing.assert_allclose(model.class_prior_, np.bincount(y) / y.size, atol=0.02)
    # Votes are never cast for the class a rule does not vote.
    assert np.all(model.mu_[np.arange(8), 1 - np.arange(8) % 2] < 1e-3)
    # accuracies_ is the share of each labeler's votes that are right.
    voted = L != -1
    realised = (y[:, None] == L).sum(axis=0) / voted.sum(axis=0)
    np.testing.assert_allclose(model.accuracies_, realised, atol=0.03)
    np.testing.assert_allclose(
        model.voting_probs_, mu.sum(axis=1), atol=0.03
    )  # P(votes | Y) per labeler and class
    assert model.converged_


def test_beats_triplet_and_majority_vote_on_one_sided_rules(one_sided_binary):
    L, y, mu = one_sided_binary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the triplet model warns about one-sided rules
        triplet = TripletModel().fit(L).predict(L, tie_policy="random")
    mv = MajorityVote(seed=0).fit(L).predict(L, tie_policy="random")
    metal = MetalModel(seed=0).fit(L).predict(L, tie_policy="random")
    acc_metal = covered_accuracy(metal, L, y)
    # As good as the Bayes classifier that knows the true parameters (0.905 here) ...
    assert acc_metal > covered_accuracy(bayes_predictions(L, mu, [0.7, 0.3]), L, y) - 0.003
    # ... far above the one-coin triplet model (0.71) and above majority vote (0.895).
    assert acc_metal > covered_accuracy(triplet, L, y) + 0.1
    assert acc_metal > covered_accuracy(mv, L, y) + 0.005
    # Dropping the abstain factors throws away what one-sided rules say by abstaining.
    no_abstain = MetalModel(model_abstentions=False, seed=0).fit(L)
    assert acc_metal > covered_accuracy(no_abstain.predict(L, tie_policy="random"), L, y)


def test_matches_majority_vote_when_labelers_are_identical_and_symmetric(votes_factory):
    data = votes_factory(20_000, [0.75] * 7, k=2, coverage=0.5, seed=11)
    model = MetalModel(seed=0).fit(data.L)
    mv = MajorityVote().fit(data.L).predict(data.L)  # ties abstain
    decided = mv != -1
    pred = model.predict(data.L)
    assert decided.sum() > 10_000
    assert np.array_equal(pred[decided], mv[decided])
    np.testing.assert_allclose(model.class_prior_, [0.5, 0.5], atol=0.02)
    np.testing.assert_allclose(model.accuracies_, 0.75, atol=0.02)


def test_four_classes_one_sided_and_symmetric(hetero_four):
    L, y, mu = one_sided_votes(40_000, k=4, m=12, prior=[0.4, 0.3, 0.2, 0.1], seed=5)
    model = MetalModel(seed=0).fit(L)
    assert model.mu_.shape == (12, 4, 4)
    np.testing.assert_allclose(model.mu_, mu, atol=0.04)
    np.testing.assert_allclose(model.class_prior_, [0.4, 0.3, 0.2, 0.1], atol=0.03)
    proba = model.predict_proba(L)
    assert proba.shape == (40_000, 4) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    mv = MajorityVote(seed=0).fit(L).predict(L, tie_policy="random")
    acc = covered_accuracy(model.predict(L), L, y)
    bayes = bayes_predictions(L, mu, [0.4, 0.3, 0.2, 0.1])
    assert acc > covered_accuracy(bayes, L, y) - 0.01  # 0.778 vs 0.782
    assert acc > covered_accuracy(mv, L, y) + 0.03  # majority vote: 0.735

    # Ordinary (two-sided) four-class labelers of mixed quality.
    model = MetalModel(seed=0).fit(hetero_four.L)
    np.testing.assert_allclose(model.accuracies_, hetero_four.accuracies, atol=0.03)
    conf = model.confusion_matrices_
    assert conf.shape == (8, 4, 4)
    np.testing.assert_allclose(conf.sum(axis=2), 1.0, atol=1e-9)


def test_exact_moments_give_exact_parameters():
    """On noise-free moments the optimiser (and its analytic gradient) finds the truth."""
    rng = np.random.default_rng(0)
    m, k = 6, 2
    p = np.array([0.65, 0.35])
    mu = np.zeros((m, k, k))
    for j in range(m):
        vote_rate = rng.uniform(0.3, 0.8, size=k)  # P(votes | Y = y)
        acc = rng.uniform(0.65, 0.9, size=k)
        mu[j, :, :] = np.array([[acc[0], 1 - acc[1]], [1 - acc[0], acc[1]]]) * vote_rate
    M = mu.reshape(m * k, k)
    O = (M * p) @ M.T
    O[np.diag_indices(m * k)] = M @ p  # one-hot votes: psi_a^2 = psi_a
    fitted, loss, _, converged = fit_metal_mu(O, p, cardinality=k, n_items=10**12)
    np.testing.assert_allclose(fitted, mu, atol=1e-4)
    assert loss < 1e-9 and converged


def test_compressed_patterns_and_items_give_the_same_fit(hetero_binary):
    votes = hetero_binary.L[:5000]
    fits = [fit_metal(VoteTable.from_votes(votes, 2, strategy=s)) for s in ("patterns", "sparse")]
    # Equal up to float32 rounding in the per-row sums.
    np.testing.assert_allclose(fits[0].mu, fits[1].mu, atol=1e-5)
    np.testing.assert_allclose(fits[0].class_prior, fits[1].class_prior, atol=1e-5)
    O = covote_moments(VoteTable.from_votes(votes, 2, strategy="sparse"))
    assert O.shape == (16, 16) and np.allclose(O, O.T)
    # The two-class fast path equals the general one-hot Gram matrix.
    np.testing.assert_array_equal(
        O, covote_moments(VoteTable.from_votes(votes, 2, strategy="patterns"))
    )
    four = VoteTable.from_votes(votes, 4, strategy="sparse")  # general path for k > 2
    np.testing.assert_allclose(covote_moments(four), four.gram() / 5000)
    # ... and so do the two-class per-row sums of the posterior.
    sparse = VoteTable.from_votes(votes, 2, strategy="sparse")
    rows, _ = metal_log_weights(fits[1].mu, fits[1].class_prior)
    np.testing.assert_allclose(_binary_scores(sparse.votes, rows), sparse.scores(rows), atol=1e-4)
    np.testing.assert_allclose(np.diag(O).reshape(8, 2).sum(axis=1), (votes != -1).mean(axis=0))


def test_class_balance_from_gold_or_given(one_sided_binary):
    L, y, _ = one_sided_binary
    given = MetalModel(class_prior=[0.6, 0.4]).fit(L)
    np.testing.assert_allclose(given.class_prior_, [0.6, 0.4])
    assert given.n_prior_iter_ == 0
    gold = MetalModel().fit(L, y_dev=y[:500], L_dev=L[:500])
    counts = np.bincount(y[:500], minlength=2) + 1.0
    np.testing.assert_allclose(gold.class_prior_, counts / counts.sum())
    with pytest.raises(LabelwiseError, match="class_prior must be 2 positive numbers"):
        MetalModel(class_prior=[0.2, 0.2, 0.6]).fit(L)
    with pytest.raises(LabelwiseError, match="prior_accuracy must be between"):
        MetalModel(prior_accuracy=0.4).fit(L)
    with pytest.raises(LabelwiseError, match="l2 must be"):
        MetalModel(l2=-1.0).fit(L)


def test_silent_labeler_warns_and_changes_nothing(one_sided_binary):
    L, _, _ = one_sided_binary
    L = L[:20_000]
    with_silent = np.hstack([L, np.full((L.shape[0], 1), -1, dtype=np.int8)])
    with pytest.warns(UserWarning, match=r"1 labeler\(s\) never vote \(columns \[8\]\)"):
        model = MetalModel(seed=0).fit(with_silent)
    reference = MetalModel(seed=0).fit(L)
    assert model.accuracies_[8] == 0.5 and np.all(model.mu_[8] == 0)
    np.testing.assert_allclose(
        model.predict_proba(with_silent), reference.predict_proba(L), atol=1e-4
    )


def test_extreme_votes_stay_finite():
    # Labelers that always vote (abstain probability 0), agree perfectly, or never
    # disagree with a constant: probabilities stay finite and normalised.
    y = np.tile([0, 1], 500)
    cases = [
        np.stack([y, y, y], axis=1),
        np.stack([y, np.zeros_like(y), y, 1 - y], axis=1),
        np.where(y[:, None] == 1, 1, -1).repeat(3, axis=1),
    ]
    for L in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = MetalModel(cardinality=2, seed=0).fit(L)
        proba = model.predict_proba(L)
        assert np.all(np.isfinite(proba)) and np.all(np.isfinite(model.mu_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Three copies of the truth: the model follows them.
    model = MetalModel(seed=0).fit(cases[0])
    assert np.array_equal(model.predict(cases[0]), y)


def test_few_labelers_warn():
    L = np.array([[0, 1], [1, 1], [0, -1], [1, 0]] * 10)
    with pytest.warns(UserWarning, match="only 2 labeler"):
        model = MetalModel().fit(L)
    assert np.all(np.isfinite(model.predict_proba(L)))


def test_adult_rules_without_gold():
    """The bundled income rules (12 one-sided rules on a UCI Adult sample)."""
    from labelwise.demo import sample_data_path, sample_rules_path
    from labelwise.io import read_table
    from labelwise.labeling import LFApplier, load_rules

    rules = load_rules(sample_rules_path())
    df = read_table(sample_data_path(), na_values=rules.na_values)
    assert rules.label_space is not None
    L = LFApplier(rules.lfs).apply(df, progress_bar=False).values
    y = rules.label_space.encode(df[rules.gold_column].tolist())
    model = MetalModel(seed=0).fit(L)
    pred = model.predict(L)
    covered = pred != -1
    assert covered.mean() > 0.85
    assert np.mean(pred[covered] == y[covered]) >= 0.86
    # The estimated balance is near the true 24% ">50K" (unweighted vote shares say 50%).
    assert 0.15 < model.class_prior_[1] < 0.35
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        triplet = TripletModel().fit(L).predict(L)
    assert np.mean(pred[covered] == y[covered]) > np.mean(triplet[covered] == y[covered]) + 0.05


def test_copied_labeler_is_detected_or_declared(votes_factory):
    """A labeler that copies another on 95% of items must not be mistaken for the truth."""
    data = votes_factory(30_000, [0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.6], k=2, seed=0)
    rng = np.random.default_rng(0)
    L = np.hstack([data.L, data.L[:, [3]]])
    other = rng.random(L.shape[0]) < 0.05
    L[other, 7] = data.L[other, 5]
    y = data.y

    def accuracy(model):
        return covered_accuracy(model.predict(L, tie_policy="random"), L, y)

    with pytest.warns(LabelModelWarning, match="worse than majority vote"):
        naive = MetalModel(detect_dependencies=False, seed=0).fit(L)
    detected = MetalModel(seed=0).fit(L)
    declared = MetalModel(dependencies=[(3, 7)], detect_dependencies=False, seed=0).fit(L)
    # Without help the fit takes the copied pair for the truth (both ~100% accurate); the
    # guards notice that it overrules clear majorities and say so.
    assert naive.accuracies_[3] > 0.95 and accuracy(naive) < 0.8
    assert not naive.guards_.ok
    for model in (detected, declared):
        np.testing.assert_allclose(model.accuracies_[:7], data.accuracies, atol=0.02)
        assert accuracy(model) > 0.85
    assert detected.dependent_pairs_[0] == (3, 7)
    assert declared.pair_weights_[3, 7] == 0 and declared.dependent_pairs_ == [(3, 7)]
    assert (
        accuracy(detected)
        > covered_accuracy(MajorityVote(seed=0).fit(L).predict(L, tie_policy="random"), L, y) + 0.04
    )
    with pytest.raises(LabelwiseError, match="two different labeler columns in 0..7"):
        MetalModel(dependencies=[(3, 9)]).fit(L)
    with pytest.raises(LabelwiseError, match="pairs of labeler columns"):
        MetalModel(dependencies=[3]).fit(L)


def test_independent_labelers_are_not_flagged(hetero_binary, one_sided_binary):
    for L in (hetero_binary.L, one_sided_binary[0]):
        model = MetalModel(seed=0).fit(L)
        assert model.dependent_pairs_ == [] and np.all(model.pair_weights_ == 1)


def test_abstaining_is_evidence_only_when_modelled(one_sided_binary):
    L, y, _ = one_sided_binary
    nobody = (L == -1).all(axis=1)
    with_abstain = MetalModel(seed=0).fit(L)
    without = MetalModel(model_abstentions=False, class_prior=[0.7, 0.3], seed=0).fit(L)
    # Snorkel's posterior reads cast votes only: an item nobody voted on keeps the prior.
    np.testing.assert_allclose(without.predict_proba(L)[nobody], [[0.7, 0.3]] * nobody.sum())
    # Modelled, silence is evidence: an item no rule fired on is more likely a 1 than the
    # 30% prior says (0.34 here), and the model's P(Y = 1 | nobody voted) matches that.
    silent_share = float(y[nobody].mean())
    assert silent_share > 0.32
    silent_proba = with_abstain.predict_proba(L)[nobody][0, 1]
    assert silent_proba == pytest.approx(silent_share, abs=0.025)
    assert silent_proba > with_abstain.class_prior_[1] + 0.03
    assert with_abstain.predict(L)[nobody].tolist() == [-1] * int(nobody.sum())


def test_class_balance_iteration_reports_when_it_stops_early(one_sided_binary):
    table = VoteTable.from_votes(one_sided_binary[0], 2)
    stopped = fit_metal(table, prior_max_iter=2)
    assert not stopped.prior_converged and not stopped.converged and stopped.n_prior_iter == 2
    full = fit_metal(table)
    assert full.prior_converged and full.n_prior_iter > 2
