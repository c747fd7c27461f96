"""An LLM as one more labeler on the SMS Spam Collection, next to keyword rules.

Steps:

1. calibrate the LLM on a small gold set (``--gold`` messages with their labels) and pick
   the abstain threshold that reaches ``--target-precision`` on it;
2. label ``--n`` further messages: one label-matrix column, abstaining where unsure;
3. put it beside three keyword rules and aggregate with majority vote;
4. compare each column and the aggregate with the true labels, and write HTML reports.

With ``--base-url``/``--model`` (or ``$OPENAI_BASE_URL`` / ``$OPENAI_API_KEY``) it uses a
real model, e.g. Ollama: ``--base-url http://127.0.0.1:11434/v1 --model llama3.1``. Without
them it starts labelwise's local protocol server with a small keyword stand-in instead of a
model, so the whole path (HTTP, cache, calibration, reports) runs offline; its numbers then
say nothing about LLM quality. Run::

    .venv/bin/python examples/llm_sms_spam.py [--n 1000] [--gold 200] [--out llm_sms_out]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "text" / "sms_spam.tsv"
STAND_IN_HINTS = ("free", "win", "prize", "claim", "urgent", "txt", "cash", "£", "reply", "mobile")


def _stand_in(request: Any) -> Any:
    """A keyword stand-in for a model: spam when a hint word appears, less sure on one hint."""
    from labelwise.llm.server import Reply

    hits = sum(h in request.item.lower() for h in STAND_IN_HINTS)
    label = "spam" if hits else "ham"
    return Reply(json.dumps({"label": label}), logprob=-0.02 if hits != 1 else -0.8)


def run(
    path: Path = DATA,
    *,
    n: int = 1000,
    gold: int = 200,
    target_precision: float = 0.95,
    base_url: str | None = None,
    model: str | None = None,
    out: Path = Path("llm_sms_out"),
) -> pd.DataFrame:
    """Accuracy and coverage of each labeler and of the aggregate on the labeled messages."""
    from labelwise.labeling import ABSTAIN, LabelMatrix
    from labelwise.labeling.apply import LFApplier
    from labelwise.labeling.lf import keyword
    from labelwise.llm import ClassifyTask, LLMLabeler, LocalChatServer, connect
    from labelwise.models import MajorityVote

    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: this example reads ../shared/datasets/text/sms_spam.tsv"
        )
    df = pd.read_csv(path, sep="\t").sample(frac=1.0, random_state=0).reset_index(drop=True)
    gold_df, df = df.iloc[:gold], df.iloc[gold : gold + n].reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)

    use_real = bool(
        base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")
    )
    server = None if use_real else LocalChatServer(_stand_in).start()
    try:
        client = connect(
            base_url=base_url if use_real else server.base_url,  # type: ignore[union-attr]
            model=model if use_real else "keyword-stand-in",
            cache=out / "llm_cache.sqlite",
        )
        task = ClassifyTask(
            ["ham", "spam"],
            instructions="Is this SMS message spam (unsolicited advertising, prizes, scams)?",
        )
        labeler = LLMLabeler(task, client=client, name="llm")
        labeler.fit(gold_df["SMS"], gold_df["Label"], target_precision=target_precision)
        L_llm = labeler.label(df["SMS"]).to_label_matrix()
        labeler.run_.report(out / "llm_run.html")
        labeler.calibration_report(out / "llm_calibration.html")
    finally:
        if server is not None:
            server.stop()

    rules = [
        keyword("SMS", ["free", "prize", "winner", "claim"], 1, name="kw_prize"),
        keyword("SMS", ["txt", "text", "reply", "stop"], 1, name="kw_text_to"),
        keyword("SMS", ["lol", "later", "home", "love"], 0, name="kw_personal"),
    ]
    L_rules = LFApplier(rules).apply(df)
    L = LabelMatrix(L_rules.values, names=L_rules.names, cardinality=2).hstack(L_llm)
    y = (df["Label"] == "spam").astype(int).to_numpy()
    rows = []
    for j, name in enumerate(L.names):
        votes = L.values[:, j]
        voted = votes != ABSTAIN
        rows.append(
            {
                "labeler": name,
                "coverage": voted.mean(),
                "accuracy (where voting)": (votes[voted] == y[voted]).mean()
                if voted.any()
                else np.nan,
            }
        )
    pred = MajorityVote(cardinality=2).fit(L.values).predict(L.values)
    voted = pred != ABSTAIN
    rows.append(
        {
            "labeler": "majority vote",
            "coverage": voted.mean(),
            "accuracy (where voting)": (pred[voted] == y[voted]).mean(),
        }
    )
    table = pd.DataFrame(rows)
    threshold = labeler.threshold_
    print(labeler.run_.summary())
    if threshold is not None:
        print(
            f"threshold {threshold.threshold:.3f} (calibrated) for precision >= {target_precision}: "
            f"gold precision {threshold.precision:.3f}, coverage {threshold.coverage:.3f}"
        )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"reports: {out / 'llm_run.html'}, {out / 'llm_calibration.html'}")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="messages to label")
    ap.add_argument("--gold", type=int, default=200, help="gold messages for calibration")
    ap.add_argument("--target-precision", type=float, default=0.95)
    ap.add_argument(
        "--base-url", default=None, help="OpenAI-compatible server (default: offline stand-in)"
    )
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=Path("llm_sms_out"))
    args = ap.parse_args()
    run(
        n=args.n,
        gold=args.gold,
        target_precision=args.target_precision,
        base_url=args.base_url,
        model=args.model,
        out=args.out,
    )


if __name__ == "__main__":
    main()
