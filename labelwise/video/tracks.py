"""Tracks: detections linked over frames, exact key-frame interpolation, pre-labels, MOTA/IDF1.

* :class:`IoUTracker` is a SORT-style linker: each track predicts its next box (a
  constant-velocity Kalman filter on centre and size, or the last box), predictions and
  detections are matched one-to-one by IoU with the Hungarian algorithm
  (:func:`scipy.optimize.linear_sum_assignment`; IoU from :mod:`labelwise.geometry`), a
  track that misses a few frames keeps its id (those frames are marked ``occluded`` and
  filled by interpolation) and one that misses more ends (``outside``).
* :func:`detect_and_track` runs a detector (HOG people, Haar faces, a YOLO model: any
  :mod:`labelwise.image.detect` spec) over sampled frames of a video and links the boxes.
* :func:`interpolate_keyframes` fills the boxes between a person's key frames: linear, the
  same numbers the app draws (:func:`labelwise.formats.video_tracks.dense_track`).
* :func:`tracks_to_prelabels` turns tracks into pre-labels in the app's ``video_boxes``
  shape with few key frames (:func:`simplify_keyframes`), ready for ``labelwise project
  import`` as JSONL.
* :func:`evaluate_tracking` scores tracks against ground truth with ``motmetrics``.

Frame numbers are always the source video's.

Examples
--------
>>> t = IoUTracker(iou_threshold=0.3)
>>> for f in range(3):
...     _ = t.update(f, [((10 + 2 * f, 10, 20, 20), 0.9, "person")])
>>> [(tr.id, tr.frames) for tr in t.finish()]
[(1, [0, 1, 2])]
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError
from labelwise.faults import FaultLog
from labelwise.formats.video_tracks import canonical_keyframes, dense_track
from labelwise.geometry import box_iou_matrix, convert_boxes

__all__ = [
    "IoUTracker",
    "Track",
    "TrackingResult",
    "detect_and_track",
    "evaluate_tracking",
    "interpolate_keyframes",
    "prelabel_items",
    "simplify_keyframes",
    "track_rows",
    "tracks_to_prelabels",
]

XYWH = tuple[float, float, float, float]
DetectionLike = tuple[XYWH, float, str]


@dataclass
class Track:
    """One object over time: ``boxes[frame] = (x, y, w, h)`` at matched frames.

    ``occluded`` lists frames inside the track where it was not detected (coasted); their
    boxes are interpolated between the matched frames around them.
    """

    id: int
    label: str
    boxes: dict[int, XYWH] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)
    occluded: list[int] = field(default_factory=list)

    @property
    def frames(self) -> list[int]:
        return sorted(self.boxes)

    @property
    def confidence(self) -> float:
        return float(np.mean(list(self.scores.values()))) if self.scores else 0.0

    def __len__(self) -> int:
        return len(self.boxes)


class _KF:
    """Constant-velocity Kalman filter on (cx, cy, w, h) with velocities (8 states)."""

    def __init__(self, box: XYWH, q: float = 1.0, r: float = 4.0) -> None:
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        self.x = np.array([cx, cy, box[2], box[3], 0, 0, 0, 0], dtype=np.float64)
        self.P = np.diag([r, r, r, r, 100.0, 100.0, 100.0, 100.0])
        self.F = np.eye(8)
        self.F[:4, 4:] = np.eye(4)
        self.H = np.eye(4, 8)
        self.Q = np.eye(8) * q
        self.Q[4:, 4:] *= 0.1
        self.R = np.eye(4) * r

    def predict(self, dt: float = 1.0) -> XYWH:
        F = self.F.copy()
        F[:4, 4:] = np.eye(4) * dt
        self.x = F @ self.x
        self.P = F @ self.P @ F.T + self.Q * dt
        return self.box()

    def update(self, box: XYWH) -> None:
        z = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2, box[2], box[3]])
        y = z - self.H @ self.x
        S = self.H @ self.P @ self.H.T + self.R
        K = self.P @ self.H.T @ np.linalg.inv(S)
        self.x = self.x + K @ y
        self.P = (np.eye(8) - K @ self.H) @ self.P

    def box(self) -> XYWH:
        cx, cy, w, h = self.x[:4]
        w, h = max(float(w), 1e-3), max(float(h), 1e-3)
        return (float(cx) - w / 2, float(cy) - h / 2, w, h)


@dataclass
class _Live:
    track: Track
    kf: _KF | None
    last_frame: int
    last_box: XYWH
    misses: int = 0
    hits: int = 1


class IoUTracker:
    """SORT-style tracker: IoU + Hungarian matching of predicted boxes to detections.

    Parameters
    ----------
    iou_threshold : float
        Smallest IoU between a track's predicted box and a detection to link them.
    max_misses : int
        Sampled frames a track may go undetected and keep its id (occlusion).
    min_hits : int
        Tracks matched on fewer frames are dropped at :meth:`finish` (false alarms).
    kalman : bool
        Predict with a constant-velocity Kalman filter (else the last box).
    class_aware : bool
        Only link detections of the track's class.
    min_score : float
        Detections below this score are ignored.
    """

    def __init__(
        self,
        *,
        iou_threshold: float = 0.3,
        max_misses: int = 3,
        min_hits: int = 1,
        kalman: bool = True,
        class_aware: bool = True,
        min_score: float = 0.0,
    ) -> None:
        if not 0 <= iou_threshold <= 1:
            raise DataError(f"iou_threshold must lie in [0, 1], got {iou_threshold}")
        self.iou_threshold = iou_threshold
        self.max_misses = max_misses
        self.min_hits = min_hits
        self.kalman = kalman
        self.class_aware = class_aware
        self.min_score = min_score
        self._live: list[_Live] = []
        self._done: list[Track] = []
        self._next_id = 1
        self._last_frame: int | None = None
        self._step: int | None = None

    def _predict(self, lv: _Live, frame: int) -> XYWH:
        if lv.kf is None:
            return lv.last_box
        step = self._step or 1
        return lv.kf.predict(dt=(frame - lv.last_frame) / step if step else 1.0)

    def update(self, frame: int, detections: Sequence[DetectionLike]) -> list[tuple[int, XYWH]]:
        """Link ``detections`` (``((x, y, w, h), score, label)``) seen on ``frame``.

        Returns ``(track id, box)`` of the tracks matched on this frame.
        """
        if self._last_frame is not None:
            if frame <= self._last_frame:
                raise DataError(f"frames must increase: got {frame} after {self._last_frame}")
            gap = frame - self._last_frame
            self._step = gap if self._step is None else min(self._step, gap)
        self._last_frame = frame
        dets = [d for d in detections if float(d[1]) >= self.min_score]
        preds = []
        for lv in self._live:
            if lv.kf is not None:
                kf_copy = _KF(lv.last_box)
                kf_copy.x, kf_copy.P = lv.kf.x.copy(), lv.kf.P.copy()
                step = self._step or 1
                preds.append(kf_copy.predict(dt=(frame - lv.last_frame) / step))
            else:
                preds.append(lv.last_box)
        matched: dict[int, int] = {}
        if self._live and dets:
            P = convert_boxes(np.asarray(preds, dtype=np.float64), "xywh", "xyxy")
            D = convert_boxes(np.asarray([d[0] for d in dets], dtype=np.float64), "xywh", "xyxy")
            iou = box_iou_matrix(P, D)
            if self.class_aware:
                same = np.array(
                    [[lv.track.label == d[2] for d in dets] for lv in self._live], dtype=bool
                )
                iou = np.where(same, iou, 0.0)
            from scipy.optimize import linear_sum_assignment

            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols, strict=True):
                if iou[r, c] >= self.iou_threshold and iou[r, c] > 0:
                    matched[int(r)] = int(c)
        out: list[tuple[int, XYWH]] = []
        keep: list[_Live] = []
        used = set(matched.values())
        for r, lv in enumerate(self._live):
            if r in matched:
                box, score, _ = dets[matched[r]]
                box = tuple(float(v) for v in box)  # type: ignore[assignment]
                if lv.kf is not None:
                    lv.kf.predict(dt=(frame - lv.last_frame) / (self._step or 1))
                    lv.kf.update(box)
                if lv.misses:
                    lv.track.occluded.extend(
                        f
                        for f in range(lv.last_frame + 1, frame)
                        if (f - lv.last_frame) % (self._step or 1) == 0
                    )
                lv.track.boxes[frame] = box
                lv.track.scores[frame] = float(score)
                lv.last_frame, lv.last_box, lv.misses = frame, box, 0
                lv.hits += 1
                out.append((lv.track.id, box))
                keep.append(lv)
            else:
                lv.misses += 1
                if lv.misses > self.max_misses:
                    self._retire(lv)
                else:
                    keep.append(lv)
        for j, (box, score, label) in enumerate(dets):
            if j in used:
                continue
            b = tuple(float(v) for v in box)
            tr = Track(self._next_id, str(label), {frame: b}, {frame: float(score)})  # type: ignore[dict-item]
            self._next_id += 1
            keep.append(_Live(tr, _KF(b) if self.kalman else None, frame, b))  # type: ignore[arg-type]
            out.append((tr.id, b))  # type: ignore[arg-type]
        self._live = keep
        return out

    def _retire(self, lv: _Live) -> None:
        if lv.hits >= self.min_hits:
            self._done.append(lv.track)

    def finish(self) -> list[Track]:
        """End every live track; all tracks with at least ``min_hits`` matches, by id."""
        for lv in self._live:
            self._retire(lv)
        self._live = []
        done = sorted(self._done, key=lambda t: t.id)
        self._done = []
        return done


def interpolate_keyframes(
    keyframes: Sequence[Mapping[str, Any]], frames: Iterable[int]
) -> dict[int, XYWH]:
    """Boxes between a person's key frames (linear; ``outside`` hides), at ``frames``.

    Examples
    --------
    >>> kfs = [{"frame": 0, "x": 0, "y": 0, "w": 10, "h": 10},
    ...        {"frame": 30, "x": 60, "y": 30, "w": 10, "h": 10}]
    >>> interpolate_keyframes(kfs, [10, 20])
    {10: (20.0, 10.0, 10.0, 10.0), 20: (40.0, 20.0, 10.0, 10.0)}
    """
    return dense_track(keyframes, frames)


def simplify_keyframes(
    boxes: Mapping[int, XYWH], frames: Sequence[int], *, tolerance: float = 1.0
) -> list[dict[str, Any]]:
    """Fewest key frames whose linear interpolation stays within ``tolerance`` pixels of
    ``boxes`` (at every frame of ``boxes``), with ``outside`` key frames where the object
    is missing on a labeled frame. ``tolerance=0`` keeps every frame that is not exactly
    on a straight line (linear motion needs only its two ends).

    Examples
    --------
    >>> boxes = {f: (2.0 * f, 0.0, 10.0, 10.0) for f in range(0, 50, 5)}
    >>> [k["frame"] for k in simplify_keyframes(boxes, range(0, 100, 5), tolerance=0)]
    [0, 45, 50]
    """
    full = canonical_keyframes(boxes, frames)
    if tolerance < 0:
        raise DataError(f"tolerance must be >= 0, got {tolerance}")
    # split into visible runs (each ends with an outside key frame or the end)
    out: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if not run:
            return
        keep = [0]
        i = 0
        while i < len(run) - 1:
            j = i + 1
            while j + 1 < len(run) and _fits(run, i, j + 1, tolerance):
                j += 1
            keep.append(j)
            i = j
        out.extend(run[k] for k in keep)
        run.clear()

    for k in full:
        if k.get("outside"):
            flush()
            out.append(k)
        else:
            run.append(k)
    flush()
    return out


def _fits(run: list[dict[str, Any]], i: int, j: int, tol: float) -> bool:
    a, b = run[i], run[j]
    f0, f1 = a["frame"], b["frame"]
    for m in range(i + 1, j):
        k = run[m]
        for c in ("x", "y", "w", "h"):
            v = a[c] + (b[c] - a[c]) * (k["frame"] - f0) / (f1 - f0)
            if abs(v - k[c]) > tol:
                return False
    return True


@dataclass
class TrackingResult:
    """Tracks of one video with what it took to make them."""

    path: str
    tracks: list[Track]
    frames: list[int]
    info: Any = None
    detector: str = ""
    seconds: float = 0.0
    faults: FaultLog = field(default_factory=FaultLog)

    @property
    def fps(self) -> float:
        return len(self.frames) / self.seconds if self.seconds > 0 else 0.0


def _as_detector(detector: Any) -> Any:
    if callable(detector) and not hasattr(detector, "detect"):
        return detector
    from labelwise.image.detect import load_detector

    det = load_detector(detector)

    def run(img: np.ndarray) -> list[DetectionLike]:
        out = []
        for d in det.detect(img):
            b = d.box
            out.append(((b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1), float(d.score), d.label))
        return out

    run.name = getattr(det, "name", str(detector))  # type: ignore[attr-defined]
    return run


def detect_and_track(
    path: str | Path,
    detector: Any,
    *,
    every: int = 1,
    tracker: IoUTracker | None = None,
    max_frames: int | None = None,
    progress: bool | None = None,
) -> TrackingResult:
    """Detect on every ``every``-th frame of ``path`` and link the boxes into tracks.

    ``detector`` is a :func:`labelwise.image.detect.load_detector` spec (``people``,
    ``faces``, ``yolo:model.onnx``), a ``Detector``, or a function ``image ->
    [((x, y, w, h), score, label), ...]``. A frame the detector fails on becomes a fault
    (the track coasts over it).
    """
    from labelwise.progress import progress as bar
    from labelwise.video.io import iter_frames, probe

    info = probe(path)
    run = _as_detector(detector)
    tr = tracker or IoUTracker()
    faults = FaultLog()
    frames: list[int] = []
    t0 = time.perf_counter()
    total = len(range(0, info.frame_count, every))
    for fr in bar(
        iter_frames(path, every=every, max_frames=max_frames),
        total=total,
        desc=f"track {Path(path).name}",
        unit="frame",
        enabled=progress,
    ):
        frames.append(fr.index)
        try:
            dets = run(fr.image)
        except Exception as exc:  # one bad frame must not end the video
            faults.record(exc, item=f"{path}#{fr.index}", source="detect")
            dets = []
        tr.update(fr.index, dets)
    tracks = tr.finish()
    return TrackingResult(
        str(path),
        tracks,
        frames,
        info=info,
        detector=str(getattr(run, "name", detector)),
        seconds=time.perf_counter() - t0,
        faults=faults,
    )


def track_rows(tracks: Iterable[Track]) -> list[tuple[int, int, float, float, float, float]]:
    """``(frame, track id, x, y, w, h)`` of every matched box."""
    return [(f, t.id, *t.boxes[f]) for t in tracks for f in t.frames]


def tracks_to_prelabels(
    tracks: Sequence[Track],
    *,
    control: str,
    frames: Sequence[int],
    labels: Mapping[str, str] | None = None,
    tolerance: float = 1.0,
    min_confidence: float = 0.0,
) -> dict[str, Any]:
    """Tracks -> a ``video_boxes`` result ``{control: [{"track", "label", "keyframes"}]}``.

    ``frames`` are the labeled (sampled) frames; occluded gaps inside a track are bridged
    by interpolation, a track ends with ``outside`` on the labeled frame after its last box.
    ``labels`` maps detector classes to the config's labels (unmapped classes are kept
    as they are). Tracks below ``min_confidence`` are left out.
    """
    out = []
    for t in tracks:
        if t.confidence < min_confidence:
            continue
        grid = [f for f in frames if t.frames[0] <= f <= t.frames[-1]]
        # fill occluded frames by interpolating between matched boxes
        kfs_all = [{"frame": f, **dict(zip("xywh", t.boxes[f], strict=True))} for f in t.frames]
        dense = dense_track(kfs_all, grid)
        kfs = simplify_keyframes(dense, frames, tolerance=tolerance)
        out.append(
            {
                "track": str(t.id),
                "label": (labels or {}).get(t.label, t.label),
                "keyframes": kfs,
            }
        )
    return {control: out}


def evaluate_tracking(
    truth: Iterable[tuple[int, Any, float, float, float, float]],
    predicted: Iterable[tuple[int, Any, float, float, float, float]],
    *,
    iou_threshold: float = 0.5,
    frames: Iterable[int] | None = None,
) -> dict[str, float]:
    """MOTA, MOTP, IDF1, precision, recall and id switches (``motmetrics``).

    Rows are ``(frame, id, x, y, w, h)``; ``frames`` restricts scoring to those frames
    (the sampled ones), by default every frame present in either.

    Examples
    --------
    >>> gt = [(f, 1, 10.0 + f, 10.0, 20.0, 20.0) for f in range(5)]
    >>> evaluate_tracking(gt, gt)["mota"]
    1.0
    """
    from labelwise.errors import require

    mm = require("motmetrics", "video")
    gt: dict[int, list[tuple[Any, XYWH]]] = {}
    hy: dict[int, list[tuple[Any, XYWH]]] = {}
    for f, i, x, y, w, h in truth:
        gt.setdefault(int(f), []).append((i, (x, y, w, h)))
    for f, i, x, y, w, h in predicted:
        hy.setdefault(int(f), []).append((i, (x, y, w, h)))
    acc = mm.MOTAccumulator(auto_id=False)
    all_frames = sorted(set(gt) | set(hy)) if frames is None else sorted(set(frames))
    for f in all_frames:
        g, p = gt.get(f, []), hy.get(f, [])
        if g and p:
            # distance 1 - IoU, NaN (no match) below the threshold; IoU from labelwise.geometry
            # (motmetrics' own iou_matrix uses an API NumPy 2 removed)
            iou = box_iou_matrix(
                convert_boxes(np.array([b for _, b in g]), "xywh", "xyxy"),
                convert_boxes(np.array([b for _, b in p]), "xywh", "xyxy"),
            )
            d = np.where(iou >= iou_threshold, 1.0 - iou, np.nan)
        else:
            d = np.empty((len(g), len(p)))
        acc.update([i for i, _ in g], [i for i, _ in p], d, frameid=f)
    mh = mm.metrics.create()
    names = [
        "mota",
        "motp",
        "idf1",
        "precision",
        "recall",
        "num_switches",
        "num_false_positives",
        "num_misses",
    ]
    summary = mh.compute(acc, metrics=names, name="run")
    out = {k: float(summary[k].iloc[0]) for k in names}
    out["motp_iou"] = 1.0 - out.pop("motp") if np.isfinite(out["motp"]) else float("nan")
    return out


def prelabel_items(
    results: Iterable[TrackingResult],
    config: Any,
    *,
    relative_to: str | Path | None = None,
    labels: Mapping[str, str] | None = None,
    tolerance: float = 1.0,
    min_confidence: float = 0.0,
) -> list[Any]:
    """Tracking results -> app tasks (:class:`~labelwise.formats.Item`) whose predictions
    are the tracks, validated against the project's label ``config`` (its ``video_boxes``
    control). Write them with :func:`labelwise.formats.to_jsonl` and import the file with
    ``labelwise project import``; video paths are made relative to ``relative_to`` (the
    folder of the JSONL file) so the app links the media next to it.
    """
    from labelwise.formats import Annotation, Item, LabelConfig
    from labelwise.formats.video_tracks import video_control

    cfg = LabelConfig.coerce(config)
    control = video_control(cfg, "video pre-labels")
    items = []
    for res in results:
        info = res.info
        path = Path(res.path)
        rel = (
            path.resolve().relative_to(Path(relative_to).resolve()).as_posix()
            if relative_to is not None
            else str(path)
        )
        data = dict(info.item_data(cfg.object_field)) if info is not None else {}
        data[cfg.object_field] = rel
        step = int(np.min(np.diff(res.frames))) if len(res.frames) > 1 else 1
        if step > 1:
            data["frame_step"] = step
        if res.frames and res.frames[0]:
            data["frame_start"] = int(res.frames[0])
        frames = range(
            res.frames[0] if res.frames else 0,
            int(data.get("frames") or 0) or (res.frames[-1] + 1 if res.frames else 0),
            step,
        )
        mapping = dict(labels or {})
        if not mapping and len(control.labels) == 1:
            mapping = {t.label: control.labels[0] for t in res.tracks}
        result = tracks_to_prelabels(
            res.tracks,
            control=control.name,
            frames=frames,
            labels=mapping,
            tolerance=tolerance,
            min_confidence=min_confidence,
        )
        unknown = sorted({t["label"] for t in result[control.name]} - set(control.labels))
        if unknown:
            raise DataError(
                f"{path.name}: detector classes {unknown} are not labels of control "
                f"{control.name!r} ({list(control.labels)}); map them with labels="
                "{'person': 'pedestrian'} (--map person=pedestrian)"
            )
        W, H = data.get("width"), data.get("height")
        if W and H:  # detectors may reach past the border: clip to the frame
            for t in result[control.name]:
                for k in t["keyframes"]:
                    x0, y0 = max(0.0, k["x"]), max(0.0, k["y"])
                    k["w"] = max(min(k["x"] + k["w"], W) - x0, 1e-3)
                    k["h"] = max(min(k["y"] + k["h"], H) - y0, 1e-3)
                    k["x"], k["y"] = min(x0, W - 1e-3), min(y0, H - 1e-3)
        clean = cfg.validate_result(result, data, partial=True)
        score = float(np.mean([t.confidence for t in res.tracks])) if res.tracks else 0.0
        items.append(
            Item(
                rel,
                data,
                [],
                [Annotation(clean, f"tracker:{res.detector}", {"score": round(score, 6)})],
            )
        )
    return items
