"""Safe questions over the UCI Adult table: the LLM plans, labelwise executes.

The model answers each question with a plan in labelwise's small operation language
(filter, select, group-by, aggregate, sort, describe, value counts, chart); labelwise
validates the plan against the table and runs it with pandas. Generated code is never run.

With ``--base-url``/``--model`` (or ``$OPENAI_BASE_URL`` / ``$OPENAI_API_KEY``) a real model
writes the plans. Without them a local protocol server answers with a tiny pattern-based
planner (a stand-in for a model that knows three phrasings), so the example runs offline::

    .venv/bin/python examples/llm_ask_adult.py [--out llm_ask_out] ["your question" ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "tabular" / "adult.csv"
QUESTIONS = [
    "average age per income group",
    "how many people per workclass",
    "average hours.per.week per education for people older than 50",
]


def _column(word: str, request: Any) -> str:
    """The table column a word names (the prompt lists the columns)."""
    names = re.findall(r"^- (\S+) \(", request.user, flags=re.M)
    for name in names:
        if name.lower() == word.lower() or name.lower().startswith(word.lower()):
            return name
    return word


def _stand_in_planner(request: Any) -> str:
    """Plans for 'average X per Y [for people older than N]' and 'how many people per Y'."""
    q = request.user.rsplit("Question:", 1)[-1].strip().lower()
    steps: list[dict[str, Any]] = []
    older = re.search(r"older than (\d+)", q)
    if older:
        steps.append(
            {
                "op": "filter",
                "conditions": [{"column": "age", "cmp": ">", "value": int(older.group(1))}],
            }
        )
    m = re.match(r"average (\S+) per (\S+)", q)
    if m:
        x, by = _column(m.group(1), request), _column(m.group(2), request)
        name = f"mean_{x}"
        steps += [
            {
                "op": "group_by",
                "by": [by],
                "aggregations": [{"column": x, "func": "mean", "name": name}],
            },
            {"op": "sort", "by": [name], "descending": True},
        ]
        chart = {"kind": "barh" if "education" in by else "bar", "x": by, "y": name, "title": q}
        return json.dumps(
            {"explanation": f"Mean {x} for each {by}.", "steps": steps, "chart": chart}
        )
    m = re.match(r"how many \S+ per (\S+)", q)
    if m:
        by = _column(m.group(1), request)
        steps.append({"op": "value_counts", "column": by})
        return json.dumps(
            {
                "explanation": f"Rows per {by}.",
                "steps": steps,
                "chart": {"kind": "barh", "x": by, "y": "count"},
            }
        )
    return json.dumps({"explanation": "Summary statistics.", "steps": [{"op": "describe"}]})


def run(
    questions: list[str],
    path: Path = DATA,
    *,
    base_url: str | None = None,
    model: str | None = None,
    out: Path = Path("llm_ask_out"),
) -> list[Any]:
    from labelwise.llm import LocalChatServer, ask, connect

    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: this example reads ../shared/datasets/tabular/adult.csv"
        )
    df = pd.read_csv(path)
    out.mkdir(parents=True, exist_ok=True)
    use_real = bool(
        base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")
    )
    server = None if use_real else LocalChatServer(_stand_in_planner).start()
    results = []
    try:
        client = connect(
            base_url=base_url if use_real else server.base_url,  # type: ignore[union-attr]
            model=model if use_real else "planner-stand-in",
            cache=out / "llm_cache.sqlite",
        )
        for i, q in enumerate(questions):
            result = ask(df, q, client=client)
            print(result.to_text(max_rows=12))
            if result.chart_png is not None:
                print(f"chart: {result.save_chart(out / f'answer_{i}.png')}")
            print()
            results.append(result)
    finally:
        if server is not None:
            server.stop()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="*", default=QUESTIONS)
    ap.add_argument(
        "--base-url", default=None, help="OpenAI-compatible server (default: offline stand-in)"
    )
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=Path("llm_ask_out"))
    args = ap.parse_args()
    run(args.questions, base_url=args.base_url, model=args.model, out=args.out)


if __name__ == "__main__":
    main()
