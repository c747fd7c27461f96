"""Span rules, token-level votes and BIO aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import RuleError
from labelwise.labeling import ABSTAIN
from labelwise.text import (
    GazetteerSpans,
    RegexSpans,
    Span,
    aggregate_span_votes,
    apply_span_labelers,
    bio_tags,
    bio_to_spans,
    gazetteer_spans,
    regex_spans,
    tokens_with_offsets,
)

TEXTS = [
    "Dr. Ann Lee met Bob Stone in New York City.",
    "Call Bob at 555 0100 from Paris",
    None,
]


def labelers():
    people = gazetteer_spans({"PER": ["Ann Lee", "Bob Stone", "Bob"]}, name="people")
    titles = regex_spans(r"Dr\. [A-Z]\w+ [A-Z]\w+", "PER", name="titled", case=True)
    # Noisy on purpose: "New York" is two capitalized words too.
    caps = regex_spans(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", "PER", name="capital_pairs", case=True)
    places = gazetteer_spans({"LOC": ["New York", "New York City", "Paris"]}, name="places")
    cities = regex_spans(r"\b(?:New York|Paris)\b", "LOC", name="cities")
    return [people, titles, caps, places, cities]


def test_gazetteer_prefers_longest_and_respects_boundaries():
    g = GazetteerSpans("g", {"LOC": ["York", "New York"], "ORG": ["NY Times"]})
    assert [(s.start, s.end, s.label) for s in g.find("New York and NY Times, Yorkshire")] == [
        (0, 8, "LOC"),
        (13, 21, "ORG"),
    ]
    assert g.labels == ("LOC", "ORG")
    with pytest.raises(RuleError, match="both"):
        GazetteerSpans("g", {"A": ["x"], "B": ["X"]})
    with pytest.raises(RuleError, match="label="):
        GazetteerSpans("g", ["paris"])
    with pytest.raises(RuleError, match="no names"):
        GazetteerSpans("g", {"A": [" "]})


def test_regex_spans_groups_and_errors():
    r = RegexSpans("money", r"(?:£|\$)(\d+)", "AMOUNT", group=1)
    assert r.find("pay £20 or $5") == [
        Span(5, 7, "AMOUNT", "money"),
        Span(12, 13, "AMOUNT", "money"),
    ]
    with pytest.raises(RuleError, match="does not compile"):
        RegexSpans("bad", "(", "X")
    with pytest.raises(RuleError, match="group=2"):
        RegexSpans("bad", "(a)", "X", group=2)


def test_token_level_label_matrix():
    votes = apply_span_labelers(TEXTS, labelers())
    assert votes.entity_types == ["LOC", "PER"]
    n_tokens = sum(len(t) for t in votes.tokens)
    assert votes.L.shape == (n_tokens, 5)
    assert votes.L.names == ["people", "titled", "capital_pairs", "places", "cities"]
    assert votes.tokens[2] == []  # a missing text has no tokens
    toks = [t.text for t in votes.tokens[0]]
    ann = toks.index("Ann")
    row = votes.L.values[ann]
    assert row.tolist() == [1, 1, 1, ABSTAIN, ABSTAIN]  # three PER voters, the place rules abstain
    york = toks.index("York")
    assert votes.L.values[york].tolist() == [ABSTAIN, ABSTAIN, 1, 0, 0]  # 2 LOC against 1 PER
    city = toks.index("City")
    assert votes.L.values[city].tolist() == [ABSTAIN, ABSTAIN, ABSTAIN, 0, ABSTAIN]
    assert votes.starts[ann].tolist() == [True, False, True, False, False]


def test_majority_aggregation_to_bio_and_spans():
    docs = aggregate_span_votes(apply_span_labelers(TEXTS, labelers()))
    d0 = docs[0]
    tagged = dict(zip([t.text for t in d0.tokens], d0.tags, strict=True))
    assert tagged["Dr"] == "B-PER"  # only the title rule covers "Dr" and nobody disagrees
    assert tagged["Bob"] == "B-PER" and tagged["Stone"] == "I-PER"
    assert tagged["met"] == "O"
    assert [s.text_of(d0.text) for s in d0.spans] == ["Dr. Ann Lee", "Bob Stone", "New York City"]
    # "Call Bob" is a noisy capital pair; "Call" has one PER vote and no opposition.
    assert [s.text_of(docs[1].text) for s in docs[1].spans] == ["Call Bob", "Paris"]
    assert docs[2].tags == [] and docs[2].spans == []


def test_min_votes_and_adjacent_entities():
    strict = aggregate_span_votes(apply_span_labelers(TEXTS, labelers()), min_votes=2)
    assert [s.text_of(strict[0].text) for s in strict[0].spans] == [
        "Ann Lee",
        "Bob Stone",
        "New York",
    ]
    a = gazetteer_spans({"PER": ["Ann", "Bob"]}, name="a")
    docs = aggregate_span_votes(apply_span_labelers(["Ann Bob"], [a]))
    assert docs[0].tags == ["B-PER", "B-PER"]  # two entities side by side stay two


def test_ties_leave_tokens_outside():
    per = gazetteer_spans({"PER": ["Jordan"]}, name="per")
    loc = gazetteer_spans({"LOC": ["Jordan"]}, name="loc")
    docs = aggregate_span_votes(apply_span_labelers(["Jordan"], [per, loc]))
    assert docs[0].tags == ["O"]


def test_label_model_aggregation_and_faults():
    from labelwise.models import MajorityVote

    class Broken(RegexSpans):
        def find(self, text):
            if "Paris" in text:
                raise RuntimeError("boom")
            return super().find(text)

    lfs = [*labelers(), Broken("broken", r"Bob", "PER")]
    votes = apply_span_labelers(TEXTS, lfs)
    assert votes.fault_counts()["broken"] == 1 and votes.L.provenance["broken"]["faults"] == 1
    assert [(f.item, f.source) for f in votes.faults] == [(1, "broken")]
    assert votes.label_space is not None and votes.provenance["kind"] == "span_labelers"
    docs = aggregate_span_votes(votes, model=MajorityVote(cardinality=2))
    assert [s.label for s in docs[0].spans][-1] == "LOC"
    with pytest.raises(RuntimeError, match="boom"):
        apply_span_labelers(TEXTS, lfs, strict=True)


def test_input_errors():
    with pytest.raises(RuleError, match="no span labelers"):
        apply_span_labelers(["x"], [])
    g = gazetteer_spans({"PER": ["x"]}, name="same")
    with pytest.raises(RuleError, match="unique"):
        apply_span_labelers(["x"], [g, g])
    with pytest.raises(RuleError, match="add it to entity_types"):
        apply_span_labelers(["x"], [g], entity_types=["LOC", "ORG"])
    single = apply_span_labelers(["x y"], [g])
    assert single.entity_types == ["PER", "_unused"]
    with pytest.raises(RuleError, match="min_votes"):
        aggregate_span_votes(single, min_votes=0)


def test_bio_roundtrip():
    text = "Ann Lee flew to New York."
    toks = tokens_with_offsets(text)
    spans = [Span(0, 7, "PER"), Span(16, 24, "LOC"), Span(2, 5, "X")]  # the overlap loses
    tags = bio_tags(toks, spans)
    assert tags == ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"]
    assert [(s.start, s.end, s.label) for s in bio_to_spans(toks, tags)] == [
        (0, 7, "PER"),
        (16, 24, "LOC"),
    ]
    assert [
        s.label for s in bio_to_spans(toks, ["I-PER", "I-PER", "O", "O", "I-LOC", "B-LOC", "O"])
    ] == [
        "PER",
        "LOC",
        "LOC",
    ]
    with pytest.raises(RuleError, match="not BIO"):
        bio_to_spans(toks, ["X-PER"] + ["O"] * 6)
    with pytest.raises(RuleError, match="one tag per token"):
        bio_to_spans(toks, ["O"])
    assert np.array_equal(np.array(bio_tags([], [])), np.array([]))
