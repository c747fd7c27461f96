"""Probe video files and stream their frames (never a whole video in memory).

:func:`probe` reads a file's facts: duration, frame rate (constant or variable), exact frame
count, codec, stored and display size, rotation, audio track. It demuxes packets (no
decoding) to count frames and key frames, and decodes the first frame to make sure the file
really decodes.

:func:`iter_frames` yields :class:`Frame` objects one at a time: every frame, every N-th
frame, every N seconds, chosen frame indices or times, key frames only, or the first frame
of each scene. Frame indices are always the source video's frame numbers (0-based, in
presentation order), never positions in the sample. Sparse samples seek to the key frame
before each target instead of decoding everything in between. Rotated phone videos come
out upright. A webcam index or a stream URL goes through OpenCV's capture with the same
iterator (:func:`iter_frames` with ``live=True`` or an ``int`` source).

:func:`probe_many` and :func:`list_videos` work on folders; one broken file becomes a
:class:`~labelwise.faults.Fault` and the batch goes on.

Examples
--------
>>> info = probe("clip.mp4")  # doctest: +SKIP
>>> [f.index for f in iter_frames("clip.mp4", every=30)]  # doctest: +SKIP
[0, 30, 60]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.faults import FaultLog

__all__ = [
    "VIDEO_SUFFIXES",
    "Frame",
    "FrameReader",
    "VideoError",
    "VideoInfo",
    "iter_frames",
    "list_videos",
    "probe",
    "probe_many",
    "read_frame",
]

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ogv", ".wmv")


class VideoError(DataError):
    """A video that cannot be opened or decoded (names the file and what to do)."""


@dataclass(frozen=True)
class VideoInfo:
    """Facts about one video file (see :func:`probe`).

    ``width``/``height`` are the upright (display) size after ``rotation``; frames from
    :func:`iter_frames` have that size. ``frame_count`` is exact (counted from packets).
    ``fps`` is the average rate; ``variable_fps`` is true when frame durations differ.
    """

    path: str
    width: int
    height: int
    frame_count: int
    fps: float
    duration: float
    codec: str
    rotation: int = 0
    variable_fps: bool = False
    min_fps: float | None = None
    max_fps: float | None = None
    keyframes: int = 0
    has_audio: bool = False
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    bit_rate: int | None = None
    size_bytes: int = 0
    pixel_format: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = "; ".join(self.warnings)
        return d

    def item_data(self, field: str = "video") -> dict[str, Any]:
        """The data of an app task for this video (what the app's video control reads)."""
        return {
            field: self.path,
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 6),
            "frames": self.frame_count,
            "duration": round(self.duration, 6),
        }


@dataclass
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        Frame number in the source video (0-based, presentation order).
    time : float
        Presentation time in seconds from the start of the video.
    image : ndarray
        ``(H, W, 3)`` uint8 RGB (or ``(H, W)`` for ``gray``), upright.
    key : bool
        Whether the frame is a key frame (decodable on its own).
    source : str
        The file (or live source) it came from.
    """

    index: int
    time: float
    image: np.ndarray
    key: bool = False
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def _av() -> Any:
    return require("av", "video")


def _cv2() -> Any:
    return require("cv2", "video")


def _upright(img: np.ndarray, rotation: int) -> np.ndarray:
    k = (round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(img, k)) if k else img


def _check_file(path: Path) -> None:
    if not path.exists():
        raise VideoError(f"{str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise VideoError(f"{str(path)!r} is a folder; give a video file")
    if path.stat().st_size == 0:
        raise VideoError(
            f"{str(path)!r} is empty (0 bytes): the copy or recording did not finish; "
            "re-export the video or remove the file"
        )


def _open(path: Path) -> Any:
    av = _av()
    _check_file(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(
            f"{str(path)!r} is not a readable video ({type(exc).__name__}: {exc}); "
            "the file is corrupt or not a video: re-encode it (ffmpeg -i in -c:v libx264 out.mp4)"
        ) from None
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams})
        container.close()
        raise VideoError(
            f"{str(path)!r} has no video stream (streams: {kinds or 'none'}); "
            "an audio-only file belongs in `labelwise audio`"
        )
    return container


@dataclass
class _Index:
    """Presentation timestamps of every frame (sorted) and which are key frames."""

    pts: np.ndarray
    key: np.ndarray
    time_base: float
    start: int
    bad_packets: int = 0

    def index_of(self, pts: int | None) -> int:
        if pts is None:
            return -1
        i = int(np.searchsorted(self.pts, pts))
        if i < len(self.pts) and self.pts[i] == pts:
            return i
        # a pts not seen while demuxing (rare): nearest frame
        if i >= len(self.pts):
            return len(self.pts) - 1
        if i > 0 and pts - self.pts[i - 1] < self.pts[i] - pts:
            return i - 1
        return i

    def time_of(self, i: int) -> float:
        return float(self.pts[i] - self.start) * self.time_base


_INDEX_CACHE: dict[tuple[str, int, int], _Index] = {}


def _build_index(path: Path, container: Any | None = None) -> _Index:
    """Demux (no decoding) to list every frame's pts and key flag; cached per file version."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _INDEX_CACHE:
        return _INDEX_CACHE[key]
    av = _av()
    own = container is None
    c: Any = _open(path) if own else container
    try:
        stream = c.streams.video[0]
        pts_list: list[int] = []
        keys: list[bool] = []
        bad = 0
        try:
            for pkt in c.demux(stream):
                if pkt.size == 0 or pkt.pts is None:
                    if pkt.size and pkt.pts is None:
                        bad += 1
                    continue
                pts_list.append(int(pkt.pts))
                keys.append(bool(pkt.is_keyframe))
        except av.error.FFmpegError:
            bad += 1
        order = np.argsort(np.asarray(pts_list, dtype=np.int64), kind="stable")
        pts = np.asarray(pts_list, dtype=np.int64)[order]
        keyarr = np.asarray(keys, dtype=bool)[order]
        tb = float(stream.time_base) if stream.time_base else 1.0
        start = (
            int(stream.start_time)
            if stream.start_time is not None
            else (int(pts[0]) if len(pts) else 0)
        )
        idx = _Index(pts, keyarr, tb, start, bad)
    finally:
        if own:
            c.close()
    if len(_INDEX_CACHE) > 64:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = idx
    return idx


def probe(path: str | Path) -> VideoInfo:
    """Read a video's facts; raises :class:`VideoError` naming the file when it is unusable.

    Zero-length, audio-only, corrupt and truncated files are told apart in the message.
    """
    av = _av()
    p = Path(path)
    c = _open(p)
    warnings: list[str] = []
    try:
        stream = c.streams.video[0]
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        audio = c.streams.audio[0] if c.streams.audio else None
        # decode the first frame: proves the file decodes and gives the rotation
        rotation = 0
        first = None
        try:
            for frame in c.decode(stream):
                first = frame
                break
        except av.error.FFmpegError as exc:
            raise VideoError(
                f"{str(p)!r} cannot be decoded ({exc}); the file is corrupt: "
                "re-encode it or remove it"
            ) from None
        if first is None:
            raise VideoError(
                f"{str(p)!r} has a video stream but no decodable frame; the file is truncated "
                "or corrupt: re-export it"
            )
        rotation = round(float(getattr(first, "rotation", 0) or 0)) % 360
        sw, sh = int(first.width), int(first.height)
        pix = str(first.format.name) if first.format is not None else None
        bit_rate = int(c.bit_rate) if c.bit_rate else None
        declared = int(stream.frames or 0)
        avg_rate = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        audio_codec = audio.codec_context.name if audio is not None else None
        audio_rate = int(audio.rate) if audio is not None and audio.rate else None
    finally:
        c.close()
    idx = _build_index(p)
    n = len(idx.pts)
    if idx.bad_packets:
        warnings.append(
            f"{idx.bad_packets} damaged packet(s) while reading; the file may be truncated"
        )
    if declared and n < declared:
        warnings.append(
            f"only {n} of the {declared} frames the header declares are present; "
            "the file looks truncated"
        )
    if n >= 2:
        d = np.diff(idx.pts).astype(np.float64) * idx.time_base
        d = d[d > 0]
        last = float(np.median(d)) if d.size else 0.0
        duration = float(idx.pts[-1] - idx.start) * idx.time_base + last
        fps = (n / duration) if duration > 0 else avg_rate
        if d.size:
            rel = (d.max() - d.min()) / max(np.median(d), 1e-12)
            variable = bool(rel > 0.02)
            min_fps, max_fps = 1.0 / float(d.max()), 1.0 / float(d.min())
        else:
            variable, min_fps, max_fps = False, None, None
    else:
        rate = avg_rate
        fps = rate
        duration = (1.0 / rate) if (n == 1 and rate) else 0.0
        variable, min_fps, max_fps = False, None, None
    if rotation in (90, 270):
        width, height = sh, sw
    else:
        width, height = sw, sh
    return VideoInfo(
        path=str(p),
        width=width,
        height=height,
        frame_count=n,
        fps=float(fps),
        duration=float(duration),
        codec=str(codec),
        rotation=rotation,
        variable_fps=variable,
        min_fps=min_fps,
        max_fps=max_fps,
        keyframes=int(idx.key.sum()),
        has_audio=audio is not None,
        audio_codec=audio_codec,
        audio_sample_rate=audio_rate,
        bit_rate=bit_rate,
        size_bytes=p.stat().st_size,
        pixel_format=pix,
        warnings=tuple(warnings),
    )


def list_videos(source: str | Path, *, recursive: bool = True) -> list[Path]:
    """Video files in a folder (by extension, sorted), or ``[source]`` for a file."""
    p = Path(source)
    if not p.exists():
        raise VideoError(f"{str(p)!r} does not exist; give a video file or a folder of videos")
    if p.is_file():
        return [p]
    pattern = p.rglob("*") if recursive else p.glob("*")
    return sorted(
        f
        for f in pattern
        if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES and not f.name.startswith(".")
    )


def probe_many(
    paths: Iterable[str | Path], *, progress: bool | None = None
) -> tuple[list[VideoInfo], FaultLog]:
    """Probe every file; a file that fails becomes a fault and the others go on."""
    from labelwise.progress import progress as bar

    faults = FaultLog()
    infos: list[VideoInfo] = []
    paths = list(paths)
    for path in bar(paths, total=len(paths), desc="probe", unit="video", enabled=progress):
        try:
            info = probe(path)
        except VideoError as exc:
            faults.record(exc, item=str(path), source="probe")
            continue
        for w in info.warnings:
            faults.warn(str(path), "truncated", w, source="probe")
        infos.append(info)
    return infos, faults


# ---------------------------------------------------------------------- frame reading
class FrameReader:
    """Decode frames of one file on demand, seeking to key frames for sparse samples.

    ``decoded`` counts the frames the decoder produced (to check that sparse sampling
    decodes only what it needs). Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        format: str = "rgb24",
        size: tuple[int, int] | None = None,
        threads: bool = True,
        upright: bool = True,
    ) -> None:
        self.path = Path(path)
        self.container = _open(self.path)
        self.stream = self.container.streams.video[0]
        if threads:
            self.stream.thread_type = "AUTO"
        self.index = _build_index(self.path)
        self.format = format
        self.size = size
        self.upright = upright
        self.decoded = 0
        self.seeks = 0
        self._gen: Iterator[Any] | None = None
        self._pos = -1  # index of the last frame produced by _gen
        self._rotation: int | None = None

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.container.close()

    @property
    def frame_count(self) -> int:
        return len(self.index.pts)

    def _to_frame(self, f: Any, i: int) -> Frame:
        if self._rotation is None:
            self._rotation = round(float(getattr(f, "rotation", 0) or 0)) % 360
        fmt = "gray" if self.format == "gray" else self.format
        if self.size is not None:
            w, h = self.size
            if self.upright and self._rotation in (90, 270):
                w, h = h, w
            img = f.to_ndarray(format=fmt, width=w, height=h)
        else:
            img = f.to_ndarray(format=fmt)
        if self.upright and self._rotation:
            img = _upright(img, self._rotation)
        return Frame(
            index=i,
            time=self.index.time_of(i) if 0 <= i < self.frame_count else float(f.time or 0.0),
            image=img,
            key=bool(self.index.key[i]) if 0 <= i < self.frame_count else bool(f.key_frame),
            source=str(self.path),
        )

    def _decode_from(self, key_index: int | None) -> None:
        av = _av()
        if key_index is not None:
            target = int(self.index.pts[key_index])
            self.container.seek(target, stream=self.stream, backward=True, any_frame=False)
            self.seeks += 1
        container, stream = self.container, self.stream

        def gen() -> Iterator[Any]:
            try:
                for pkt in container.demux(stream):
                    try:
                        yield from pkt.decode()
                    except av.error.InvalidDataError:
                        continue  # one damaged packet: skip it, keep decoding
            except av.error.FFmpegError:
                return

        self._gen = gen()
        self._pos = -1

    def _next_raw(self) -> tuple[Any, int] | None:
        assert self._gen is not None
        for f in self._gen:
            self.decoded += 1
            i = self.index.index_of(f.pts)
            self._pos = i
            return f, i
        return None

    def read(self, i: int) -> Frame | None:
        """Frame ``i`` (source frame number), or ``None`` past the end."""
        n = self.frame_count
        if i < 0 or i >= n:
            return None
        keys = np.flatnonzero(self.index.key[: i + 1])
        k = int(keys[-1]) if keys.size else 0
        # Continue decoding when the target is ahead of us and no key frame lies between;
        # otherwise seek to the last key frame at or before the target.
        if self._gen is None or i <= self._pos or k > self._pos + 1:
            self._decode_from(k if (k > 0 or self._gen is not None) else None)
        while True:
            got = self._next_raw()
            if got is None:
                return None
            f, j = got
            if j == i:
                return self._to_frame(f, j)
            if j > i:  # target frame missing from the stream (damaged): give the next one
                return self._to_frame(f, j)

    def sequential(self) -> Iterator[Frame]:
        """Every frame from the start, in order."""
        self._decode_from(None)
        while True:
            got = self._next_raw()
            if got is None:
                return
            f, j = got
            yield self._to_frame(f, j)

    def keyframes(self) -> Iterator[Frame]:
        """Only key frames (the decoder skips the rest)."""
        self._decode_from(None)
        ctx = self.stream.codec_context
        ctx.skip_frame = "NONKEY"
        try:
            while True:
                got = self._next_raw()
                if got is None:
                    return
                f, j = got
                yield self._to_frame(f, j)
        finally:
            ctx.skip_frame = "DEFAULT"


def _sample_indices(
    n: int,
    times: np.ndarray,
    *,
    every: int | None,
    every_seconds: float | None,
    indices: Sequence[int] | None,
    at_times: Sequence[float] | None,
    start: float | None,
    end: float | None,
) -> list[int]:
    lo = 0 if start is None else int(np.searchsorted(times, start - 1e-9))
    hi = n if end is None else int(np.searchsorted(times, end - 1e-9))
    if indices is not None:
        return sorted({int(i) for i in indices if 0 <= int(i) < n and lo <= int(i) < hi})
    if at_times is not None:
        out = set()
        for t in at_times:
            # the frame on screen at time t: last frame starting at or before t
            j = int(np.searchsorted(times, float(t) + 1e-9, side="right")) - 1
            if 0 <= j < n and lo <= j < hi:
                out.add(j)
        return sorted(out)
    if every_seconds is not None:
        if every_seconds <= 0:
            raise DataError(f"every_seconds must be > 0, got {every_seconds}")
        if hi <= lo:
            return []
        t0 = times[lo]
        grid = np.arange(t0, times[hi - 1] + 1e-9, every_seconds)
        js = np.searchsorted(times, grid + 1e-9, side="right") - 1
        return sorted({int(j) for j in js if lo <= j < hi})
    step = 1 if every is None else int(every)
    if step < 1:
        raise DataError(f"every must be >= 1 frame, got {every}")
    return list(range(lo, hi, step))


def _is_live(source: Any) -> bool:
    if isinstance(source, int):
        return True
    s = str(source)
    return "://" in s and not s.startswith("file://")


def _iter_live(
    source: Any,
    *,
    every: int | None,
    max_frames: int | None,
    format: str,
    size: tuple[int, int] | None,
) -> Iterator[Frame]:
    cv2 = _cv2()
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise VideoError(
            f"OpenCV cannot open the live source {source!r}; check the camera index or URL "
            "(and that the stream is up)"
        )
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    step = max(1, int(every or 1))
    i = -1
    n_out = 0
    try:
        while max_frames is None or n_out < max_frames:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                return
            i += 1
            if i % step:
                continue
            if size is not None:
                bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
            img = (
                cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
                if format == "gray"
                else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            )
            ms = float(cap.get(cv2.CAP_PROP_POS_MSEC) or 0.0)
            t = ms / 1000.0 if ms > 0 else (i / fps if fps > 0 else float(i))
            n_out += 1
            yield Frame(index=i, time=t, image=img, key=False, source=str(source))
    finally:
        cap.release()


def _hist(img: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    small = cv2.resize(img, (64, 48), interpolation=cv2.INTER_AREA)
    if small.ndim == 2:
        h = cv2.calcHist([small], [0], None, [32], [0, 256]).ravel()
    else:
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        h = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    return h / max(float(h.sum()), 1.0)


def scene_change_score(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram distance (0 = same colours, 1 = disjoint) between two frames."""
    return float(0.5 * np.abs(_hist(a) - _hist(b)).sum())


def iter_frames(
    source: str | Path | int,
    *,
    every: int | None = None,
    every_seconds: float | None = None,
    indices: Sequence[int] | None = None,
    times: Sequence[float] | None = None,
    keyframes: bool = False,
    scenes: bool = False,
    scene_threshold: float = 0.4,
    start: float | None = None,
    end: float | None = None,
    max_frames: int | None = None,
    format: str = "rgb24",
    size: tuple[int, int] | None = None,
    live: bool | None = None,
    upright: bool = True,
) -> Iterator[Frame]:
    """Yield frames of ``source`` one at a time (see the module docstring).

    Parameters
    ----------
    source : path, int or URL
        A video file; a webcam index or stream URL (``live``) opens through OpenCV.
    every : int, optional
        Every N-th frame (source numbering: 0, N, 2N, ...).
    every_seconds : float, optional
        The frame on screen every ``every_seconds`` seconds (works on variable frame rate).
    indices, times : sequence, optional
        Exact frame numbers, or times in seconds (the frame on screen at each time).
    keyframes : bool
        Only key frames (no other frame is decoded).
    scenes : bool
        The first frame of every scene: a frame whose colour histogram differs from the
        previous frame's by more than ``scene_threshold`` (0..1) starts a new scene.
    start, end : float, optional
        Time window in seconds (end exclusive).
    max_frames : int, optional
        Stop after this many frames.
    format : {"rgb24", "gray", "bgr24"}
        Pixel format of ``Frame.image``.
    size : (width, height), optional
        Resize while decoding (cheap: done by the scaler).
    """
    if format not in ("rgb24", "gray", "bgr24"):
        raise DataError(f"format must be rgb24, gray or bgr24, got {format!r}")
    if live or (live is None and _is_live(source)):
        if indices is not None or times is not None or keyframes or scenes or every_seconds:
            raise DataError(
                f"live source {source!r} supports only every= and max_frames=; it cannot seek"
            )
        yield from _iter_live(source, every=every, max_frames=max_frames, format=format, size=size)
        return
    chosen = sum(
        x is not None and x is not False
        for x in (every, every_seconds, indices, times, keyframes or None, scenes or None)
    )
    if chosen > 1:
        raise DataError(
            "choose one sampling: every, every_seconds, indices, times, keyframes or scenes"
        )
    assert not isinstance(source, int)
    reader = FrameReader(source, format=format, size=size, upright=upright)
    try:
        n = reader.frame_count
        ftimes = (reader.index.pts - reader.index.start).astype(np.float64) * reader.index.time_base
        count = 0

        def window(fr: Frame) -> bool:
            return (start is None or fr.time >= start - 1e-9) and (
                end is None or fr.time < end - 1e-9
            )

        if keyframes:
            for fr in reader.keyframes():
                if window(fr):
                    yield fr
                    count += 1
                    if max_frames is not None and count >= max_frames:
                        return
            return
        if scenes:
            prev: np.ndarray | None = None
            for fr in reader.sequential():
                if not window(fr):
                    continue
                score = 1.0 if prev is None else scene_change_score(prev, fr.image)
                prev = fr.image
                if score >= scene_threshold:
                    fr.meta["scene_score"] = score
                    yield fr
                    count += 1
                    if max_frames is not None and count >= max_frames:
                        return
            return
        wanted = _sample_indices(
            n,
            ftimes,
            every=every,
            every_seconds=every_seconds,
            indices=indices,
            at_times=times,
            start=start,
            end=end,
        )
        if max_frames is not None:
            wanted = wanted[:max_frames]
        if wanted and len(wanted) == wanted[-1] - wanted[0] + 1 and wanted[0] == 0:
            # dense from the start: plain sequential decode
            last = wanted[-1]
            for fr in reader.sequential():
                if fr.index > last:
                    return
                yield fr
            return
        for i in wanted:
            got = reader.read(i)
            if got is None:
                return
            yield got
    finally:
        reader.close()


def read_frame(path: str | Path, index: int, **kwargs: Any) -> np.ndarray:
    """One frame (source frame number ``index``) as an upright RGB array."""
    for fr in iter_frames(path, indices=[index], **kwargs):
        return fr.image
    raise VideoError(f"{str(path)!r} has no frame {index}")
