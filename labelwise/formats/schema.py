"""Label configurations: what is labeled and how; one config drives the UI and the export.

A configuration names one *object* (the thing shown: text, image, audio or video, read from a
field of each item's data) and one or more *controls* (the answers asked for). Declared in
YAML or JSON::

    title: Reviews
    object: {type: text, field: text}
    controls:
      - {name: sentiment, type: choices, labels: [negative, positive]}
      - {name: entities, type: spans, labels: [PER, ORG]}

Value shapes of each control type inside an annotation ``result``:

=============== ======================================================================
``choices``     ``"label"`` (single) or ``["a", "b"]`` (``multiple: true``)
``spans``       ``[{"start": 0, "end": 5, "label": "PER"}]`` character offsets, end exclusive
``boxes``       ``[{"x": 10, "y": 20, "w": 30, "h": 40, "label": "car"}]`` pixels, top-left origin
``polygons``    ``[{"points": [[x, y], ...], "label": "car"}]`` pixels, at least 3 points
``segments``    ``[{"start": 0.5, "end": 1.2, "label": "bark", "text": "..."}]`` seconds
``video_boxes`` ``[{"track": "t1", "label": "car", "keyframes": [{"frame": 0, "x":..,"y":..,"w":..,"h":..}]}]``
                boxes between keyframes are linearly interpolated; a keyframe with
                ``"outside": true`` hides the object until the next keyframe
``text``        ``"free text"``
=============== ======================================================================
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelwise.errors import LabelwiseError

__all__ = [
    "CONTROL_TYPES",
    "OBJECT_TYPES",
    "ConfigError",
    "Control",
    "LabelConfig",
    "ResultError",
]

OBJECT_TYPES = ("text", "image", "audio", "video")
CONTROL_TYPES = ("choices", "spans", "boxes", "polygons", "segments", "video_boxes", "text")
# Which object types each control can annotate.
_COMPATIBLE = {
    "choices": OBJECT_TYPES,
    "text": OBJECT_TYPES,
    "spans": ("text",),
    "boxes": ("image",),
    "polygons": ("image",),
    "segments": ("audio", "video"),
    "video_boxes": ("video",),
}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")


class ConfigError(LabelwiseError):
    """A label configuration that is malformed (names the key and the fix)."""


class ResultError(LabelwiseError):
    """An annotation result that does not fit the label configuration."""


@dataclass(frozen=True)
class Control:
    """One question asked of the annotator.

    Parameters
    ----------
    name : str
        Key of the answer in an annotation result.
    type : str
        One of :data:`CONTROL_TYPES`.
    labels : tuple of str
        Class names (empty for ``text``).
    multiple : bool
        ``choices`` only: several classes may be picked.
    required : bool
        The annotator must answer before submitting.
    transcription : bool
        ``segments`` only: each segment also carries a free-text transcription.
    """

    name: str
    type: str
    labels: tuple[str, ...] = ()
    multiple: bool = False
    required: bool = False
    transcription: bool = False
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "labels": list(self.labels),
            "multiple": self.multiple,
            "required": self.required,
            "transcription": self.transcription,
            "description": self.description,
        }


@dataclass(frozen=True)
class LabelConfig:
    """A parsed, validated label configuration.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({
    ...     "object": {"type": "text", "field": "text"},
    ...     "controls": [{"name": "sentiment", "type": "choices", "labels": ["neg", "pos"]}]})
    >>> cfg.matrix_control.name, cfg.validate_result({"sentiment": "pos"}, {"text": "ok"})
    ('sentiment', {'sentiment': 'pos'})
    """

    object_type: str
    object_field: str
    controls: tuple[Control, ...]
    title: str = ""
    instructions: str = ""
    label_matrix: str | None = None
    extra_fields: tuple[str, ...] = field(default=())

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> LabelConfig:
        """Build from a mapping (the parsed YAML/JSON); raises :class:`ConfigError`."""
        if not isinstance(spec, Mapping):
            raise ConfigError(
                f"a label configuration must be a mapping with 'object' and 'controls', "
                f"got {type(spec).__name__}"
            )
        unknown = set(spec) - {
            "title",
            "instructions",
            "object",
            "controls",
            "label_matrix",
            "show",
        }
        if unknown:
            raise ConfigError(
                f"unknown configuration keys {sorted(unknown)}; allowed: title, instructions, "
                "object, controls, label_matrix, show"
            )
        obj = spec.get("object")
        if not isinstance(obj, Mapping) or "type" not in obj:
            raise ConfigError(
                "configuration needs 'object: {type: text|image|audio|video, field: <data key>}'"
            )
        otype = str(obj["type"])
        if otype not in OBJECT_TYPES:
            raise ConfigError(f"object type {otype!r} is not one of {list(OBJECT_TYPES)}")
        ofield = str(obj.get("field", otype))
        raw_controls = spec.get("controls")
        if not isinstance(raw_controls, Sequence) or isinstance(raw_controls, str):
            raise ConfigError("configuration needs 'controls:' with a list of controls")
        if not raw_controls:
            raise ConfigError("configuration has no controls; add at least one")
        controls = [_parse_control(i, c, otype) for i, c in enumerate(raw_controls)]
        names = [c.name for c in controls]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ConfigError(f"control names must be unique; repeated: {dups}")
        label_matrix = spec.get("label_matrix")
        if label_matrix is not None:
            match = [c for c in controls if c.name == label_matrix]
            if not match or match[0].type != "choices" or match[0].multiple:
                raise ConfigError(
                    f"label_matrix {label_matrix!r} must name a single-choice control; "
                    f"controls: {names}"
                )
        show = spec.get("show") or ()
        if isinstance(show, str):
            show = (show,)
        return cls(
            object_type=otype,
            object_field=ofield,
            controls=tuple(controls),
            title=str(spec.get("title") or ""),
            instructions=str(spec.get("instructions") or ""),
            label_matrix=None if label_matrix is None else str(label_matrix),
            extra_fields=tuple(str(s) for s in show),
        )

    @classmethod
    def from_text(cls, text: str) -> LabelConfig:
        """Parse YAML or JSON text (JSON is YAML, so one parser reads both)."""
        import yaml

        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"label configuration is not valid YAML/JSON: {exc}") from exc
        return cls.from_dict(spec)

    @classmethod
    def from_file(cls, path: str | Path) -> LabelConfig:
        """Read a ``.yaml``/``.yml``/``.json`` file."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"label configuration file {str(p)!r} does not exist")
        try:
            return cls.from_text(p.read_text(encoding="utf-8"))
        except ConfigError as exc:
            raise ConfigError(f"{p}: {exc}") from None

    @classmethod
    def coerce(cls, config: LabelConfig | Mapping[str, Any] | str | Path) -> LabelConfig:
        """Accept a config, a mapping, YAML/JSON text or a path."""
        if isinstance(config, LabelConfig):
            return config
        if isinstance(config, Mapping):
            return cls.from_dict(config)
        if isinstance(config, Path) or (
            isinstance(config, str)
            and "\n" not in config
            and config.endswith((".yml", ".yaml", ".json"))
        ):
            return cls.from_file(config)
        return cls.from_text(str(config))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "instructions": self.instructions,
            "object": {"type": self.object_type, "field": self.object_field},
            "controls": [c.to_dict() for c in self.controls],
        }
        if self.label_matrix:
            out["label_matrix"] = self.label_matrix
        if self.extra_fields:
            out["show"] = list(self.extra_fields)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    # ------------------------------------------------------------------ lookups
    def control(self, name: str) -> Control:
        for c in self.controls:
            if c.name == name:
                return c
        raise ConfigError(f"no control named {name!r}; controls: {[c.name for c in self.controls]}")

    def controls_of_type(self, *types: str) -> list[Control]:
        return [c for c in self.controls if c.type in types]

    @property
    def matrix_control(self) -> Control | None:
        """The single-choice control whose answers become label-matrix votes (or None)."""
        if self.label_matrix:
            return self.control(self.label_matrix)
        for c in self.controls:
            if c.type == "choices" and not c.multiple:
                return c
        return None

    # ------------------------------------------------------------------ validation
    def validate_result(
        self,
        result: Any,
        data: Mapping[str, Any] | None = None,
        *,
        partial: bool = False,
        in_image: bool = True,
    ) -> dict[str, Any]:
        """Check an annotation result against the config and return it normalized.

        Parameters
        ----------
        result : dict
            Control name -> value.
        data : dict, optional
            The item's data; used to bound spans (text length) and boxes (image size).
        partial : bool
            Skip the ``required`` check (pre-labels, drafts).
        in_image : bool
            Reject boxes reaching outside the image (an importer's ``policy="keep"`` turns
            this off).

        Raises
        ------
        ResultError
            Naming the control, the bad value and what is expected.
        """
        if not isinstance(result, Mapping):
            raise ResultError(
                f"an annotation result must be an object of control name -> value, "
                f"got {type(result).__name__}"
            )
        known = {c.name for c in self.controls}
        unknown = sorted(set(result) - known)
        if unknown:
            raise ResultError(f"result has unknown controls {unknown}; controls: {sorted(known)}")
        out: dict[str, Any] = {}
        for c in self.controls:
            value = result.get(c.name)
            if value is None or value == [] or value == "":
                if c.required and not partial:
                    raise ResultError(f"control {c.name!r} is required; give a {c.type} answer")
                continue
            out[c.name] = _validate_value(c, value, data or {}, in_image=in_image)
        return out


# ---------------------------------------------------------------------- helpers
def _parse_control(i: int, raw: Any, otype: str) -> Control:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"controls[{i}] must be a mapping with name and type, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(
            f"controls[{i}] has name {name!r}; use letters, digits, '_' or '-' "
            "(starting with a letter), at most 64 characters"
        )
    ctype = raw.get("type")
    if ctype not in CONTROL_TYPES:
        raise ConfigError(
            f"control {name!r} has type {ctype!r}; expected one of {list(CONTROL_TYPES)}"
        )
    if otype not in _COMPATIBLE[ctype]:
        raise ConfigError(
            f"control {name!r} of type {ctype!r} cannot annotate a {otype} object; "
            f"it works on {list(_COMPATIBLE[ctype])}"
        )
    allowed = {"name", "type", "labels", "multiple", "required", "transcription", "description"}
    extra = set(raw) - allowed
    if extra:
        raise ConfigError(
            f"control {name!r} has unknown keys {sorted(extra)}; allowed: {sorted(allowed)}"
        )
    labels_raw = raw.get("labels") or []
    if isinstance(labels_raw, str) or not isinstance(labels_raw, Sequence):
        raise ConfigError(f"control {name!r}: labels must be a list of class names")
    labels = tuple(str(x) for x in labels_raw)
    if ctype != "text":
        if not labels:
            raise ConfigError(f"control {name!r} of type {ctype!r} needs 'labels: [..]'")
        if ctype == "choices" and len(labels) < 2 and not raw.get("multiple"):
            raise ConfigError(
                f"single-choice control {name!r} needs at least 2 labels, got {list(labels)}"
            )
        dups = sorted({x for x in labels if labels.count(x) > 1})
        if dups:
            raise ConfigError(f"control {name!r} repeats labels {dups}")
        if any(not x.strip() for x in labels):
            raise ConfigError(f"control {name!r} has an empty label name")
    elif labels:
        raise ConfigError(f"text control {name!r} takes no labels")
    if raw.get("multiple") and ctype != "choices":
        raise ConfigError(f"'multiple' only applies to choices controls, not {name!r} ({ctype})")
    if raw.get("transcription") and ctype != "segments":
        raise ConfigError(f"'transcription' only applies to segments controls, not {name!r}")
    return Control(
        name=name,
        type=ctype,
        labels=labels,
        multiple=bool(raw.get("multiple", False)),
        required=bool(raw.get("required", False)),
        transcription=bool(raw.get("transcription", False)),
        description=str(raw.get("description") or ""),
    )


def _num(c: Control, what: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ResultError(f"control {c.name!r}: {what} must be a finite number, got {v!r}")
    return float(v)


def _label(c: Control, v: Any, where: str) -> str:
    if not isinstance(v, str) or v not in c.labels:
        raise ResultError(f"control {c.name!r}: {where} label {v!r} is not one of {list(c.labels)}")
    return v


def _list(c: Control, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ResultError(
            f"control {c.name!r} expects a list of {c.type}, got {type(value).__name__}"
        )
    if len(value) > 10_000:
        raise ResultError(f"control {c.name!r} has {len(value)} regions; at most 10000 allowed")
    return value


def _region(c: Control, i: int, r: Any, keys: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(r, Mapping):
        raise ResultError(f"control {c.name!r}: region {i} must be an object, got {r!r}")
    missing = [k for k in keys if k not in r]
    if missing:
        raise ResultError(f"control {c.name!r}: region {i} lacks {missing}")
    return r


def _validate_box(
    c: Control, where: str, r: Mapping[str, Any], data: Mapping[str, Any], in_image: bool = True
) -> dict[str, float]:
    x, y = _num(c, f"{where} x", r["x"]), _num(c, f"{where} y", r["y"])
    w, h = _num(c, f"{where} w", r["w"]), _num(c, f"{where} h", r["h"])
    if w <= 0 or h <= 0:
        raise ResultError(
            f"control {c.name!r}: {where} has width {w} and height {h}; both must be > 0"
        )
    width, height = data.get("width"), data.get("height")
    tol = 1e-6
    known = (
        in_image
        and isinstance(width, (int, float))
        and isinstance(height, (int, float))
        and width
        and height
    )
    if known and (
        x < -tol
        or y < -tol
        or x + w > width * (1 + tol) + tol  # type: ignore[operator]
        or y + h > height * (1 + tol) + tol  # type: ignore[operator]
    ):
        raise ResultError(
            f"control {c.name!r}: {where} ({x}, {y}, {w}, {h}) leaves the {width}x{height} image; "
            "clip it to the image"
        )
    return {"x": x, "y": y, "w": w, "h": h}


def _score(c: Control, where: str, r: Mapping[str, Any], out: dict[str, Any]) -> None:
    """Keep a model's ``score`` (pre-labels: a confidence, or a detector's raw score)."""
    if r.get("score") is not None:
        out["score"] = _num(c, f"{where} score", r["score"])


def _validate_value(
    c: Control, value: Any, data: Mapping[str, Any], *, in_image: bool = True
) -> Any:
    if c.type == "choices":
        if c.multiple:
            vals = value if isinstance(value, list) else [value]
            picked = [_label(c, v, "choice") for v in vals]
            if len(set(picked)) != len(picked):
                raise ResultError(f"control {c.name!r} repeats a choice: {picked}")
            return picked
        if isinstance(value, list):
            if len(value) != 1:
                raise ResultError(
                    f"control {c.name!r} takes one choice, got {value!r}; set multiple: true for several"
                )
            value = value[0]
        return _label(c, value, "choice")
    if c.type == "text":
        if not isinstance(value, str):
            raise ResultError(f"control {c.name!r} expects text, got {type(value).__name__}")
        if len(value) > 100_000:
            raise ResultError(f"control {c.name!r}: text of {len(value)} characters exceeds 100000")
        return value
    regions = _list(c, value)
    out: list[dict[str, Any]] = []
    if c.type == "spans":
        text = data.get("text") if isinstance(data.get("text"), str) else None
        for i, raw in enumerate(regions):
            r = _region(c, i, raw, ("start", "end", "label"))
            s, e = r["start"], r["end"]
            if (
                not all(isinstance(v, int) and not isinstance(v, bool) for v in (s, e))
                or not 0 <= s < e
            ):
                raise ResultError(
                    f"control {c.name!r}: span {i} has start {s!r}, end {e!r}; need integers 0 <= start < end"
                )
            if text is not None and e > len(text):
                raise ResultError(
                    f"control {c.name!r}: span {i} ends at {e}, past the text's {len(text)} characters"
                )
            span = {"start": s, "end": e, "label": _label(c, r["label"], f"span {i}")}
            if text is not None:
                span["text"] = text[s:e]
            out.append(span)
        return out
    if c.type == "boxes":
        for i, raw in enumerate(regions):
            r = _region(c, i, raw, ("x", "y", "w", "h", "label"))
            box: dict[str, Any] = _validate_box(c, f"box {i}", r, data, in_image)
            box["label"] = _label(c, r["label"], f"box {i}")
            _score(c, f"box {i}", r, box)
            out.append(box)
        return out
    if c.type == "polygons":
        for i, raw in enumerate(regions):
            r = _region(c, i, raw, ("points", "label"))
            pts = r["points"]
            if not isinstance(pts, list) or len(pts) < 3:
                raise ResultError(f"control {c.name!r}: polygon {i} needs at least 3 [x, y] points")
            clean = []
            for j, p in enumerate(pts):
                if not isinstance(p, (list, tuple)) or len(p) != 2:
                    raise ResultError(f"control {c.name!r}: polygon {i} point {j} must be [x, y]")
                clean.append([_num(c, f"polygon {i} x", p[0]), _num(c, f"polygon {i} y", p[1])])
            poly = {"points": clean, "label": _label(c, r["label"], f"polygon {i}")}
            _score(c, f"polygon {i}", r, poly)
            out.append(poly)
        return out
    if c.type == "segments":
        duration = data.get("duration")
        for i, raw in enumerate(regions):
            r = _region(c, i, raw, ("start", "end", "label"))
            s, e = _num(c, f"segment {i} start", r["start"]), _num(c, f"segment {i} end", r["end"])
            if not 0 <= s < e:
                raise ResultError(
                    f"control {c.name!r}: segment {i} runs {s}..{e} s; need 0 <= start < end"
                )
            if isinstance(duration, (int, float)) and duration > 0 and e > duration + 1e-6:
                raise ResultError(
                    f"control {c.name!r}: segment {i} ends at {e} s, past the {duration} s clip"
                )
            seg: dict[str, Any] = {
                "start": s,
                "end": e,
                "label": _label(c, r["label"], f"segment {i}"),
            }
            text = r.get("text")
            if text not in (None, ""):
                if not c.transcription:
                    raise ResultError(
                        f"control {c.name!r}: segment {i} has a transcription but the control "
                        "does not ask for one (set transcription: true)"
                    )
                if not isinstance(text, str):
                    raise ResultError(f"control {c.name!r}: segment {i} text must be a string")
                seg["text"] = text
            out.append(seg)
        return out
    if c.type == "video_boxes":
        seen: set[str] = set()
        for i, raw in enumerate(regions):
            r = _region(c, i, raw, ("track", "label", "keyframes"))
            track = str(r["track"])
            if track in seen:
                raise ResultError(f"control {c.name!r}: track id {track!r} is used twice")
            seen.add(track)
            kfs = r["keyframes"]
            if not isinstance(kfs, list) or not kfs:
                raise ResultError(
                    f"control {c.name!r}: track {track!r} needs at least one keyframe"
                )
            clean_kfs = []
            for j, kraw in enumerate(kfs):
                k = _region(c, j, kraw, ("frame", "x", "y", "w", "h"))
                f = k["frame"]
                if not isinstance(f, int) or isinstance(f, bool) or f < 0:
                    raise ResultError(
                        f"control {c.name!r}: track {track!r} keyframe {j} frame {f!r} must be an integer >= 0"
                    )
                kf: dict[str, Any] = {
                    "frame": f,
                    **_validate_box(c, f"track {track!r} keyframe {j}", k, data),
                }
                if k.get("outside"):
                    kf["outside"] = True
                clean_kfs.append(kf)
            frames = [k["frame"] for k in clean_kfs]
            if frames != sorted(set(frames)):
                raise ResultError(
                    f"control {c.name!r}: track {track!r} keyframes must have strictly increasing frames, got {frames}"
                )
            out.append(
                {
                    "track": track,
                    "label": _label(c, r["label"], f"track {track!r}"),
                    "keyframes": clean_kfs,
                }
            )
        return out
    raise ResultError(f"control {c.name!r} has unsupported type {c.type!r}")  # pragma: no cover
