"""Zero-shot and few-shot labelers on the real MiniLM model (small, hand-written texts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwise.embed import (
    FewShotLabeler,
    NotFittedError,
    ZeroShotLabeler,
    parse_label_descriptions,
)
from labelwise.errors import LabelSpaceError, LabelwiseError
from labelwise.labeling import ABSTAIN, LabelMatrix, LabelSpace
from labelwise.labeling.apply import LFApplier

SPAM = [
    "WINNER!! You have been selected to receive a £900 prize reward. Call 09061701461 to claim.",
    "FREE entry in a weekly competition to win FA Cup final tickets. Text FA to 87121.",
    "Urgent! Your mobile number has won a cash award. Call now from a landline.",
    "Claim your free ringtone now, reply YES to 80082. Charges apply.",
]
HAM = [
    "Are we still meeting for lunch tomorrow?",
    "Sorry I'm running late, I'll call you when I get home.",
    "Can you pick up some milk on your way back?",
    "Happy birthday mum, see you at dinner tonight!",
]
DESCRIPTIONS = {
    "ham": ["Hey, are we still meeting later?", "I'll call you when I get home"],
    "spam": [
        "Congratulations! You have won a prize. Call now to claim your reward.",
        "FREE entry! Text WIN to 80086 to receive your prize",
    ],
}


@pytest.fixture(scope="module")
def zero_shot(minilm):
    return ZeroShotLabeler(DESCRIPTIONS, embedder=minilm)


def test_parse_label_descriptions():
    assert parse_label_descriptions("spam:offer|prize, ham:chat") == {
        "spam": ["offer", "prize"],
        "ham": ["chat"],
    }
    with pytest.raises(LabelwiseError, match="twice"):
        parse_label_descriptions("a:x,a:y")
    with pytest.raises(LabelwiseError, match="names no classes"):
        parse_label_descriptions(" , ")
    with pytest.raises(LabelwiseError, match="empty description"):
        parse_label_descriptions("spam:,ham:chat")
    assert parse_label_descriptions("spam:won, call now,ham:hi") == {
        "spam": ["won, call now"],
        "ham": ["hi"],
    }


def test_zero_shot_labels_obvious_messages(zero_shot):
    sv = zero_shot.label(SPAM + HAM)
    spam = zero_shot.label_space_.index("spam")
    ham = zero_shot.label_space_.index("ham")
    assert sv.votes.tolist() == [spam] * 4 + [ham] * 4
    assert sv.proba.shape == (8, 2)
    np.testing.assert_allclose(sv.proba.sum(axis=1), 1.0)
    assert (sv.confidence > 0.5).all()
    assert sv.provenance["kind"] == "embedding_zero_shot"
    assert sv.provenance["model"] == zero_shot.embedder.model_id


def test_zero_shot_abstains_on_bad_cells_and_below_threshold(minilm):
    zs = ZeroShotLabeler(DESCRIPTIONS, embedder=minilm, min_confidence=0.999999)
    sv = zs.label([SPAM[0], None, "", "   ", 12345, float("nan")])
    assert (sv.votes == ABSTAIN).all()  # nothing is that sure; bad cells never vote
    zs.min_confidence = 0.0
    sv = zs.label([SPAM[0], None, "", "   ", 12345, float("nan")])
    assert sv.votes[0] == zs.label_space_.index("spam")
    assert sv.votes[1:4].tolist() == [ABSTAIN] * 3 and sv.votes[5] == ABSTAIN
    assert sv.votes[4] != ABSTAIN  # a number is read as the text "12345"
    assert sv.confidence[1] == 0 and (sv.proba[1] == 0).all()
    assert sv.provenance["inputs"] == {
        "n_items": 6,
        "n_missing": 2,
        "n_empty": 2,
        "n_coerced": 1,
        "n_truncated": 0,
    }


def test_zero_shot_into_a_bigger_label_space_and_single_class(minilm):
    space = LabelSpace(["ham", "other", "spam"])
    zs = ZeroShotLabeler(DESCRIPTIONS, label_space=space, embedder=minilm)
    sv = zs.label(SPAM[:1] + HAM[:1])
    assert sv.votes.tolist() == [2, 0] and sv.proba.shape == (2, 3)
    assert (sv.proba[:, 1] == 0).all()  # never votes a class it does not describe
    only_spam = ZeroShotLabeler(
        {"spam": DESCRIPTIONS["spam"]},
        label_space=["ham", "spam"],
        embedder=minilm,
        min_similarity=0.45,
    )
    votes = only_spam.label(SPAM[:2] + HAM[:2]).votes
    assert votes[2:].tolist() == [ABSTAIN, ABSTAIN] and (votes[:2] == 1).any()
    with pytest.raises(LabelwiseError, match="min_similarity"):
        ZeroShotLabeler({"spam": "prize"}, label_space=["ham", "spam"], embedder=minilm)
    with pytest.raises(LabelwiseError, match="label_space"):
        ZeroShotLabeler({"spam": "prize"}, embedder=minilm, min_similarity=0.3)
    with pytest.raises(LabelSpaceError, match="unknown class"):
        ZeroShotLabeler({"spam": "x", "eggs": "y"}, label_space=["ham", "spam"], embedder=minilm)
    with pytest.raises(LabelwiseError, match="description"):
        ZeroShotLabeler({"spam": "", "ham": "chat"}, embedder=minilm)
    with pytest.raises(LabelwiseError, match="template"):
        ZeroShotLabeler(DESCRIPTIONS, embedder=minilm, template="no placeholder")


def test_zero_shot_calibration_learns_a_bias(minilm):
    with pytest.raises(NotFittedError, match="fit"):
        ZeroShotLabeler(DESCRIPTIONS, embedder=minilm, calibrate=True).label(SPAM[:1])
    zs = ZeroShotLabeler(DESCRIPTIONS, embedder=minilm, calibrate=True).fit(SPAM + HAM)
    assert zs.label(SPAM[:1]).votes[0] == zs.label(SPAM + HAM).votes[0]  # alone == in a batch
    raw = zs.similarities(SPAM + HAM)
    np.testing.assert_allclose(zs.bias_, raw.mean(axis=0), atol=1e-6)
    sv = zs.label(SPAM + HAM)
    assert (sv.votes[:4] == zs.label_space_.index("spam")).all()


def test_fit_threshold_on_gold(zero_shot):
    gold = ["spam"] * 4 + ["ham"] * 4
    labeler = ZeroShotLabeler(DESCRIPTIONS, embedder=zero_shot.embedder)
    labeler.fit_threshold(SPAM + HAM, gold, target_accuracy=1.0)
    assert 0.5 <= labeler.min_confidence <= 1.0
    assert (labeler.predict(SPAM + HAM) != ABSTAIN).all()
    wrong = ["ham"] * 4 + ["spam"] * 4
    with pytest.warns(UserWarning, match="abstain everywhere"):
        labeler.fit_threshold(SPAM + HAM, wrong, target_accuracy=0.9)
    assert (labeler.predict(SPAM + HAM) == ABSTAIN).all()


def test_as_lf_runs_in_the_applier_and_matches_label(zero_shot):
    df = pd.DataFrame({"sms": SPAM + HAM + [None]})
    lf = zero_shot.as_lf("sms", name="zs_sms")
    L = LFApplier([lf], label_space=zero_shot.label_space_).apply(df)
    assert isinstance(L, LabelMatrix) and L.names == ["zs_sms"]
    assert L.values[:, 0].tolist() == zero_shot.label(df["sms"]).votes.tolist()
    assert L.values[-1, 0] == ABSTAIN
    assert lf({"sms": SPAM[0]}) == zero_shot.label_space_.index("spam")  # the row form agrees


def test_few_shot_centroid_and_logistic(minilm):
    train_texts = SPAM[:3] + HAM[:3]
    train_y = ["spam"] * 3 + ["ham"] * 3
    test_texts = [SPAM[3], HAM[3]]
    for method in ("centroid", "logistic"):
        fs = FewShotLabeler(method=method, embedder=minilm, seed=0).fit(train_texts, train_y)
        assert fs.n_examples_ == {"ham": 3, "spam": 3}
        assert fs.label_space_.names == ["ham", "spam"]
        assert fs.predict(test_texts).tolist() == [1, 0], method
        p = fs.predict_proba(test_texts)
        assert p.shape == (2, 2) and np.allclose(p.sum(axis=1), 1)
    assert fs.centroids_.shape if hasattr(fs, "centroids_") else fs.model_.coef_.shape[1] == 384


def test_few_shot_ignores_unlabeled_rows_and_checks_inputs(minilm):
    fs = FewShotLabeler(embedder=minilm).fit(
        SPAM[:2] + HAM[:2] + ["unlabeled text", ""], ["spam", "spam", "ham", "ham", None, "ham"]
    )
    assert fs.n_examples_ == {"ham": 2, "spam": 2}
    with pytest.raises(LabelwiseError, match="at least 2 classes"):
        FewShotLabeler(embedder=minilm).fit(SPAM[:2], ["spam", "spam"])
    with pytest.raises(LabelwiseError, match="one per text"):
        FewShotLabeler(embedder=minilm).fit(SPAM[:2], ["spam"])
    with pytest.raises(LabelwiseError, match="method"):
        FewShotLabeler(method="knn")  # type: ignore[arg-type]
    with pytest.raises(NotFittedError, match="fit"):
        FewShotLabeler(embedder=minilm).label(["x"])
    # Integer labels with a named label space.
    fs = FewShotLabeler(embedder=minilm, label_space=["ham", "spam"]).fit(
        SPAM[:2] + HAM[:2], np.array([1, 1, 0, ABSTAIN])
    )
    assert fs.n_examples_ == {"ham": 1, "spam": 2}


def test_zero_shot_labeler_pickles_with_its_minilm_embedder(zero_shot):
    import pickle

    clone = pickle.loads(pickle.dumps(zero_shot))
    assert (
        clone.label(SPAM[:1] + HAM[:1]).votes.tolist()
        == zero_shot.label(SPAM[:1] + HAM[:1]).votes.tolist()
    )


def test_zero_shot_from_class_names_alone(minilm):
    zs = ZeroShotLabeler(["sports", "cooking"], embedder=minilm)
    assert zs.descriptions == {"sports": ["sports"], "cooking": ["cooking"]}
    votes = zs.label(
        ["the team won the match in extra time", "add garlic and basil to the pasta sauce"]
    )
    assert votes.votes.tolist() == [
        zs.label_space_.index("sports"),
        zs.label_space_.index("cooking"),
    ]
