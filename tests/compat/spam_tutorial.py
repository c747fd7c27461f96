"""Snorkel's spam tutorial, re-told on the SMS spam collection (written for this repo from
the tutorial's public description: keyword, regex, heuristic and preprocessor rules,
``LFAnalysis``, majority vote vs ``LabelModel``, ``filter_unlabeled_dataframe``).

Only the import block differs between Snorkel and labelwise: ``bench/snorkel_dropin.py``
runs this file with ``from snorkel.labeling ...`` imports, the tests with
``labelwise.compat.snorkel``. ``run(df_train, df_test, Y_test)`` returns the results.
"""

# --- imports (the only lines that change) ---
# --- end of imports ---
import re

from labelwise.compat.snorkel import (
    LabelingFunction,
    LabelModel,
    LFAnalysis,
    MajorityLabelVoter,
    PandasLFApplier,
    filter_unlabeled_dataframe,
    labeling_function,
    preprocessor,
)

ABSTAIN = -1
HAM = 0
SPAM = 1


@labeling_function()
def check(x):
    return SPAM if "check" in x.text.lower() else ABSTAIN


@labeling_function()
def check_out(x):
    return SPAM if "check out" in x.text.lower() else ABSTAIN


@labeling_function()
def regex_check_out(x):
    return SPAM if re.search(r"check.*out", x.text, flags=re.I) else ABSTAIN


@labeling_function()
def short_comment(x):
    """Ham messages are often short."""
    return HAM if len(x.text.split()) < 5 else ABSTAIN


@labeling_function()
def has_number(x):
    return SPAM if re.search(r"\d{5,}", x.text) else ABSTAIN


def keyword_lookup(x, keywords, label):
    if any(word in x.text.lower() for word in keywords):
        return label
    return ABSTAIN


def make_keyword_lf(keywords, label=SPAM):
    return LabelingFunction(
        name=f"keyword_{keywords[0]}",
        f=keyword_lookup,
        resources=dict(keywords=keywords, label=label),
    )


keyword_my = make_keyword_lf(keywords=["my"], label=HAM)
keyword_free = make_keyword_lf(keywords=["free", "win", "prize"])
keyword_txt = make_keyword_lf(keywords=["txt", "text"])
keyword_please = make_keyword_lf(keywords=["please", "plz"], label=HAM)


@preprocessor(memoize=True)
def shouting(x):
    """Share of upper-case letters (stands in for the tutorial's TextBlob scores)."""
    letters = [c for c in x.text if c.isalpha()]
    x.caps = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    return x


@labeling_function(pre=[shouting])
def mostly_caps(x):
    return SPAM if x.caps > 0.4 else ABSTAIN


@labeling_function(pre=[shouting])
def calm(x):
    return HAM if x.caps < 0.05 else ABSTAIN


@labeling_function()
def row_label_even(x):
    """Uses the row object as a pandas Series: ``x.name`` is the row's index label."""
    return HAM if x.name % 7 == 0 and x.notna().all() and len(x.text) < 20 else ABSTAIN


lfs = [
    check,
    check_out,
    regex_check_out,
    short_comment,
    has_number,
    keyword_my,
    keyword_free,
    keyword_txt,
    keyword_please,
    mostly_caps,
    calm,
    row_label_even,
]


def run(df_train, df_test, Y_test):
    applier = PandasLFApplier(lfs=lfs)
    L_train = applier.apply(df=df_train)
    L_test = applier.apply(df=df_test)
    summary = LFAnalysis(L=L_train, lfs=lfs).lf_summary()

    majority_model = MajorityLabelVoter()
    majority_model.predict(L=L_train)
    majority_acc = majority_model.score(L=L_test, Y=Y_test, tie_break_policy="random")["accuracy"]

    label_model = LabelModel(cardinality=2, verbose=True)
    label_model.fit(L_train=L_train, n_epochs=500, log_freq=100, seed=123)
    label_model_acc = label_model.score(L=L_test, Y=Y_test, tie_break_policy="random")["accuracy"]
    probs_train = label_model.predict_proba(L=L_train)
    df_train_filtered, probs_train_filtered = filter_unlabeled_dataframe(
        X=df_train, y=probs_train, L=L_train
    )
    return {
        "L_train": L_train,
        "L_test": L_test,
        "summary": summary,
        "majority_acc": majority_acc,
        "label_model_acc": label_model_acc,
        "n_filtered": len(df_train_filtered),
        "probs_filtered": probs_train_filtered,
    }
