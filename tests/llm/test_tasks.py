"""Every task end to end over real HTTP: valid answers, repair, unknown names, span checks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import pytest

from labelwise.labeling import ABSTAIN
from labelwise.llm import (
    AspectSentimentTask,
    ClassifyTask,
    EntityTask,
    HeadlineTask,
    LLMClient,
    LLMConfigError,
    LocalChatServer,
    MultiLabelTask,
    RowClassifyTask,
    SummarizeTask,
    TaxonomyTask,
    run_task,
)
from labelwise.llm.server import Reply

MakeClient = Callable[..., LLMClient]
TAXONOMY = {
    "Order Status": ["Refund Status", "Shipping Status"],
    "Account": ["Password Reset", "Close Account"],
}


def test_classify_votes_and_sends_schema(server: LocalChatServer, make_client: MakeClient) -> None:
    task = ClassifyTask(["ham", "spam"], instructions="Is this SMS spam?")
    texts = ["See you at 6?", "WIN a FREE prize now", "Claim your cash", "lunch tomorrow"]
    run = run_task(task, texts, client=make_client(server))
    assert run.votes.tolist() == [0, 1, 1, 0]
    assert run.statuses.tolist() == ["ok"] * 4
    body = server.requests[0].body
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["label"]["enum"] == ["ham", "spam", "unsure"]
    assert body["temperature"] == 0.0 and body["logprobs"] is True
    assert "Is this SMS spam?" in server.requests[0].user
    L = run.to_label_matrix("llm_spam")
    assert L.label_space is not None and L.label_space.names == ["ham", "spam"]
    prov = L.provenance["llm_spam"]
    assert prov["model"] == "test-model" and prov["prompt_hash"] == task.prompt_hash
    assert prov["n_requests"] == 4 and prov["n_invalid"] == 0


def test_class_names_are_matched_forgivingly_and_unsure_abstains(make_client: MakeClient) -> None:
    answers = iter(['{"label": " SPAM "}', '{"label": "unsure"}', '{"label": null}'])
    with LocalChatServer(lambda req: next(answers)) as srv:
        run = run_task(
            ClassifyTask(["ham", "spam"]), ["a", "b", "c"], client=make_client(srv, concurrency=1)
        )
    assert run.votes.tolist() == [1, ABSTAIN, ABSTAIN]
    assert run.statuses.tolist() == ["ok", "unsure", "unsure"]


def test_malformed_json_then_repair(server: LocalChatServer, make_client: MakeClient) -> None:
    server.script(Reply("{label: spam"))
    run = run_task(ClassifyTask(["ham", "spam"]), ["free cash now"], client=make_client(server))
    assert run.statuses.tolist() == ["repaired"] and run.votes.tolist() == [1]
    assert len(server.requests) == 2
    repair = server.requests[1]
    assert repair.is_repair
    assert repair.messages[-2] == {"role": "assistant", "content": "{label: spam"}
    assert "not valid JSON" in repair.messages[-1]["content"]
    assert run.stats["n_repaired"] == 1
    assert run.to_label_matrix().provenance["llm"]["n_repaired"] == 1


def test_invalid_twice_abstains_and_is_counted(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    server.script(Reply("I think it is spam"), Reply("Definitely spam!"))
    run = run_task(ClassifyTask(["ham", "spam"]), ["free cash"], client=make_client(server))
    assert run.statuses.tolist() == ["invalid"] and run.votes.tolist() == [ABSTAIN]
    assert "after repair" in (run.results[0].error or "")
    assert run.to_label_matrix().provenance["llm"]["n_invalid"] == 1


def test_unknown_category_gets_one_repair_then_abstains(make_client: MakeClient) -> None:
    with LocalChatServer(lambda req: '{"label": "phishing"}') as srv:
        task = ClassifyTask(["ham", "spam"], response_mode="json_object")
        run = run_task(task, ["hello", "free prize"], client=make_client(srv, concurrency=1))
        assert len(srv.requests) == 4
        assert "phishing" in srv.requests[1].messages[-1]["content"]
        assert "['ham', 'spam']" in srv.requests[1].messages[-1]["content"]
        assert srv.requests[0].body["response_format"] == {"type": "json_object"}
    assert run.statuses.tolist() == ["unknown_label", "unknown_label"]
    assert run.stats["n_unknown_label"] == 2 and run.stats["coverage"] == 0.0
    prov = run.to_label_matrix().provenance["llm"]
    assert prov["n_unknown_label"] == 2 and prov["n_abstained"] == 2


def test_few_shot_examples_and_prompt_overrides(make_client: MakeClient) -> None:
    task = ClassifyTask(
        ["ham", "spam"],
        examples=[("You won a car", "spam"), ("Dinner at 8", "ham")],
        system_prompt="You label SMS messages.",
        user_template='Message: """{text}"""\nClasses: {categories}\n{examples}Answer as JSON.',
        response_mode="none",
    )
    with LocalChatServer(lambda req: 'Sure: {"label": "spam"}') as srv:
        run = run_task(task, ["win big"], client=make_client(srv))
    req = srv.requests[0]
    assert req.system == "You label SMS messages."
    assert req.user.startswith('Message: """win big"""')
    assert 'Text: """You won a car"""' in req.user and '{"label": "spam"}' in req.user
    assert "response_format" not in req.body
    assert run.votes.tolist() == [1]


def test_template_errors_name_the_placeholder() -> None:
    with pytest.raises(LLMConfigError, match=r"\{txt\}"):
        ClassifyTask(["a", "b"], user_template="Label {txt}")
    with pytest.raises(LLMConfigError, match=r"no \{text\} placeholder"):
        ClassifyTask(["a", "b"], user_template="Label this")
    with pytest.raises(LLMConfigError, match="at least two"):
        ClassifyTask(["only"])
    with pytest.raises(LLMConfigError, match="repeats"):
        ClassifyTask(["a", "a"])
    with pytest.raises(LLMConfigError, match="differ only in case"):
        ClassifyTask(["Spam", "spam"])
    with pytest.raises(LLMConfigError, match="not one of the classes"):
        ClassifyTask(["a", "b"], examples=[("x", "c")])
    with pytest.raises(LLMConfigError, match="reserved"):
        ClassifyTask(["a", "unsure"])
    with pytest.raises(LLMConfigError, match="response_mode"):
        ClassifyTask(["a", "b"], response_mode="xml")


def test_multi_label(server: LocalChatServer, make_client: MakeClient) -> None:
    task = MultiLabelTask(["billing", "shipping", "bug"])
    texts = ["billing and shipping are both wrong", "there is a bug", "thanks!"]
    run = run_task(task, texts, client=make_client(server))
    assert [o.labels for o in run.outputs] == [["billing", "shipping"], ["bug"], []]
    L = run.to_multi_label_matrix("llm")
    assert L.names == ["llm:billing", "llm:shipping", "llm:bug"]
    assert L.values.tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert L.provenance["llm:bug"]["class"] == "bug"


def test_taxonomy_votes_on_leaves_or_categories(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    task = TaxonomyTask(TAXONOMY)
    texts = ["I want a refund", "where is my parcel", "I forgot my password"]
    run = run_task(task, texts, client=make_client(server))
    frame = run.to_pandas()
    assert frame["leaf"].tolist() == [
        "Order Status / Refund Status",
        "Order Status / Shipping Status",
        "Account / Password Reset",
    ]
    leaf = run.to_label_matrix("llm")
    assert leaf.values[:, 0].tolist() == [0, 1, 2]
    cats = run.to_label_matrix("llm_cat", level="category")
    assert cats.label_space.names == ["Order Status", "Account"]  # type: ignore[union-attr]
    assert cats.values[:, 0].tolist() == [0, 0, 1]
    schema = server.requests[0].schema
    assert schema is not None and schema["properties"]["category"]["enum"] == [
        "Order Status",
        "Account",
    ]
    assert "  - Refund Status" in server.requests[0].user


def test_taxonomy_pair_that_does_not_exist_is_unknown(make_client: MakeClient) -> None:
    bad = '{"category": "Account", "subcategory": "Refund Status"}'
    with LocalChatServer(lambda req: bad) as srv:
        run = run_task(TaxonomyTask(TAXONOMY), ["refund please"], client=make_client(srv))
        assert "not a sub-category of 'Account'" in srv.requests[1].messages[-1]["content"]
    assert run.statuses.tolist() == ["unknown_label"]


def test_entities_with_correct_offsets(server: LocalChatServer, make_client: MakeClient) -> None:
    text = "Alice from Acme Corp called, ring +44 20 7946 0958 or ask Bob Smith."
    run = run_task(EntityTask(), [text], client=make_client(server))
    spans = run.spans()
    assert set(spans["type"]) == {"person", "organization", "phone"}
    for row in spans.itertuples():
        assert text[row.start : row.end] == row.text
    assert run.stats["n_spans"] == 4 and run.stats["n_spans_fixed"] == 0


def test_entity_offsets_that_do_not_match_are_moved_to_the_text(make_client: MakeClient) -> None:
    text = "Meeting with Bob Smith and Alice today."
    wrong = {"entities": [{"type": "person", "text": "Alice", "start": 0, "end": 5}]}
    with LocalChatServer(lambda req: json.dumps(wrong)) as srv:
        run = run_task(EntityTask(["person"]), [text], client=make_client(srv))
        assert len(srv.requests) == 1  # fixing offsets needs no repair request
    ent = run.outputs[0].entities[0]
    assert text[ent["start"] : ent["end"]] == "Alice" and ent["start"] == 27
    assert run.stats["n_spans_fixed"] == 1


def test_entity_text_not_in_the_item_is_repaired_then_dropped(make_client: MakeClient) -> None:
    text = "Call Alice tomorrow."
    invented = {
        "entities": [
            {"type": "person", "text": "Alice", "start": 5, "end": 10},
            {"type": "person", "text": "Carol", "start": 11, "end": 16},
        ]
    }
    with LocalChatServer(lambda req: json.dumps(invented)) as srv:
        run = run_task(EntityTask(), [text], client=make_client(srv))
        assert "do not occur in the text" in srv.requests[1].messages[-1]["content"]
    assert run.statuses.tolist() == ["repaired"]
    out = run.outputs[0]
    assert [e["text"] for e in out.entities] == ["Alice"]
    assert out.n_dropped == 1 and out.dropped[0]["reason"] == "text not found in the item"
    assert run.stats["n_spans_dropped"] == 1


def test_entity_offsets_index_the_original_text_after_truncation(make_client: MakeClient) -> None:
    text = "Alice starts here. " + "filler words " * 200 + "Bob Smith ends it."
    task = EntityTask(["person"], max_chars=400)
    with LocalChatServer(lambda req: _persons(req.item)) as srv:
        run = run_task(task, [text], client=make_client(srv))
        assert len(srv.requests[0].item) <= 400
    assert run.stats["n_truncated"] == 1
    for e in run.outputs[0].entities:
        assert text[e["start"] : e["end"]] == e["text"]
    assert {e["text"] for e in run.outputs[0].entities} == {"Alice", "Bob Smith"}


def _persons(item: str) -> str:
    ents = [
        {"type": "person", "text": n, "start": item.find(n), "end": item.find(n) + len(n)}
        for n in ("Alice", "Bob Smith")
        if n in item
    ]
    return json.dumps({"entities": ents})


def test_custom_entity_types_are_in_the_schema(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    task = EntityTask({"person": "people", "order_id": "order numbers like #12345"})
    run_task(task, ["order #12345 for Alice"], client=make_client(server))
    schema = server.requests[0].schema
    assert schema is not None
    assert schema["properties"]["entities"]["items"]["properties"]["type"]["enum"] == [
        "person",
        "order_id",
    ]
    assert "order numbers like #12345" in server.requests[0].user


def test_summarize_and_overlong_summary_repair(make_client: MakeClient) -> None:
    long = json.dumps({"summary": "word " * 40})
    short = json.dumps({"summary": "Parcel late, refund wanted."})
    answers = iter([long, short])
    with LocalChatServer(lambda req: next(answers)) as srv:
        run = run_task(
            SummarizeTask(max_words=10),
            ["My parcel is late. I want a refund."],
            client=make_client(srv),
        )
        assert "the limit is 10" in srv.requests[1].messages[-1]["content"]
    assert run.statuses.tolist() == ["repaired"]
    assert run.to_pandas()["summary"].tolist() == ["Parcel late, refund wanted."]
    with pytest.raises(LLMConfigError, match="no classes"):
        run.to_label_matrix()


def test_headline_with_topics_votes_on_topic(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    task = HeadlineTask(topics=["sports", "politics"])
    run = run_task(
        task,
        ["The match ended in a draw after extra time.", "Parliament passed the budget."],
        client=make_client(server),
    )
    assert run.votes.tolist() == [0, 1]
    assert run.to_pandas()["headline"].tolist()[0] == "The match ended in a"
    no_topics = HeadlineTask()
    assert no_topics.label_space is None and "topic" not in no_topics.schema()["properties"]
    plain = run_task(no_topics, ["Parliament passed the budget."], client=make_client(server))
    assert plain.to_pandas()["headline"].tolist() == ["Parliament passed the budget."]
    assert '{"headline": ...}' in server.requests[-1].user


def test_aspect_sentiment(server: LocalChatServer, make_client: MakeClient) -> None:
    task = AspectSentimentTask(aspects=["taste", "price"])
    texts = [
        "The taste is delicious and the price is fair",
        "Bad taste and expensive price",
        "It arrived.",
    ]
    run = run_task(task, texts, client=make_client(server))
    frame = run.to_pandas()
    assert frame["aspect_taste"].tolist()[:2] == [5.0, 1.0]
    assert frame["aspect_price"].tolist()[:2] == [4.0, 1.0]
    assert frame["top_positive"].tolist()[0] == "taste" and frame["top_negative"].tolist()[1] in (
        "taste",
        "price",
    )
    # overall 4.5 -> positive, 1.0 -> negative, 2.5 -> between the cut-offs: abstain.
    assert run.votes.tolist() == [1, 0, ABSTAIN]
    assert AspectSentimentTask(neutral=True).vote(run.outputs[2]) == 1


def test_aspect_score_out_of_range_is_repaired(make_client: MakeClient) -> None:
    bad = '{"aspects": [{"aspect": "taste", "score": 9}], "overall": 9, "top_positive": null, "top_negative": null}'
    good = '{"aspects": [{"aspect": "taste", "score": 5}], "overall": 5, "top_positive": "taste", "top_negative": null}'
    answers = iter([bad, good])
    with LocalChatServer(lambda req: next(answers)) as srv:
        run = run_task(AspectSentimentTask(aspects=["taste"]), ["yummy"], client=make_client(srv))
        assert "less than or equal to 5" in srv.requests[1].messages[-1]["content"]
    assert run.statuses.tolist() == ["repaired"] and run.votes.tolist() == [1]


def test_row_labeling_from_example_rows(make_client: MakeClient) -> None:
    examples = pd.DataFrame(
        {
            "age": [23, 52],
            "hours.per.week": [20, 60],
            "education": ["HS-grad", "Masters"],
            "income": ["<=50K", ">50K"],
        }
    )
    rows = pd.DataFrame(
        {"age": [30, 45], "hours.per.week": [25, 55], "education": ["HS-grad", None]}
    )

    def respond(req: object) -> str:
        item = req.item  # type: ignore[attr-defined]
        hours = float(item.split("hours.per.week: ")[1].split(";")[0])
        return json.dumps({"label": ">50K" if hours > 40 else "<=50K"})

    task = RowClassifyTask(["<=50K", ">50K"], examples=examples, label_column="income")
    with LocalChatServer(respond) as srv:
        run = run_task(task, rows, client=make_client(srv))
        user = srv.requests[0].user
    assert 'Text: """age: 23; hours.per.week: 20; education: HS-grad"""' in user
    assert '{"label": ">50K"}' in user
    assert run.votes.tolist() == [0, 1]
    assert "education: missing" in task.prepare(rows.to_dict(orient="records")[1]).text
    with pytest.raises(LLMConfigError, match="label_column"):
        RowClassifyTask(["a", "b"], examples=examples, label_column="target")
    with pytest.raises(LLMConfigError, match="lack columns"):
        task.prepare({"age": 3})


def test_answer_cut_at_max_tokens_says_so_in_the_repair(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    server.script(Reply('{"label": "sp', finish_reason="length"))
    run = run_task(ClassifyTask(["ham", "spam"]), ["win"], client=make_client(server))
    assert "cut off at max_tokens=100" in server.requests[1].messages[-1]["content"]
    assert run.statuses.tolist() == ["repaired"]


def test_multi_label_runs_are_not_single_columns(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    from labelwise.llm import LLMLabeler

    task = MultiLabelTask(["a", "b"])
    client = make_client(server)
    with pytest.raises(LLMConfigError, match="to_multi_label_matrix"):
        run_task(task, ["a"], client=client).to_label_matrix()
    with pytest.raises(LLMConfigError, match="to_multi_label_matrix"):
        LLMLabeler(task, client=client)


def test_a_class_named_none_is_a_class(make_client: MakeClient) -> None:
    with LocalChatServer(lambda req: '{"label": "None"}') as srv:
        run = run_task(
            ClassifyTask(["none", "mild", "severe"]), ["no symptoms"], client=make_client(srv)
        )
    assert run.statuses.tolist() == ["ok"] and run.votes.tolist() == [0]
