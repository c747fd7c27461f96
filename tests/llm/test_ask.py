"""Safe table questions: a validated plan language, a strict executor, never code."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from labelwise.llm import LLMClient, LocalChatServer, PlanError, ask, execute_plan
from labelwise.llm.ask import Plan, describe_table, plan_to_text, render_chart
from labelwise.llm.server import ChatRequest

MakeClient = Callable[..., LLMClient]


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [25, 38, 52, 46, 29, 61],
            "income": ["<=50K", ">50K", ">50K", "<=50K", "<=50K", ">50K"],
            "hours.per.week": [40, 50, 45, 38, 20, 60],
            "sex": ["Female", "Male", "Male", "Female", "Male", "Female"],
            "note": ["a", None, "b", "c", None, "d"],
        }
    )


def test_group_by_mean_matches_pandas(people: pd.DataFrame) -> None:
    plan = {
        "steps": [
            {
                "op": "group_by",
                "by": ["income"],
                "aggregations": [
                    {"column": "age", "func": "mean", "name": "avg_age"},
                    {"func": "size", "name": "n"},
                ],
            },
            {"op": "sort", "by": ["avg_age"], "descending": True},
        ]
    }
    out = execute_plan(people, plan)
    expected = people.groupby("income")["age"].mean().sort_values(ascending=False)
    assert out["income"].tolist() == expected.index.tolist()
    assert out["avg_age"].tolist() == pytest.approx(expected.tolist())
    assert out["n"].tolist() == [3, 3]


def test_filter_select_limit_and_comparisons(people: pd.DataFrame) -> None:
    plan = {
        "steps": [
            {
                "op": "filter",
                "conditions": [
                    {"column": "age", "cmp": ">=", "value": "30"},
                    {"column": "sex", "cmp": "in", "value": ["Male"]},
                ],
            },
            {"op": "select", "columns": ["age", "income"]},
            {"op": "sort", "by": ["age"]},
            {"op": "limit", "n": 1},
        ]
    }
    assert execute_plan(people, plan).to_dict(orient="records") == [{"age": 38, "income": ">50K"}]
    either = {
        "steps": [
            {
                "op": "filter",
                "combine": "or",
                "conditions": [
                    {"column": "age", "cmp": "<", "value": 26},
                    {"column": "income", "cmp": "contains", "value": "<="},
                ],
            }
        ]
    }
    assert len(execute_plan(people, either)) == 3
    nulls = {"steps": [{"op": "filter", "conditions": [{"column": "note", "cmp": "is_null"}]}]}
    assert len(execute_plan(people, nulls)) == 2
    not_in = {
        "steps": [
            {"op": "filter", "conditions": [{"column": "sex", "cmp": "not_in", "value": ["Male"]}]}
        ]
    }
    assert set(execute_plan(people, not_in)["sex"]) == {"Female"}


def test_aggregate_describe_and_value_counts(people: pd.DataFrame) -> None:
    agg = execute_plan(
        people,
        {
            "steps": [
                {
                    "op": "aggregate",
                    "aggregations": [
                        {"column": "hours.per.week", "func": "max"},
                        {"column": "sex", "func": "nunique"},
                        {"func": "count"},
                    ],
                }
            ]
        },
    )
    assert agg.to_dict(orient="records") == [
        {"max_hours.per.week": 60, "nunique_sex": 2, "count": 6}
    ]
    desc = execute_plan(people, {"steps": [{"op": "describe", "columns": ["age"]}]})
    assert desc["column"].tolist() == ["age"] and desc["mean"].iloc[0] == pytest.approx(
        people["age"].mean()
    )
    vc = execute_plan(
        people, {"steps": [{"op": "value_counts", "column": "income", "normalize": True, "top": 1}]}
    )
    assert vc.columns.tolist() == ["income", "share"] and vc["share"].iloc[0] == pytest.approx(0.5)


def test_column_names_are_checked_with_suggestions(people: pd.DataFrame) -> None:
    with pytest.raises(
        PlanError, match=r"step 1 \(group_by\): no column 'incme'; did you mean \['income'\]"
    ):
        execute_plan(
            people,
            {"steps": [{"op": "group_by", "by": ["incme"], "aggregations": [{"func": "size"}]}]},
        )
    notes: list[str] = []
    out = execute_plan(
        people, {"steps": [{"op": "select", "columns": ["Hours_Per_Week"]}]}, notes=notes
    )
    assert out.columns.tolist() == ["hours.per.week"]
    assert notes == ["step 1 (select): column 'Hours_Per_Week' read as 'hours.per.week'"]
    # Columns are checked against the table *at that step*.
    with pytest.raises(PlanError, match="step 2 .*no column 'sex'"):
        execute_plan(
            people, {"steps": [{"op": "select", "columns": ["age"]}, {"op": "sort", "by": ["sex"]}]}
        )


def test_type_errors_are_explained(people: pd.DataFrame) -> None:
    with pytest.raises(PlanError, match="mean needs a numeric column, but 'sex'"):
        execute_plan(
            people,
            {"steps": [{"op": "aggregate", "aggregations": [{"column": "sex", "func": "mean"}]}]},
        )
    with pytest.raises(PlanError, match="numeric but the value 'old' is not a number"):
        execute_plan(
            people,
            {
                "steps": [
                    {"op": "filter", "conditions": [{"column": "age", "cmp": ">", "value": "old"}]}
                ]
            },
        )
    with pytest.raises(PlanError, match="needs a numeric column, but 'sex' holds text"):
        execute_plan(
            people,
            {
                "steps": [
                    {"op": "filter", "conditions": [{"column": "sex", "cmp": ">", "value": "M"}]}
                ]
            },
        )


def test_code_in_a_plan_is_never_executed(people: pd.DataFrame, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    with pytest.raises(PlanError, match="does not follow the operation language"):
        execute_plan(people, {"steps": [{"op": "eval", "expr": payload}]})
    with pytest.raises(PlanError, match="does not follow"):
        execute_plan(
            people,
            {
                "steps": [
                    {
                        "op": "filter",
                        "conditions": [{"column": "age", "cmp": "==", "value": 1}],
                        "query": payload,
                    }
                ]
            },
        )
    # A code-looking value is data: it is compared, never run.
    plan = {
        "steps": [
            {"op": "filter", "conditions": [{"column": "sex", "cmp": "==", "value": payload}]}
        ]
    }
    assert len(execute_plan(people, plan)) == 0
    with pytest.raises(PlanError, match="no column"):
        execute_plan(people, {"steps": [{"op": "select", "columns": [payload]}]})
    assert not marker.exists()


def test_chart_rendering(people: pd.DataFrame) -> None:
    table = execute_plan(
        people,
        {
            "steps": [
                {
                    "op": "group_by",
                    "by": ["sex"],
                    "aggregations": [{"column": "age", "func": "mean"}],
                }
            ]
        },
    )
    plan = Plan.model_validate({"chart": {"kind": "bar", "x": "sex", "y": "mean_age"}})
    assert plan.chart is not None
    png = render_chart(table, plan.chart)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size[0] > 200
    for kind in ("barh", "line", "pie"):
        assert render_chart(table, plan.chart.model_copy(update={"kind": kind})).startswith(
            b"\x89PNG"
        )
    assert render_chart(
        people, plan.chart.model_copy(update={"kind": "hist", "x": "age", "y": None})
    ).startswith(b"\x89PNG")
    scatter = plan.chart.model_copy(update={"kind": "scatter", "x": "age", "y": "hours.per.week"})
    assert render_chart(people, scatter).startswith(b"\x89PNG")
    with pytest.raises(PlanError, match="numeric y"):
        render_chart(table, plan.chart.model_copy(update={"y": "sex"}))


def test_describe_table_can_hide_values(people: pd.DataFrame) -> None:
    full = describe_table(people)
    assert "6 rows" in full and "- age (number): min 25, max 61" in full and "'<=50K'" in full
    assert "- note (text, 2 missing)" in full
    private = describe_table(people, share_values=False)
    assert "<=50K" not in private and "- income (text)" in private


def _planner(plan: Mapping[str, Any]) -> Callable[[ChatRequest], str]:
    return lambda req: json.dumps(plan)


def test_ask_average_age_per_income_group_on_adult(
    shared_datasets: Path, make_client: MakeClient, test_output: Path
) -> None:
    df = pd.read_csv(shared_datasets / "tabular" / "adult.csv")
    plan = {
        "explanation": "Mean age for each income group.",
        "steps": [
            {
                "op": "group_by",
                "by": ["income"],
                "aggregations": [{"column": "age", "func": "mean", "name": "mean_age"}],
            }
        ],
        "chart": {
            "kind": "bar",
            "x": "income",
            "y": "mean_age",
            "title": "Average age per income group",
        },
    }
    with LocalChatServer(_planner(plan)) as srv:
        result = ask(df, "average age per income group", client=make_client(srv))
        req = srv.requests[0]
    assert "Question: average age per income group" in req.user
    assert "- hours.per.week (number)" in req.user and "32561 rows" in req.user
    assert req.schema is not None and "steps" in req.schema["properties"]
    expected = df.groupby("income")["age"].mean()
    assert result.table["income"].tolist() == expected.index.tolist()
    assert result.table["mean_age"].to_numpy() == pytest.approx(expected.to_numpy())
    assert not result.repaired
    assert result.chart_png is not None
    path = result.save_chart(test_output / "llm_ask_age_by_income.png")
    assert Image.open(path).format == "PNG"
    text = result.to_text()
    assert "group_by" in text and "Mean age for each income group." in text


def test_ask_repairs_a_plan_with_a_wrong_column(
    people: pd.DataFrame, make_client: MakeClient
) -> None:
    bad = {
        "steps": [
            {
                "op": "group_by",
                "by": ["income_group"],
                "aggregations": [{"column": "age", "func": "mean"}],
            }
        ]
    }
    good = {
        "steps": [
            {
                "op": "group_by",
                "by": ["income"],
                "aggregations": [{"column": "age", "func": "mean"}],
            }
        ]
    }
    answers = iter([json.dumps(bad), json.dumps(good)])
    with LocalChatServer(lambda req: next(answers)) as srv:
        result = ask(people, "average age per income group", client=make_client(srv))
        repair_msg = srv.requests[1].messages[-1]["content"]
    assert result.repaired and result.table["mean_age"].tolist() == pytest.approx(
        [100 / 3, 151 / 3]
    )
    assert "no column 'income_group'" in repair_msg and "did you mean" in repair_msg


def test_ask_gives_up_after_one_repair(people: pd.DataFrame, make_client: MakeClient) -> None:
    with LocalChatServer(lambda req: "import pandas; df.groupby('income').age.mean()") as srv:
        with pytest.raises(PlanError, match="invalid even after one repair"):
            ask(people, "average age per income group", client=make_client(srv))
        assert len(srv.requests) == 2
        with pytest.raises(PlanError, match="question is empty"):
            ask(people, "  ", client=make_client(srv))
        with pytest.raises(PlanError, match="DataFrame"):
            ask(pd.DataFrame(), "anything", client=make_client(srv))


def test_plan_to_text_is_readable() -> None:
    plan = Plan.model_validate({"steps": [{"op": "limit", "n": 3}], "chart": {"kind": "bar"}})
    assert plan_to_text(plan) == '1. limit {"n": 3}\nchart {"kind": "bar"}'
    assert plan_to_text(Plan()) == "(no steps: the whole table)"


def test_pandas_refusals_become_plan_errors() -> None:
    mixed = pd.DataFrame({"v": [1, "a", 2.5]}, dtype=object)
    with pytest.raises(PlanError, match=r"step 1 \(sort\): TypeError"):
        execute_plan(mixed, {"steps": [{"op": "sort", "by": ["v"]}]})
