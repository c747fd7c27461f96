"""Honest labeling rules for five real datasets, one-sided and two-sided sets.

Used by ``bench/label_models_real.py``. Each rule was written from a look at the data's
documentation and distributions (not tuned on the gold labels): a *one-sided* set has
rules that each vote a single class (the usual "this looks like X" heuristic, so the
classes are covered unevenly), a *two-sided* set has rules that vote both ways around a
cut-off.

Datasets: UCI Adult (``shared/datasets/tabular/adult.csv``), heart failure
(``tabular/heart_failure.csv``), SMS spam (``text/sms_spam.tsv``) and scikit-learn's
bundled wine and breast cancer tables (no download).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.labeling import ABSTAIN, in_range, is_in, keyword, labeling_function, regex
from labelwise.labeling import threshold as th

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@dataclass
class RuleSet:
    dataset: str
    kind: str  # "one-sided" | "two-sided"
    k: int
    load: Callable[[], tuple[Any, np.ndarray]]  # -> (frame, gold classes)
    rules: Callable[[], list[Any]]


def _two_sided(column: str, cut: float, below: int, above: int, name: str) -> Any:
    """Vote ``below`` under the cut-off and ``above`` over it."""
    from labelwise.labeling import VectorizedLabelingFunction

    def vec(df: Any) -> np.ndarray:
        import pandas as pd

        col = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
        out = np.full(len(col), ABSTAIN, dtype=np.int32)
        out[col < cut] = below
        out[col >= cut] = above
        return out

    return VectorizedLabelingFunction(name, vec, columns=[column])


# ---------------------------------------------------------------------------- Adult
def load_adult() -> tuple[Any, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(DATA / "tabular" / "adult.csv", na_values=["?"])
    y = (df["income"] == ">50K").to_numpy().astype(np.int64)
    return df.drop(columns=["income"]), y


def adult_one_sided() -> list[Any]:
    from labelwise.demo import sample_rules_path
    from labelwise.labeling import load_rules

    return list(load_rules(sample_rules_path()).lfs)


def adult_two_sided() -> list[Any]:
    return [
        _two_sided("age", 30, 0, 1, "age_30"),
        _two_sided("education.num", 13, 0, 1, "degree"),
        _two_sided("hours.per.week", 45, 0, 1, "long_hours"),
        _two_sided("capital.gain", 5000, 0, 1, "capital_gain"),
        is_in("marital.status", ["Married-civ-spouse"], 1, name="married"),
        is_in("marital.status", ["Never-married", "Divorced", "Separated"], 0, name="single"),
    ]


# ---------------------------------------------------------------------------- heart failure
def load_heart() -> tuple[Any, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(DATA / "tabular" / "heart_failure.csv")
    return df.drop(columns=["DEATH_EVENT"]), df["DEATH_EVENT"].to_numpy().astype(np.int64)


def heart_one_sided() -> list[Any]:
    DIED, SURVIVED = 1, 0
    return [
        th("time", "<", 50, DIED, name="short_follow_up"),
        th("ejection_fraction", "<", 30, DIED, name="low_ejection"),
        th("serum_creatinine", ">", 1.8, DIED, name="high_creatinine"),
        th("age", ">", 75, DIED, name="old"),
        th("serum_sodium", "<", 133, DIED, name="low_sodium"),
        th("time", ">", 150, SURVIVED, name="long_follow_up"),
        th("ejection_fraction", ">=", 40, SURVIVED, name="good_ejection"),
        th("serum_creatinine", "<", 1.1, SURVIVED, name="normal_creatinine"),
    ]


def heart_two_sided() -> list[Any]:
    return [
        _two_sided("time", 100, 1, 0, "follow_up_100"),
        _two_sided("ejection_fraction", 35, 1, 0, "ejection_35"),
        _two_sided("serum_creatinine", 1.5, 0, 1, "creatinine_1_5"),
        _two_sided("age", 70, 0, 1, "age_70"),
        _two_sided("serum_sodium", 135, 1, 0, "sodium_135"),
    ]


# ---------------------------------------------------------------------------- SMS spam
def load_sms() -> tuple[Any, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(DATA / "text" / "sms_spam.tsv", sep="\t", quoting=3)
    df = df.rename(columns={"SMS": "text"})
    y = (df["Label"] == "spam").to_numpy().astype(np.int64)
    return df.drop(columns=["Label"]), y


def sms_one_sided() -> list[Any]:
    HAM, SPAM = 0, 1

    @labeling_function()
    def short_chat(x: Any) -> int:
        return HAM if len(x.text) < 30 and not any(c.isdigit() for c in x.text) else ABSTAIN

    @labeling_function()
    def first_person(x: Any) -> int:
        words = x.text.lower().split()
        return HAM if ("i'm" in words or "i'll" in words or "my" in words) else ABSTAIN

    return [
        keyword("text", ["free", "winner", "prize", "claim", "urgent"], SPAM, name="spam_words"),
        regex("text", r"\b(txt|text|call)\b.*\d{4,}", SPAM, name="call_number"),
        regex("text", r"https?://|www\.", SPAM, name="link"),
        regex("text", r"£|\$\d", SPAM, name="money"),
        keyword("text", ["stop", "unsubscribe", "optout"], SPAM, name="opt_out"),
        short_chat,
        first_person,
        keyword("text", ["lol", "haha", "ok", "love", "home"], HAM, name="chat_words"),
    ]


def sms_two_sided() -> list[Any]:
    HAM, SPAM = 0, 1

    @labeling_function()
    def long_with_digits(x: Any) -> int:
        digits = sum(c.isdigit() for c in x.text)
        return SPAM if digits >= 5 else HAM

    @labeling_function()
    def length(x: Any) -> int:
        return SPAM if len(x.text) > 120 else HAM

    @labeling_function()
    def shouting(x: Any) -> int:
        letters = [c for c in x.text if c.isalpha()]
        if not letters:
            return ABSTAIN
        caps = sum(c.isupper() for c in letters) / len(letters)
        return SPAM if caps > 0.3 else HAM

    return [
        long_with_digits,
        length,
        shouting,
        keyword("text", ["free", "winner", "prize", "claim"], SPAM, name="spam_words"),
        keyword("text", ["lol", "haha", "ok", "love"], HAM, name="chat_words"),
    ]


# ---------------------------------------------------------------------------- sklearn
def load_wine() -> tuple[Any, np.ndarray]:
    from sklearn.datasets import load_wine as _load

    bunch = _load(as_frame=True)
    return bunch.frame.drop(columns=["target"]), bunch.target.to_numpy().astype(np.int64)


def wine_one_sided() -> list[Any]:
    return [
        th("proline", ">", 1000, 0, name="high_proline"),
        th("alcohol", ">", 13.5, 0, name="strong"),
        th("alcohol", "<", 12.3, 1, name="light"),
        th("color_intensity", "<", 3.5, 1, name="pale"),
        th("flavanoids", "<", 1.2, 2, name="low_flavanoids"),
        th("hue", "<", 0.75, 2, name="low_hue"),
        th("color_intensity", ">", 7, 2, name="dark"),
    ]


def wine_two_sided() -> list[Any]:
    return [
        _two_sided("proline", 750, 1, 0, "proline_750"),
        _two_sided("flavanoids", 1.5, 2, 0, "flavanoids_1_5"),
        _two_sided("color_intensity", 3.8, 1, 2, "colour_3_8"),
        _two_sided("alcohol", 12.8, 1, 0, "alcohol_12_8"),
        _two_sided("hue", 0.8, 2, 1, "hue_0_8"),
    ]


def load_cancer() -> tuple[Any, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    return bunch.frame.drop(columns=["target"]), bunch.target.to_numpy().astype(np.int64)


def cancer_one_sided() -> list[Any]:
    MALIGNANT, BENIGN = 0, 1
    return [
        th("worst concave points", ">", 0.17, MALIGNANT, name="concave"),
        th("worst area", ">", 1100, MALIGNANT, name="large_area"),
        th("mean radius", ">", 16, MALIGNANT, name="large_radius"),
        th("worst texture", ">", 30, MALIGNANT, name="rough"),
        th("worst concave points", "<", 0.09, BENIGN, name="smooth"),
        th("worst area", "<", 600, BENIGN, name="small_area"),
        in_range("mean radius", 0, 12, BENIGN, name="small_radius"),
    ]


def cancer_two_sided() -> list[Any]:
    return [
        _two_sided("worst concave points", 0.14, 1, 0, "concave_0_14"),
        _two_sided("worst area", 880, 1, 0, "area_880"),
        _two_sided("mean radius", 14.5, 1, 0, "radius_14_5"),
        _two_sided("worst texture", 26, 1, 0, "texture_26"),
        _two_sided("mean concavity", 0.1, 1, 0, "concavity_0_1"),
    ]


RULE_SETS: list[RuleSet] = [
    RuleSet("adult", "one-sided", 2, load_adult, adult_one_sided),
    RuleSet("adult", "two-sided", 2, load_adult, adult_two_sided),
    RuleSet("heart_failure", "one-sided", 2, load_heart, heart_one_sided),
    RuleSet("heart_failure", "two-sided", 2, load_heart, heart_two_sided),
    RuleSet("sms_spam", "one-sided", 2, load_sms, sms_one_sided),
    RuleSet("sms_spam", "two-sided", 2, load_sms, sms_two_sided),
    RuleSet("wine", "one-sided", 3, load_wine, wine_one_sided),
    RuleSet("wine", "two-sided", 3, load_wine, wine_two_sided),
    RuleSet("breast_cancer", "one-sided", 2, load_cancer, cancer_one_sided),
    RuleSet("breast_cancer", "two-sided", 2, load_cancer, cancer_two_sided),
]
