"""Zero-shot labeling: vote the class whose name or description a text is most similar to.

Each class is described by one or more short phrases ("spam": "a promotional offer or a
prize to claim"). Texts and descriptions are embedded by the same model; the similarity of
a text to a class is its highest cosine similarity to that class's descriptions. A softmax
with a small temperature turns the similarities into probabilities, and the labeler votes
only where the top class is clear enough.

Cosine similarities of a sentence model are not calibrated across classes: one description
can sit closer to *every* text than another. ``calibrate=True`` subtracts each class's mean
similarity over unlabeled texts given to :meth:`ZeroShotLabeler.fit`, so a class wins where
a text is unusually close to it. (The bias is learned once, so one text labeled alone gets
the same vote as inside a batch.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelwise.embed.base import Embedder
from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.labeling.scoring import resolve_label_space, softmax
from labelwise.labeling.space import LabelSpace
from labelwise.labeling.votes import register_labeler
from labelwise.text.scoring import ScoringLabeler

__all__ = [
    "ZeroShotLabeler",
    "choose_abstain_threshold",
    "compare_with_majority",
    "cosine_scores",
    "label_descriptions",
    "load_label_descriptions",
    "parse_label_descriptions",
    "parse_label_option",
]


def parse_label_descriptions(spec: str) -> dict[str, list[str]]:
    """Parse ``"spam:promotional offer|prize,ham:personal message"`` into a mapping.

    Each class is ``name:description``, several descriptions of one class are separated by
    ``|``, and classes by ``,``. A comma inside a description is fine: a new class starts
    only at a comma followed by ``name:``. Without any ``:``, the spec is a plain
    comma-separated list of class names, each described by its own name.

    Examples
    --------
    >>> parse_label_descriptions("spam:won a prize, call now|free entry,ham:see you later")
    {'spam': ['won a prize, call now', 'free entry'], 'ham': ['see you later']}
    >>> parse_label_descriptions("positive, negative")
    {'positive': ['positive'], 'negative': ['negative']}
    """
    import re

    parts = re.split(r",(?=\s*[^,:|]+:)", spec) if ":" in spec else spec.split(",")
    out: dict[str, list[str]] = {}
    for part in parts:
        part = part.strip()
        if not part:
            continue
        name, sep, desc = part.partition(":")
        name = name.strip()
        if not name:
            raise LabelwiseError(f"label spec part {part!r} has no class name before ':'")
        descs = [d.strip() for d in desc.split("|") if d.strip()] if sep else [name]
        if not descs:
            raise LabelwiseError(
                f"class {name!r} in the label spec has an empty description; write "
                f"'{name}:a short description' or leave out the ':'"
            )
        if name in out:
            raise LabelwiseError(f"class {name!r} appears twice in the label spec {spec!r}")
        out[name] = descs
    if not out:
        raise LabelwiseError(
            f"label spec {spec!r} names no classes; write e.g. "
            "'spam:promotional offer,ham:personal message'"
        )
    return out


def parse_label_option(value: str) -> tuple[str, list[str]]:
    """One class from one ``--label`` option: ``"name"`` or ``"name: desc | desc"``.

    Commas are part of the name or description (unlike in ``--labels a,b``); a ``:`` starts
    the descriptions, so write a name holding ``:`` in a labels file as JSON or YAML.

    Examples
    --------
    >>> parse_label_option("Sci, Tech: science and technology news | gadgets")
    ('Sci, Tech', ['science and technology news', 'gadgets'])
    >>> parse_label_option("World")
    ('World', ['World'])
    """
    name, sep, desc = value.partition(":")
    name = name.strip()
    if not name:
        raise LabelwiseError(f"--label {value!r} has no class name before ':'")
    descs = [d.strip() for d in desc.split("|") if d.strip()] if sep else [name]
    if not descs:
        raise LabelwiseError(f"--label {value!r} has an empty description after ':'")
    return name, descs


def load_label_descriptions(path: Any) -> dict[str, list[str]]:
    r"""Classes from a labels file: ``.json``/``.yaml`` mapping ``{name: description or
    [descriptions]}`` (or a list of names), else one class per line as ``name`` or
    ``name: desc | desc`` (blank lines and ``#`` comments skipped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> _ = p.write_text("# AG News\nWorld\nSci, Tech: science | technology\n")
    >>> load_label_descriptions(p)
    {'World': ['World'], 'Sci, Tech': ['science', 'technology']}
    """
    import json
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise LabelwiseError(f"labels file {str(p)!r} does not exist; check the path")
    text = p.read_text(encoding="utf-8-sig")
    data: Any = None
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LabelwiseError(f"labels file {str(p)!r} is not valid JSON: {exc}") from None
    elif p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise LabelwiseError(f"labels file {str(p)!r} is not valid YAML: {exc}") from None
    out: dict[str, list[str]] = {}
    if data is not None:
        items = data.items() if isinstance(data, dict) else ((str(n), None) for n in data)
        for name, desc in items:
            descs = [str(name)] if desc is None else (
                [str(d) for d in desc] if isinstance(desc, list) else [str(desc)]
            )  # fmt: skip
            out[str(name)] = descs
    else:
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, descs = parse_label_option(line)
            if name in out:
                raise LabelwiseError(f"class {name!r} appears twice in {str(p)!r}")
            out[name] = descs
    if len(out) < 2:
        raise LabelwiseError(f"labels file {str(p)!r} names {len(out)} classes; give at least 2")
    return out


def label_descriptions(
    labels: str | None = None, label: Sequence[str] | None = None, labels_file: Any = None
) -> dict[str, list[str]]:
    """Classes from whichever of ``--labels`` (comma list), repeated ``--label`` and
    ``--labels-file`` was given (exactly one)."""
    given = [x for x in (labels, label or None, labels_file) if x]
    if len(given) != 1:
        raise LabelwiseError(
            "give the classes once: --labels 'a,b' (names without commas), repeated --label "
            "'name: description', or --labels-file FILE"
        )
    if labels:
        return parse_label_descriptions(labels)
    if labels_file:
        return load_label_descriptions(labels_file)
    out: dict[str, list[str]] = {}
    for value in label or []:
        name, descs = parse_label_option(value)
        if name in out:
            raise LabelwiseError(f"class {name!r} is given twice with --label")
        out[name] = descs
    return out


def compare_with_majority(votes: Any, gold: Any, label_names: Sequence[str]) -> dict[str, Any]:
    """A labeler's accuracy on the gold-labeled items next to the majority-class baseline.

    ``votes`` are class indices (``-1`` abstains), ``gold`` class names (missing where
    unknown). Accuracy counts an abstain as wrong; ``accuracy_voted`` is over the items the
    labeler voted on. ``better_than_majority`` is False when always answering the most
    common gold class would be at least as accurate.

    Examples
    --------
    >>> r = compare_with_majority([0, 0, 1, -1], ["ham", "ham", "ham", "spam"], ["ham", "spam"])
    >>> r["majority_class"], r["majority_accuracy"], r["accuracy"], r["better_than_majority"]
    ('ham', 0.75, 0.5, False)
    """
    import pandas as pd

    v = np.asarray(votes, dtype=np.int64)
    g = pd.Series(list(gold), dtype=object)
    known = g.notna().to_numpy() & (g.astype(str).str.strip() != "").to_numpy()
    names = [str(n) for n in label_names]
    if not known.any():
        return {"n_gold": 0}
    gold_names = g[known].astype(str).to_numpy()
    counts = pd.Series(gold_names).value_counts()
    majority = str(counts.index[0])
    majority_acc = float(counts.iloc[0] / len(gold_names))
    pred = np.array([names[i] if 0 <= i < len(names) else None for i in v[known]], dtype=object)
    correct = pred == gold_names
    voted = v[known] >= 0
    acc = float(correct.mean())
    return {
        "n_gold": int(known.sum()),
        "majority_class": majority,
        "majority_accuracy": round(majority_acc, 4),
        "accuracy": round(acc, 4),
        "accuracy_voted": round(float(correct[voted].mean()), 4) if voted.any() else float("nan"),
        "coverage": round(float(voted.mean()), 4),
        "better_than_majority": bool(acc > majority_acc),
    }


def choose_abstain_threshold(
    confidence: Any, votes: Any, gold: Any, label_names: Sequence[str], *, target: float
) -> float | None:
    """The lowest confidence threshold at which the votes kept on gold items reach
    ``target`` accuracy (e.g. the majority baseline); None when no threshold does.

    Examples
    --------
    >>> choose_abstain_threshold([0.9, 0.8, 0.6, 0.55], [1, 1, 0, 1],
    ...                          ["spam", "spam", "spam", "ham"], ["ham", "spam"], target=0.9)
    0.8
    """
    import pandas as pd

    conf = np.asarray(confidence, dtype=float)
    v = np.asarray(votes, dtype=np.int64)
    g = pd.Series(list(gold), dtype=object)
    known = (g.notna().to_numpy()) & (v >= 0) & np.isfinite(conf)
    if not known.any():
        return None
    names = [str(n) for n in label_names]
    correct = np.array(
        [names[i] == str(x) for i, x in zip(v[known], g[known], strict=True)], dtype=bool
    )
    c = conf[known]
    for t in np.unique(c):
        keep = c >= t
        if keep.sum() >= 2 and correct[keep].mean() >= target:
            return float(t)
    return None


def cosine_scores(text_vectors: np.ndarray, class_vectors: Sequence[np.ndarray]) -> np.ndarray:
    """Highest cosine similarity of each text to each class's description vectors.

    Parameters
    ----------
    text_vectors : ndarray of shape (n, d)
    class_vectors : sequence of c arrays of shape (m_j, d)

    Returns
    -------
    ndarray of shape (n, c)

    Examples
    --------
    >>> cosine_scores(np.array([[1.0, 0.0]]), [np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])])
    array([[1., 0.]])
    """
    t = _unit(np.asarray(text_vectors, dtype=np.float64))
    cols = [(t @ _unit(np.asarray(cv, dtype=np.float64)).T).max(axis=1) for cv in class_vectors]
    return np.stack(cols, axis=1) if cols else np.zeros((t.shape[0], 0))


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class ZeroShotLabeler(ScoringLabeler):
    """Label texts by embedding similarity to class names or descriptions.

    Parameters
    ----------
    labels : mapping class -> description(s), or sequence of class names
        Each class's descriptions (a string or a list of strings). A plain list of class
        names uses the names themselves as descriptions.
    label_space : LabelSpace or sequence of str, optional
        The full label space; lets a labeler describe only some classes (it never votes
        for the others). Default: the described classes in the given order.
    embedder : Embedder, optional
        Default: the bundled all-MiniLM-L6-v2 (:func:`~labelwise.embed.default_embedder`).
    template : str
        Format string applied to every description, e.g. ``"a message about {}"``.
    temperature : float
        Softmax temperature over similarities (smaller = more decisive).
    min_confidence, min_margin : float
        Vote only when the top probability and its lead over the runner-up reach these.
    min_similarity : float, optional
        Also require the raw cosine similarity to the winning class to reach this. With a
        single described class this is the whole rule (its confidence is the similarity).
    calibrate : bool
        Subtract each class's mean similarity over the texts given to :meth:`fit`
        (required before labeling; see the module docstring).
    name : str
        Column name in the label matrix.

    Attributes
    ----------
    label_space_ : LabelSpace
    class_columns_ : ndarray of int, shape (c,)
        Label-space index of each described class.
    description_vectors_ : list of ndarray (m_j, d)
    bias_ : ndarray of shape (c,)
        Subtracted similarity per class (zeros unless calibrated).

    Examples
    --------
    >>> zs = ZeroShotLabeler({"spam": "a prize or offer", "ham": "a personal message"})  # doctest: +SKIP
    >>> zs.label(["You won a free cruise! Call now", "see you at lunch"]).votes          # doctest: +SKIP
    array([0, 1])
    """

    kind = "embedding_zero_shot"

    def __init__(
        self,
        labels: Mapping[str, str | Sequence[str]] | Sequence[str],
        *,
        label_space: LabelSpace | Sequence[str] | None = None,
        embedder: Embedder | None = None,
        template: str = "{}",
        temperature: float = 0.05,
        min_confidence: float = 0.0,
        min_margin: float = 0.0,
        min_similarity: float | None = None,
        calibrate: bool = False,
        name: str = "embed_zero_shot",
    ) -> None:
        if isinstance(labels, str):
            labels = parse_label_descriptions(labels)
        if isinstance(labels, Mapping):
            items = [(str(k), [v] if isinstance(v, str) else list(v)) for k, v in labels.items()]
        else:
            items = [(str(k), [str(k)]) for k in labels]
        if not items:
            raise LabelwiseError("ZeroShotLabeler needs at least one class to describe")
        for cls, descs in items:
            if not descs or not all(isinstance(d, str) and d.strip() for d in descs):
                raise LabelwiseError(
                    f"class {cls!r} needs at least one non-empty description string, got {descs!r}"
                )
        if "{}" not in template:
            raise LabelwiseError(
                f"template must contain '{{}}' for the description, got {template!r}"
            )
        if temperature <= 0:
            raise LabelwiseError(f"temperature must be positive, got {temperature}")
        if len(items) == 1 and min_similarity is None:
            raise LabelwiseError(
                f"with only one described class ({items[0][0]!r}) set min_similarity= "
                "(the cosine similarity above which it votes), or describe more classes"
            )
        self.descriptions = dict(items)
        self.template = template
        self.temperature = float(temperature)
        self.min_confidence = float(min_confidence)
        self.min_margin = float(min_margin)
        self.min_similarity = min_similarity
        self.calibrate = calibrate
        self.name = name
        self.embedder = embedder
        self.label_space_, self.class_columns_ = resolve_label_space(
            list(self.descriptions), label_space, who=f"ZeroShotLabeler {name!r}"
        )
        self.bias_ = np.zeros(len(items))
        self._bias_fitted = False
        self.requires_fit = bool(calibrate)

    @property
    def is_fitted(self) -> bool:
        """Ready on construction, unless ``calibrate=True`` (then after :meth:`fit`)."""
        return not self.calibrate or self._bias_fitted

    def check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"ZeroShotLabeler {self.name!r} has calibrate=True but no bias yet; call "
                ".fit(texts) with unlabeled texts of the kind to label first"
            )

    def _get_embedder(self) -> Embedder:
        if self.embedder is None:
            from labelwise.embed.sentence import default_embedder

            self.embedder = default_embedder()
        return self.embedder

    @property
    def description_vectors_(self) -> list[np.ndarray]:
        if not hasattr(self, "_desc_vectors"):
            emb = self._get_embedder()
            self._desc_vectors = [
                emb.embed([self.template.format(d) for d in descs])
                for descs in self.descriptions.values()
            ]
        return self._desc_vectors

    def fit(self, texts: Any = None, y: Any = None) -> ZeroShotLabeler:
        """Embed the descriptions; with ``calibrate=True`` and ``texts``, learn ``bias_``.

        Parameters
        ----------
        texts : sequence of str, optional
            Unlabeled texts of the kind to be labeled (no labels needed).
        y : ignored
            Accepted so every labeler has ``fit(items, y=None)``.

        Returns
        -------
        self
        """
        _ = self.description_vectors_
        if self.calibrate and texts is not None:
            from labelwise.text.clean import prepare_texts

            p = prepare_texts(texts, name="texts", non_string="coerce")
            good = [t for t, ok in zip(p.texts, p.valid, strict=True) if ok]
            if not good:
                raise LabelwiseError("calibration needs at least one non-empty text")
            sims = self.similarities(good)
            self.bias_ = sims.mean(axis=0)
            self._bias_fitted = True
        return self

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        """Raw cosine similarity of each clean text to each described class, shape (n, c)."""
        vecs = self._get_embedder().embed(list(texts))
        return cosine_scores(vecs, self.description_vectors_)

    def _score(self, texts: list[str]) -> np.ndarray:
        sims = self.similarities(texts)
        self._last_sims = sims
        if len(self.descriptions) == 1:
            return np.clip(sims, 0.0, 1.0)
        shifted = sims
        if self.calibrate:
            self.check_fitted()
            shifted = sims - self.bias_
        return softmax(shifted, temperature=self.temperature)

    def _extra_vote_mask(self, texts: list[str], proba: np.ndarray) -> np.ndarray | None:
        if self.min_similarity is None:
            return None
        sims = self._last_sims
        top = proba.argmax(axis=1)
        return sims[np.arange(len(texts)), top] >= self.min_similarity

    def _provenance(self) -> dict[str, Any]:
        emb = self._get_embedder()
        return {
            "model": emb.model_id,
            "descriptions": self.descriptions,
            "template": self.template,
            "temperature": self.temperature,
            "min_similarity": self.min_similarity,
            "calibrate": self.calibrate,
            "embedding": dict(emb.last_stats_),
        }


def _zeroshot_example() -> tuple[Any, Any, Any]:
    from labelwise.embed.fewshot import _EXAMPLE_TEXTS, _example_embedder

    lab = ZeroShotLabeler(
        {"spam": "a prize or a promotional offer", "ham": "a personal message to a friend"},
        embedder=_example_embedder(),
        calibrate=True,
    )
    return lab, list(_EXAMPLE_TEXTS), None


register_labeler(example=_zeroshot_example)(ZeroShotLabeler)
