"""Taxonomy files: formats, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelwise.llm import Taxonomy, TaxonomyError, load_taxonomy


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_yaml_mapping_with_lists_descriptions_and_leaf_categories(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "support.yaml",
        "Order Status: [Refund Status, Shipping Status]\n"
        "Account:\n  Password Reset: the customer cannot log in\n  Close Account: null\n"
        "Other:\n",
    )
    tax = load_taxonomy(p)
    assert tax.leaves == [
        "Order Status / Refund Status",
        "Order Status / Shipping Status",
        "Account / Password Reset",
        "Account / Close Account",
        "Other",
    ]
    assert tax.descriptions["Account / Password Reset"] == "the customer cannot log in"
    assert "  - Password Reset: the customer cannot log in" in tax.to_prompt()
    assert tax.leaf("Other", None) == "Other"
    assert tax.category_space.names == ["Order Status", "Account", "Other"]


def test_json_list_and_text_formats(tmp_path: Path) -> None:
    j = _write(
        tmp_path,
        "t.json",
        '[{"name": "Billing", "subcategories": ["Refund", "Invoice"]}, {"name": "Tech", "children": ["Bug"]}]',
    )
    assert load_taxonomy(j).leaves == ["Billing / Refund", "Billing / Invoice", "Tech / Bug"]
    t = _write(
        tmp_path,
        "t.txt",
        "# support taxonomy\nBilling / Refund\nBilling > Invoice\n\nTech / Bug  # common\n",
    )
    assert load_taxonomy(t).leaves == ["Billing / Refund", "Billing / Invoice", "Tech / Bug"]


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "bad.yaml", "Order Status: [Refund, Shipping\nAccount: [Login]\n")
    with pytest.raises(
        TaxonomyError, match=r"bad\.yaml: does not parse as YAML at line \d+, column \d+"
    ):
        load_taxonomy(p)


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "bad.json", '{\n  "Billing": ["Refund",]\n}')
    with pytest.raises(TaxonomyError, match=r"bad\.json: does not parse as JSON at line 2, column"):
        load_taxonomy(p)


def test_third_level_is_reported_with_its_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "deep.yaml", "Billing:\n  - Refund\n  - Invoice:\n      - Paper\n")
    with pytest.raises(
        TaxonomyError, match=r"deep\.yaml, line 3: sub-categories of 'Billing' must be names"
    ):
        load_taxonomy(p)


def test_duplicates_and_other_structure_errors(tmp_path: Path) -> None:
    dup = _write(tmp_path, "dup.yaml", "Billing: [Refund, Refund]\nTech: [Bug]\n")
    with pytest.raises(TaxonomyError, match=r"more than once"):
        load_taxonomy(dup)
    dup_key = _write(tmp_path, "dupkey.yaml", "Billing: [Refund]\nBilling: [Invoice]\n")
    with pytest.raises(TaxonomyError, match=r"dupkey\.yaml, line 2: 'Billing' appears twice"):
        load_taxonomy(dup_key)
    scalar = _write(tmp_path, "scalar.yaml", "Billing: Refund\nTech: [Bug]\n")
    with pytest.raises(TaxonomyError, match=r"line 1: category 'Billing' must map to a list"):
        load_taxonomy(scalar)
    txt = _write(tmp_path, "bad.txt", "Billing / Refund\nBilling / Refund / Partial\n")
    with pytest.raises(TaxonomyError, match=r"bad\.txt, line 2"):
        load_taxonomy(txt)
    one = _write(tmp_path, "one.yaml", "Billing: [Refund]\n")
    with pytest.raises(TaxonomyError, match="at least two leaves"):
        load_taxonomy(one)
    with pytest.raises(TaxonomyError, match="is empty"):
        load_taxonomy(_write(tmp_path, "empty.yaml", "\n"))
    with pytest.raises(TaxonomyError, match="does not exist"):
        load_taxonomy(tmp_path / "nope.yaml")
    with pytest.raises(TaxonomyError, match="unknown taxonomy format"):
        load_taxonomy(_write(tmp_path, "t.csv", "a,b"))
    with pytest.raises(TaxonomyError, match="separates levels"):
        Taxonomy({"A": ["x / y", "z"]})


def test_leaf_validation() -> None:
    tax = Taxonomy({"A": ["x", "y"], "B": []})
    with pytest.raises(TaxonomyError, match="not a sub-category of 'A'"):
        tax.leaf("A", "z")
    with pytest.raises(TaxonomyError, match="has no sub-categories"):
        tax.leaf("B", "x")
    with pytest.raises(TaxonomyError, match="unknown category"):
        tax.subcategories("C")


def test_parents_feed_the_hierarchical_label_model() -> None:
    hierarchy = pytest.importorskip("labelwise.models.hierarchy")
    tax = Taxonomy({"Order": ["Refund", "Shipping"], "Account": ["Login"], "Other": []})
    model_tax = hierarchy.ClassHierarchy(tax.parents())
    # Leaves come first in the model's node order, so LLM leaf votes are valid node votes.
    assert model_tax.leaves == tax.leaves
    assert model_tax.nodes[: len(tax.leaves)] == tax.leaves
    assert set(model_tax.nodes[len(tax.leaves) :]) == {"Order", "Account"}
