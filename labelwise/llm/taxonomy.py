"""Two-level taxonomies (category / sub-category) for hierarchical LLM labeling.

A taxonomy can be written as

* YAML or JSON mapping each category to its sub-categories (a list of names, or a mapping
  of name to a short description)::

      Order Status: [Refund Status, Shipping Status]
      Account:
        Password Reset: the customer cannot log in
        Close Account: null

* a list of ``{"name": ..., "subcategories": [...]}`` objects, or
* a text file with one ``Category / Sub-category`` (or ``Category > Sub-category``) per
  line; ``#`` starts a comment.

A category without sub-categories is a leaf by itself. Errors name the file, the line and
column (YAML/JSON/text) and the category at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from labelwise.labeling import LabelSpace
from labelwise.llm.errors import TaxonomyError

__all__ = ["LEAF_SEPARATOR", "Taxonomy", "load_taxonomy"]

#: Joins category and sub-category into a leaf name: ``"Order Status / Refund Status"``.
LEAF_SEPARATOR = " / "


class Taxonomy:
    """Categories and their sub-categories.

    Parameters
    ----------
    tree : mapping of str to sequence of str (or mapping of str to description)
        Category -> sub-categories, in order. An empty sequence makes the category a leaf.
    descriptions : mapping of str to str, optional
        Hints shown to the model, keyed by category or leaf name.

    Examples
    --------
    >>> tax = Taxonomy({"Order Status": ["Refund Status", "Shipping Status"], "Other": []})
    >>> tax.leaves
    ['Order Status / Refund Status', 'Order Status / Shipping Status', 'Other']
    >>> tax.leaf("Order Status", "Refund Status"), tax.category_space.k
    ('Order Status / Refund Status', 2)
    """

    def __init__(
        self,
        tree: Mapping[str, Sequence[str] | Mapping[str, str | None] | None],
        *,
        descriptions: Mapping[str, str] | None = None,
        source: str = "taxonomy",
    ) -> None:
        self.source = source
        self.tree: dict[str, list[str]] = {}
        self.descriptions: dict[str, str] = dict(descriptions or {})
        if not isinstance(tree, Mapping):
            raise TaxonomyError(
                f"{source}: expected a mapping of category -> sub-categories, got "
                f"{type(tree).__name__}"
            )
        for cat, subs in tree.items():
            cat_name = _name(cat, f"{source}: category name")
            if cat_name in self.tree:
                raise TaxonomyError(f"{source}: category {cat_name!r} appears twice")
            names: list[str] = []
            if subs is None:
                pass
            elif isinstance(subs, Mapping):
                for sub, desc in subs.items():
                    names.append(_name(sub, f"{source}: category {cat_name!r}, sub-category"))
                    if desc:
                        self.descriptions[cat_name + LEAF_SEPARATOR + names[-1]] = str(desc)
            elif isinstance(subs, (list, tuple)):
                for i, sub in enumerate(subs):
                    names.append(
                        _name(sub, f"{source}: category {cat_name!r}, sub-category {i + 1}")
                    )
            else:
                raise TaxonomyError(
                    f"{source}: category {cat_name!r} must map to a list of sub-categories, got "
                    f"{type(subs).__name__} {subs!r}"
                )
            dups = sorted({s for s in names if names.count(s) > 1})
            if dups:
                raise TaxonomyError(
                    f"{source}: category {cat_name!r} lists sub-categories {dups} more than once"
                )
            for s in names:
                if LEAF_SEPARATOR.strip() in s:
                    raise TaxonomyError(
                        f"{source}: sub-category {s!r} of {cat_name!r} contains "
                        f"{LEAF_SEPARATOR.strip()!r}, which separates levels; rename it"
                    )
            self.tree[cat_name] = names
        if len(self.tree) < 1 or len(self.leaves) < 2:
            raise TaxonomyError(
                f"{source}: a taxonomy needs at least two leaves to choose from, got {self.leaves}"
            )

    @property
    def categories(self) -> list[str]:
        return list(self.tree)

    def subcategories(self, category: str) -> list[str]:
        """Sub-categories of ``category`` (empty when it is a leaf)."""
        if category not in self.tree:
            raise TaxonomyError(f"unknown category {category!r}; categories: {self.categories}")
        return list(self.tree[category])

    @property
    def leaves(self) -> list[str]:
        out: list[str] = []
        for cat, subs in self.tree.items():
            out.extend([cat + LEAF_SEPARATOR + s for s in subs] if subs else [cat])
        return out

    def leaf(self, category: str, subcategory: str | None) -> str:
        """The leaf name of a (category, sub-category) pair, validated."""
        subs = self.subcategories(category)
        if not subs:
            if subcategory:
                raise TaxonomyError(
                    f"category {category!r} has no sub-categories, got {subcategory!r}"
                )
            return category
        if subcategory not in subs:
            raise TaxonomyError(
                f"{subcategory!r} is not a sub-category of {category!r}; choose one of {subs}"
            )
        return category + LEAF_SEPARATOR + subcategory

    @property
    def category_space(self) -> LabelSpace:
        if len(self.tree) < 2:
            raise TaxonomyError(
                f"{self.source}: only one category ({self.categories}); vote on leaves instead"
            )
        return LabelSpace(self.categories)

    @property
    def leaf_space(self) -> LabelSpace:
        return LabelSpace(self.leaves)

    def parents(self) -> dict[str, str | None]:
        """Leaf name -> category (``None`` for a category that is its own leaf).

        Build a :class:`labelwise.models.hierarchy.Taxonomy` from it to aggregate LLM
        leaf votes with coarser labelers; its first ``k`` nodes are these leaves, in order,
        so leaf votes are valid node votes.

        Examples
        --------
        >>> Taxonomy({"Order": ["Refund", "Shipping"], "Other": []}).parents()
        {'Order / Refund': 'Order', 'Order / Shipping': 'Order', 'Other': None}
        """
        out: dict[str, str | None] = {}
        for cat, subs in self.tree.items():
            if subs:
                out.update({cat + LEAF_SEPARATOR + s: cat for s in subs})
            else:
                out[cat] = None
        return out

    def to_prompt(self) -> str:
        """The taxonomy as an indented list for a prompt."""
        lines = []
        for cat, subs in self.tree.items():
            d = self.descriptions.get(cat)
            lines.append(f"- {cat}" + (f": {d}" if d else ""))
            for s in subs:
                d = self.descriptions.get(cat + LEAF_SEPARATOR + s)
                lines.append(f"  - {s}" + (f": {d}" if d else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Taxonomy({len(self.tree)} categories, {len(self.leaves)} leaves)"


def _name(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TaxonomyError(
            f"{where}: expected a name (text), got {type(value).__name__} {value!r}"
        )
    s = str(value).strip()
    if not s:
        raise TaxonomyError(f"{where}: names must not be empty")
    return s


def _yaml_tree(text: str, source: str) -> Any:
    """Parse YAML and convert to plain data, reporting structure errors with line numbers."""
    import yaml

    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaxonomyError(f"{source}: does not parse as YAML at {where}: {problem}") from None
    if node is None:
        raise TaxonomyError(f"{source}: the file is empty; list categories and sub-categories")
    return _from_node(node, source)


def _from_node(node: Any, source: str) -> Any:
    import yaml

    at = f"{source}, line {node.start_mark.line + 1}"
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                raise TaxonomyError(f"{at}: mapping keys must be names")
            key = k.value.strip()
            if key in out:
                raise TaxonomyError(
                    f"{source}, line {k.start_mark.line + 1}: {key!r} appears twice"
                )
            if isinstance(v, yaml.MappingNode):
                for sk, sv in v.value:
                    if not isinstance(sv, yaml.ScalarNode):
                        raise TaxonomyError(
                            f"{source}, line {sv.start_mark.line + 1}: the description of "
                            f"{sk.value!r} under {key!r} must be text; a taxonomy has two levels"
                        )
                out[key] = {
                    sk.value: (None if sv.value in ("", "~", "null") else sv.value)
                    for sk, sv in v.value
                }
            elif isinstance(v, yaml.SequenceNode):
                items = []
                for item in v.value:
                    if not isinstance(item, yaml.ScalarNode):
                        raise TaxonomyError(
                            f"{source}, line {item.start_mark.line + 1}: sub-categories of "
                            f"{key!r} must be names, got a nested "
                            f"{'list' if isinstance(item, yaml.SequenceNode) else 'mapping'}"
                            "; a taxonomy has two levels"
                        )
                    items.append(item.value)
                out[key] = items
            elif isinstance(v, yaml.ScalarNode):
                if v.value.strip() in ("", "~", "null"):
                    out[key] = []
                else:
                    raise TaxonomyError(
                        f"{source}, line {v.start_mark.line + 1}: category {key!r} must map to a "
                        f"list of sub-categories, got the text {v.value!r}"
                    )
            else:
                raise TaxonomyError(f"{source}, line {v.start_mark.line + 1}: unexpected value")
        return out
    if isinstance(node, yaml.SequenceNode):
        out = {}
        for item in node.value:
            where = f"{source}, line {item.start_mark.line + 1}"
            if not isinstance(item, yaml.MappingNode):
                raise TaxonomyError(
                    f"{where}: a list taxonomy holds objects like "
                    "{name: Order Status, subcategories: [Refund Status]}"
                )
            fields = {k.value: v for k, v in item.value}
            if "name" not in fields or not isinstance(fields["name"], yaml.ScalarNode):
                raise TaxonomyError(f"{where}: the object has no 'name'")
            subs_node = fields.get("subcategories") or fields.get("children")
            subs: list[str] = []
            if subs_node is not None:
                if not isinstance(subs_node, yaml.SequenceNode) or not all(
                    isinstance(s, yaml.ScalarNode) for s in subs_node.value
                ):
                    raise TaxonomyError(
                        f"{source}, line {subs_node.start_mark.line + 1}: 'subcategories' of "
                        f"{fields['name'].value!r} must be a list of names"
                    )
                subs = [s.value for s in subs_node.value]
            name = fields["name"].value
            if name in out:
                raise TaxonomyError(f"{where}: category {name!r} appears twice")
            out[name] = subs
        return out
    raise TaxonomyError(f"{at}: expected a mapping of category -> sub-categories")


def _text_tree(text: str, source: str) -> dict[str, list[str]]:
    tree: dict[str, list[str]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        sep = " / " if " / " in line else (">" if ">" in line else None)
        parts = [p.strip() for p in line.split(sep)] if sep else [line]
        if len(parts) > 2 or any(not p for p in parts):
            raise TaxonomyError(
                f"{source}, line {lineno}: expected 'Category / Sub-category' or 'Category', "
                f"got {raw.strip()!r}"
            )
        cat = parts[0]
        subs = tree.setdefault(cat, [])
        if len(parts) == 2:
            if parts[1] in subs:
                raise TaxonomyError(f"{source}, line {lineno}: {line!r} is listed twice")
            subs.append(parts[1])
    if not tree:
        raise TaxonomyError(f"{source}: the file lists no categories")
    return tree


def load_taxonomy(source: str | Path | Mapping[str, Any] | Taxonomy) -> Taxonomy:
    """Read a taxonomy from a YAML, JSON or text file, or a mapping.

    Raises
    ------
    TaxonomyError
        Naming the file, line and column of a syntax error, or the category at fault.

    Examples
    --------
    >>> load_taxonomy({"Billing": ["Refund", "Invoice"]}).leaves
    ['Billing / Refund', 'Billing / Invoice']
    """
    if isinstance(source, Taxonomy):
        return source
    if isinstance(source, Mapping):
        return Taxonomy(source)
    path = Path(source)
    if not path.exists():
        raise TaxonomyError(f"taxonomy file {str(path)!r} does not exist; check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file {str(path)!r}: {exc}") from None
    name = str(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise TaxonomyError(
                f"{name}: does not parse as JSON at line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}"
            ) from None
        tree = _yaml_tree(text, name)  # JSON is YAML; this gives line numbers for structure
    elif suffix in (".yaml", ".yml"):
        tree = _yaml_tree(text, name)
    elif suffix in (".txt", ".tsv", ""):
        tree = _text_tree(text, name)
    else:
        raise TaxonomyError(
            f"{name}: unknown taxonomy format {suffix!r}; use .yaml, .yml, .json or .txt"
        )
    return Taxonomy(tree, source=name)
