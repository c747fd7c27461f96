"""Reading audio: probing, loading, block streaming, folders and manifests.

soundfile (libsndfile) reads WAV, FLAC, OGG/Vorbis, Opus and (recent builds) MP3 without a
subprocess; everything else (M4A/AAC, WMA, WebM, MP3 on old builds) goes through ``ffmpeg``,
decoded to 32-bit float PCM on a pipe. Long files are never read whole when they need not be:
:func:`stream_audio` yields fixed-length blocks (resampled on the fly), so features and
transcription of a two-hour recording stay within a few blocks of memory.

A collection (:func:`load_audio_folder`) takes the class of each clip from its folder name,
or a manifest (CSV/TSV/JSONL/Parquet with ``path`` and optional ``label``, ``start``,
``end``). Files that cannot be used (missing, empty, corrupt, unsupported, zero-length) get
one :class:`~labelwise.faults.Fault` each and the batch goes on.

Examples
--------
>>> import numpy as np, soundfile as sf, tempfile, os
>>> d = tempfile.mkdtemp()
>>> sf.write(os.path.join(d, "tone.wav"), 0.5 * np.sin(np.arange(16000) / 5), 16000)
>>> info = probe_audio(os.path.join(d, "tone.wav"))
>>> info.duration, info.sample_rate, info.channels, info.bit_depth
(1.0, 16000, 1, 16)
>>> y, sr = load_audio(os.path.join(d, "tone.wav"), sr=8000)
>>> y.shape, sr
((8000,), 8000)
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.faults import FaultLog

__all__ = [
    "AUDIO_SUFFIXES",
    "AudioBlock",
    "AudioClip",
    "AudioCollection",
    "AudioError",
    "AudioInfo",
    "check_signal",
    "load_audio",
    "load_audio_folder",
    "probe_audio",
    "stream_audio",
]

#: Extensions treated as audio in folders.
AUDIO_SUFFIXES = (
    ".wav",
    ".wave",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".m4a",
    ".aac",
    ".aif",
    ".aiff",
    ".wma",
    ".webm",
)
MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".pq")
_BIT_DEPTH = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ALAW": 8,
    "ULAW": 8,
}


class AudioError(DataError):
    """An audio file that cannot be read (missing, empty, corrupt or unsupported)."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header (no samples decoded).

    ``bit_depth`` is ``None`` for lossy codecs (MP3, AAC, Vorbis), which have none.
    """

    path: str
    duration: float
    sample_rate: int
    channels: int
    frames: int
    format: str
    codec: str
    bit_depth: int | None
    backend: str  # "soundfile" or "ffmpeg"
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "duration": self.duration,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "frames": self.frames,
            "format": self.format,
            "codec": self.codec,
            "bit_depth": self.bit_depth,
            "backend": self.backend,
            "size_bytes": self.size_bytes,
        }


def _ffmpeg(tool: str = "ffmpeg") -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise AudioError(
            f"{tool} is needed to read this file (soundfile cannot) but is not on PATH; "
            "install ffmpeg (apt-get install ffmpeg / brew install ffmpeg) or convert the "
            "file to WAV or FLAC"
        )
    return exe


def _check_path(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"audio file {str(path)!r} does not exist")
    if path.is_dir():
        raise AudioError(f"{str(path)!r} is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"audio file {str(path)!r} is empty (0 bytes); re-export or remove it")


def _probe_ffprobe(path: Path) -> AudioInfo:
    exe = _ffmpeg("ffprobe")
    cmd = [exe, "-v", "error", "-print_format", "json", "-show_streams", "-show_format"]
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise AudioError(
            f"cannot read {str(path)!r}: it is not a supported or intact audio file "
            f"(ffprobe: {msg}); check the file or convert it to WAV/FLAC"
        )
    meta = json.loads(proc.stdout or "{}")
    streams = [s for s in meta.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioError(f"{str(path)!r} has no audio stream (is it a video or an image?)")
    s = streams[0]
    sr = int(s.get("sample_rate") or 0)
    dur_raw = s.get("duration") or meta.get("format", {}).get("duration") or 0.0
    duration = float(dur_raw)
    bits = s.get("bits_per_raw_sample") or s.get("bits_per_sample")
    bit_depth = int(bits) if bits and int(bits) > 0 else None
    return AudioInfo(
        str(path),
        duration,
        sr,
        int(s.get("channels") or 0),
        round(duration * sr),
        str(meta.get("format", {}).get("format_name", "")).split(",")[0].upper(),
        str(s.get("codec_name", "")),
        bit_depth,
        "ffmpeg",
        path.stat().st_size,
    )


def probe_audio(path: str | Path) -> AudioInfo:
    """Header facts of one file; raises :class:`AudioError` naming the file and the fix."""
    sf = require("soundfile", "audio")
    p = Path(path)
    _check_path(p)
    try:
        i = sf.info(str(p))
    except Exception:
        return _probe_ffprobe(p)
    if i.frames <= 0 and i.format == "MP3":
        return _probe_ffprobe(p)
    return AudioInfo(
        str(p),
        float(i.frames) / i.samplerate if i.samplerate else 0.0,
        int(i.samplerate),
        int(i.channels),
        int(i.frames),
        str(i.format),
        str(i.subtype),
        _BIT_DEPTH.get(str(i.subtype)),
        "soundfile",
        p.stat().st_size,
    )


def _mix(y: np.ndarray, mono: bool) -> np.ndarray:
    """(frames, channels) -> (n,) when mono, else (channels, n)."""
    if y.ndim == 1:
        return y if mono else y[None, :]
    return y.mean(axis=1) if mono else np.ascontiguousarray(y.T)


def _resample(y: np.ndarray, orig: int, target: int) -> np.ndarray:
    if orig == target or y.shape[-1] == 0:
        return y
    soxr = require("soxr", "audio")
    if y.ndim == 1:
        return np.asarray(soxr.resample(y, orig, target, quality="HQ"), dtype=np.float32)
    out = soxr.resample(y.T, orig, target, quality="HQ")
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T)


def _ffmpeg_cmd(
    path: Path, channels: int, sr: int, offset: float, duration: float | None
) -> list[str]:
    cmd = [_ffmpeg(), "-v", "error", "-nostdin"]
    if offset > 0:
        cmd += ["-ss", f"{offset:.6f}"]
    cmd += ["-i", str(path)]
    if duration is not None:
        cmd += ["-t", f"{duration:.6f}"]
    cmd += ["-vn", "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(sr)]
    return [*cmd, "-"]


def load_audio(
    path: str | Path,
    *,
    sr: int | None = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode ``path`` to float32 samples in ``[-1, 1]``.

    Parameters
    ----------
    sr : int, optional
        Resample to this rate (default: keep the file's rate).
    mono : bool
        Mix channels down to one (shape ``(n,)``); ``False`` keeps them (``(channels, n)``).
    offset, duration : float
        Read only ``duration`` seconds from ``offset`` (seconds); seeks, never decodes
        the part before ``offset`` for soundfile formats.

    Returns
    -------
    (samples, sample_rate)
    """
    info = probe_audio(path)
    if offset < 0 or (duration is not None and duration < 0):
        raise AudioError(f"{path}: offset and duration must be >= 0 seconds")
    p = Path(path)
    if info.backend == "soundfile":
        sf = require("soundfile", "audio")
        start = round(offset * info.sample_rate)
        stop = None if duration is None else start + round(duration * info.sample_rate)
        try:
            data, file_sr = sf.read(str(p), start=start, stop=stop, dtype="float32", always_2d=True)
        except Exception as exc:
            raise AudioError(
                f"cannot decode {str(p)!r}: {exc}; the file is damaged or truncated"
            ) from None
        y = _mix(data, mono)
        target = sr or int(file_sr)
        return _resample(y, int(file_sr), target), target
    target = sr or info.sample_rate or 16000
    ch = 1 if mono else max(1, info.channels)
    proc = subprocess.run(
        _ffmpeg_cmd(p, ch, target, offset, duration), capture_output=True, check=False
    )
    if proc.returncode != 0:
        msg = (proc.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise AudioError(f"ffmpeg cannot decode {str(p)!r}: {msg}")
    y = np.frombuffer(proc.stdout, dtype=np.float32)
    y = y[: len(y) - len(y) % ch].reshape(-1, ch)
    return _mix(y.copy(), mono), target


@dataclass
class AudioBlock:
    """One block of a stream: ``samples`` (float32) starting at ``start`` seconds."""

    start: float
    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return self.samples.shape[-1] / self.sample_rate

    @property
    def end(self) -> float:
        return self.start + self.duration


def stream_audio(
    path: str | Path,
    *,
    block_seconds: float = 30.0,
    sr: int | None = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
) -> Iterator[AudioBlock]:
    """Yield consecutive blocks of ``block_seconds`` (the last one shorter), never the whole file.

    Resampling is streamed too (one resampler state across blocks), so block edges leave
    no clicks. Memory stays around one block whatever the file's length.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "n.wav")
    >>> sf.write(p, np.zeros(25000, dtype="float32"), 10000)
    >>> [round(b.duration, 2) for b in stream_audio(p, block_seconds=1.0)]
    [1.0, 1.0, 0.5]
    """
    if block_seconds <= 0:
        raise AudioError(f"block_seconds must be > 0, got {block_seconds}")
    info = probe_audio(path)
    target = sr or info.sample_rate or 16000
    p = Path(path)
    if info.backend == "soundfile":
        sf = require("soundfile", "audio")
        native = info.sample_rate
        blocksize = max(1, round(block_seconds * native))
        start = round(offset * native)
        stop = None if duration is None else start + round(duration * native)
        resampler = None
        if target != native:
            soxr = require("soxr", "audio")
            ch = 1 if mono else info.channels
            resampler = soxr.ResampleStream(native, target, ch, dtype="float32", quality="HQ")
        t = offset
        pending: list[np.ndarray] = []
        out_block = round(block_seconds * target)
        buffered = 0
        try:
            blocks = sf.blocks(
                str(p), blocksize=blocksize, start=start, stop=stop, dtype="float32",
                always_2d=True,
            )  # fmt: skip
            it = iter(blocks)
            while True:
                try:
                    data = next(it)
                    last = False
                except StopIteration:
                    data = np.zeros((0, info.channels), dtype=np.float32)
                    last = True
                y = _mix(data, mono)
                if resampler is None:
                    if y.shape[-1]:
                        yield AudioBlock(t, y, target)
                        t += y.shape[-1] / target
                    if last:
                        return
                    continue
                chunk = resampler.resample_chunk(y.T if y.ndim == 2 else y, last=last)
                chunk = chunk.T if chunk.ndim == 2 else chunk
                if chunk.shape[-1]:
                    pending.append(chunk)
                    buffered += chunk.shape[-1]
                while buffered >= out_block or (last and buffered):
                    allc = np.concatenate(pending, axis=-1)
                    take = allc[..., :out_block]
                    rest = allc[..., out_block:]
                    pending = [rest] if rest.shape[-1] else []
                    buffered = rest.shape[-1]
                    yield AudioBlock(t, np.ascontiguousarray(take), target)
                    t += take.shape[-1] / target
                if last:
                    return
        except AudioError:
            raise
        except Exception as exc:
            raise AudioError(f"cannot decode {str(p)!r}: {exc}; the file is damaged") from None
    ch = 1 if mono else max(1, info.channels)
    cmd = _ffmpeg_cmd(p, ch, target, offset, duration)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    nbytes = round(block_seconds * target) * ch * 4
    t = offset
    try:
        while True:
            raw = proc.stdout.read(nbytes)
            if not raw:
                break
            y = np.frombuffer(raw[: len(raw) - len(raw) % (4 * ch)], dtype=np.float32)
            y = _mix(y.reshape(-1, ch).copy(), mono)
            yield AudioBlock(t, y, target)
            t += y.shape[-1] / target
    finally:
        proc.stdout.close()
        rc = proc.wait()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    if rc != 0:
        msg = (err.strip().splitlines() or ["?"])[-1]
        raise AudioError(f"ffmpeg cannot decode {str(p)!r}: {msg}")


def check_signal(
    y: np.ndarray, sr: int, *, silence_dbfs: float = -60.0, clip_share: float = 0.001
) -> list[tuple[str, str]]:
    """Quality warnings for decoded samples: ``[(code, message)]``.

    ``zero_length`` (no samples), ``silent`` (whole clip below ``silence_dbfs`` RMS),
    ``clipped`` (more than ``clip_share`` of samples at full scale).

    Examples
    --------
    >>> import numpy as np
    >>> [c for c, _ in check_signal(np.zeros(100), 100)]
    ['silent']
    >>> [c for c, _ in check_signal(np.ones(100), 100)]
    ['clipped']
    """
    if y.size == 0:
        return [("zero_length", "holds no samples (0 s); re-export or remove it")]
    out = []
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    db = 20 * math.log10(rms) if rms > 0 else -math.inf
    if db < silence_dbfs:
        out.append(
            ("silent", f"is silent (RMS {db:.0f} dBFS < {silence_dbfs:.0f}); check the recording")
        )
    clipped = float(np.mean(np.abs(y) >= 0.999))
    if clipped > clip_share:
        out.append(
            (
                "clipped",
                f"is clipped ({100 * clipped:.2f}% of samples at full scale); "
                "lower the recording gain",
            )
        )
    return out


# ---------------------------------------------------------------------- collections
@dataclass
class AudioClip:
    """One item of a collection: a file, or a ``start``..``end`` part of one (seconds)."""

    id: str
    path: str
    label: str | None = None
    start: float = 0.0
    end: float | None = None
    info: AudioInfo | None = None

    @property
    def duration(self) -> float | None:
        if self.end is not None:
            return self.end - self.start
        if self.info is not None:
            return max(0.0, self.info.duration - self.start)
        return None

    def load(self, *, sr: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
        """The clip's samples (only its ``start``..``end`` part)."""
        dur = None if self.end is None else self.end - self.start
        return load_audio(self.path, sr=sr, mono=mono, offset=self.start, duration=dur)

    def stream(self, *, block_seconds: float = 30.0, sr: int | None = None) -> Iterator[AudioBlock]:
        dur = None if self.end is None else self.end - self.start
        return stream_audio(
            self.path, block_seconds=block_seconds, sr=sr, offset=self.start, duration=dur
        )


@dataclass
class AudioCollection:
    """Usable clips plus one fault per file that could not be used."""

    clips: list[AudioClip]
    root: str = ""
    faults: FaultLog = field(default_factory=FaultLog)
    n_files: int = 0
    n_skipped: int = 0

    @property
    def n_failed(self) -> int:
        """Files that could not be used (errors; unsupported extensions are skipped)."""
        return len(self.faults.failed_items())

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self) -> Iterator[AudioClip]:
        return iter(self.clips)

    def __getitem__(self, i: int) -> AudioClip:
        return self.clips[i]

    @property
    def labels(self) -> list[str | None]:
        return [c.label for c in self.clips]

    @property
    def class_names(self) -> list[str]:
        return sorted({c.label for c in self.clips if c.label is not None})

    @property
    def paths(self) -> list[str]:
        return [c.path for c in self.clips]

    def subset(self, idx: Any) -> AudioCollection:
        return AudioCollection([self.clips[int(i)] for i in idx], self.root, FaultLog())


def _probe_into(
    clips: list[AudioClip], faults: FaultLog, ids_paths: list[tuple[str, Path, dict[str, Any]]]
) -> None:
    for cid, p, extra in ids_paths:
        try:
            info = probe_audio(p)
        except AudioError as exc:
            faults.record(exc, item=cid, source="load")
            continue
        if info.frames <= 0 or info.duration <= 0:
            faults.error(
                cid,
                "zero_length",
                f"{str(p)!r} holds no samples (0 s); re-export or remove it",
                source="load",
            )
            continue
        start = float(extra.get("start") or 0.0)
        end = extra.get("end")
        end_f = None if end is None or (isinstance(end, float) and math.isnan(end)) else float(end)
        if end_f is not None and not 0 <= start < end_f:
            faults.error(
                cid, "bad_range", f"start {start} s .. end {end_f} s is empty", source="load"
            )
            continue
        if start >= info.duration + 1e-6:
            faults.error(
                cid,
                "bad_range",
                f"start {start} s is past the end of the {info.duration:.2f} s file",
                source="load",
            )
            continue
        label = extra.get("label")
        label_s = (
            None
            if label is None or (isinstance(label, float) and math.isnan(label))
            else str(label)
        )
        clips.append(AudioClip(cid, str(p), label_s, start, end_f, info))


def load_audio_folder(source: str | Path, *, labels_from_folders: bool = True) -> AudioCollection:
    """A folder of audio (class = sub-folder name), a manifest file, or one audio file.

    Manifest columns: ``path`` (or ``file``/``audio``; relative to the manifest), and
    optionally ``label``, ``start``, ``end`` (seconds) and ``id``. Files with other
    extensions in a folder are reported as unsupported (a fault each), not silently dropped.
    """
    src = Path(source)
    if not src.exists():
        raise DataError(
            f"{str(src)!r} does not exist; give a folder of audio files or a manifest "
            "(CSV/JSONL with a 'path' column)"
        )
    faults = FaultLog()
    clips: list[AudioClip] = []
    todo: list[tuple[str, Path, dict[str, Any]]] = []
    n_skipped = 0
    if src.is_dir():
        files = sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith("."))
        for p in files:
            rel = p.relative_to(src).as_posix()
            if p.suffix.lower() not in AUDIO_SUFFIXES:
                n_skipped += 1
                faults.warn(
                    rel,
                    "unsupported",
                    f"{rel} is not an audio file by its extension ({p.suffix or 'none'}); "
                    f"supported: {', '.join(AUDIO_SUFFIXES)}",
                    source="load",
                )
                continue
            label = p.parent.name if labels_from_folders and p.parent != src else None
            todo.append((rel, p, {"label": label}))
        n_files = len(files)
    elif src.suffix.lower() in MANIFEST_SUFFIXES:
        from labelwise.io import read_table

        df = read_table(src)
        col = next((c for c in ("path", "file", "audio", "filename") if c in df.columns), None)
        if col is None:
            raise DataError(
                f"manifest {str(src)!r} needs a 'path' column (or file/audio); "
                f"it has {list(df.columns)[:20]}"
            )
        seen: dict[str, int] = {}
        for n_row, row in enumerate(df.to_dict(orient="records"), start=1):
            raw = row[col]
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                faults.error(f"row {n_row}", "no_path", "empty path", source="load")
                continue
            p = Path(str(raw))
            p = p if p.is_absolute() else src.parent / p
            cid = str(row["id"]) if row.get("id") is not None else str(raw)
            if row.get("start") is not None and "id" not in row:
                cid = f"{raw}@{float(row['start']):.3f}"
            seen[cid] = seen.get(cid, 0) + 1
            if seen[cid] > 1:
                cid = f"{cid}#{seen[cid]}"
            todo.append((cid, p, row))
        n_files = len(df)
    elif src.suffix.lower() in AUDIO_SUFFIXES:
        todo.append((src.name, src, {}))
        n_files = 1
    else:
        raise DataError(
            f"{str(src)!r} is neither a folder, an audio file nor a manifest "
            f"({', '.join(MANIFEST_SUFFIXES)})"
        )
    _probe_into(clips, faults, todo)
    return AudioCollection(clips, str(src), faults, n_files, n_skipped)
