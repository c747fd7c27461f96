"""Text labelers against the baselines they must beat (issue 15).

1. TF-IDF + logistic labeler vs plain scikit-learn ``TfidfVectorizer() +
   LogisticRegression()`` on the same stratified split of the SMS spam data (train sizes
   100, 500 and 80% of the data), accuracy and macro-F1 on the same test rows.
2. Zero-shot MiniLM labeling of SMS spam vs the majority-class baseline: accuracy over all
   messages, with and without the class-mean calibration, and with the abstain threshold
   learned from 50 gold messages (accuracy of the votes and coverage on the other rows).

Run: ``.venv/bin/python bench/text_labelers_vs_baselines.py [path/to/sms_spam.tsv]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from labelwise.text.models import TfidfLogisticLabeler

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "datasets" / "text" / "sms_spam.tsv"


def load(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    df = pd.read_csv(path, sep="\t", quoting=3, keep_default_na=False)
    names = ["ham", "spam"]
    return df["SMS"].astype(str).tolist(), df["Label"].map(names.index).to_numpy(), names


def tfidf_vs_sklearn(texts: list[str], y: np.ndarray, names: list[str]) -> list[dict]:
    rows = []
    for n_train in (100, 500, int(0.8 * len(texts))):
        accs: dict[str, list[float]] = {"labelwise": [], "sklearn": []}
        f1s: dict[str, list[float]] = {"labelwise": [], "sklearn": []}
        for seed in range(3):
            tr, te = train_test_split(
                np.arange(len(texts)), train_size=n_train, stratify=y, random_state=seed
            )
            xtr, xte = [texts[i] for i in tr], [texts[i] for i in te]
            ours = TfidfLogisticLabeler(label_space=names).fit(xtr, [names[i] for i in y[tr]])
            pred = ours.predict(xte)
            vec = TfidfVectorizer()
            base = LogisticRegression().fit(vec.fit_transform(xtr), y[tr])
            pred_b = base.predict(vec.transform(xte))
            for key, p in (("labelwise", pred), ("sklearn", pred_b)):
                accs[key].append(accuracy_score(y[te], p))
                f1s[key].append(f1_score(y[te], p, average="macro"))
        rows.append(
            {
                "train": n_train,
                "labelwise acc": np.mean(accs["labelwise"]),
                "sklearn acc": np.mean(accs["sklearn"]),
                "labelwise macro-F1": np.mean(f1s["labelwise"]),
                "sklearn macro-F1": np.mean(f1s["sklearn"]),
            }
        )
    return rows


def zero_shot_vs_majority(texts: list[str], y: np.ndarray, names: list[str]) -> list[dict]:
    from labelwise.embed import ZeroShotLabeler
    from labelwise.embed.zeroshot import choose_abstain_threshold, compare_with_majority

    gold = [names[i] for i in y]
    descriptions = {
        "ham": ["a personal message between friends or family"],
        "spam": ["an advertisement, a prize or an offer asking you to call or text"],
    }
    rows = []
    rng = np.random.default_rng(0)
    known = rng.choice(len(texts), size=50, replace=False)
    rest = np.setdiff1d(np.arange(len(texts)), known)
    for calibrate in (False, True):
        zs = ZeroShotLabeler(descriptions, calibrate=calibrate).fit(texts)
        sv = zs.label(texts)
        votes = np.asarray(sv.votes)
        conf = np.asarray(sv.confidence, dtype=float)
        full = compare_with_majority(votes, gold, names)
        g50 = [gold[i] if i in set(known.tolist()) else None for i in range(len(texts))]
        base50 = compare_with_majority(votes, g50, names)
        t = choose_abstain_threshold(
            conf, votes, g50, names, target=float(base50["majority_accuracy"])
        )
        kept = votes.copy()
        kept[~(conf >= (t if t is not None else np.inf))] = -1
        after = compare_with_majority(kept[rest], [gold[i] for i in rest], names)
        rows.append(
            {
                "calibrate": calibrate,
                "majority acc": full["majority_accuracy"],
                "zero-shot acc": full["accuracy"],
                "threshold (50 gold)": t,
                "acc of votes after abstain": after["accuracy_voted"],
                "coverage after abstain": after["coverage"],
            }
        )
    return rows


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    texts, y, names = load(path)
    print(f"# {path.name}: {len(texts)} messages, spam share {y.mean():.3f}")
    t0 = time.perf_counter()
    print("\n## TF-IDF + logistic: labelwise vs TfidfVectorizer() + LogisticRegression()")
    print(pd.DataFrame(tfidf_vs_sklearn(texts, y, names)).round(4).to_string(index=False))
    print(f"({time.perf_counter() - t0:.1f} s)")
    t0 = time.perf_counter()
    print("\n## Zero-shot MiniLM vs the majority class")
    print(pd.DataFrame(zero_shot_vs_majority(texts, y, names)).round(4).to_string(index=False))
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
