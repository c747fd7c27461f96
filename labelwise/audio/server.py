"""A local server speaking OpenAI's ``/v1/audio/transcriptions`` and ``/translations``.

It serves a :class:`~labelwise.audio.transcribe.WhisperTranscriber` (or any function of
samples) over the same multipart protocol as OpenAI: ``file``, ``model``, ``language``,
``prompt``, ``response_format`` (``json``, ``text``, ``verbose_json``) and
``timestamp_granularities[]`` (``segment``, ``word``). It lets a team share one Whisper on a
LAN, and it is what the tests of :class:`~labelwise.audio.transcribe.OpenAITranscriber` talk to.

Examples
--------
>>> srv = LocalTranscriptionServer(lambda y, sr, opts: [])   # doctest: +SKIP
>>> with srv:                                                 # doctest: +SKIP
...     OpenAITranscriber(base_url=srv.base_url).transcribe(clip)
"""

from __future__ import annotations

import email.parser
import email.policy
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from labelwise.audio.io import AudioError, load_audio
from labelwise.audio.transcribe import WHISPER_SR, Segment, WhisperTranscriber
from labelwise.llm.server import LoopbackServer

__all__ = ["LocalTranscriptionServer"]

#: ``backend(samples_16k, 16000, options) -> segments``; options hold language, task,
#: prompt and word_timestamps.
Backend = Callable[[np.ndarray, int, dict[str, Any]], list[Segment]]

_LANG_NAMES = {"en": "english", "de": "german", "fr": "french", "es": "spanish"}


def whisper_backend(transcriber: WhisperTranscriber) -> Backend:
    def run(y: np.ndarray, sr: int, opts: dict[str, Any]) -> list[Segment]:
        segs, info = transcriber.transcribe_array(
            y,
            language=opts.get("language"),
            task=opts.get("task", "transcribe"),
            word_timestamps=bool(opts.get("word_timestamps")),
            initial_prompt=opts.get("prompt"),
        )
        opts["detected_language"] = info.language
        return segs

    return run


class LocalTranscriptionServer(LoopbackServer):
    """An OpenAI-compatible transcription server on 127.0.0.1 (port 0 picks a free one).

    Attributes
    ----------
    requests : list of dict
        The form fields of every request (without the audio bytes), in order.
    """

    models = ("whisper-1",)

    def __init__(
        self,
        backend: Backend | WhisperTranscriber | None = None,
        *,
        port: int = 0,
        api_key: str | None = None,
        max_bytes: int = 25 * 1024 * 1024,
    ) -> None:
        if backend is None:
            backend = WhisperTranscriber()
        self.backend: Backend = (
            whisper_backend(backend) if isinstance(backend, WhisperTranscriber) else backend
        )
        self.api_key = api_key
        self.max_bytes = max_bytes
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # one decode at a time, like a single-GPU server
        super().__init__(port=port)

    # ------------------------------------------------------------------ protocol
    def _send(self, h: BaseHTTPRequestHandler, code: int, body: Any, ctype: str = "") -> None:
        if isinstance(body, str):
            self._send_bytes(h, code, body.encode(), ctype or "text/plain; charset=utf-8")
        else:
            self._send_json(h, code, body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = urlparse(h.path).path.rstrip("/")
        if not path.endswith(("/audio/transcriptions", "/audio/translations")):
            return self._send_error(h, 404, f"no route POST {h.path}")
        if self.api_key is not None:
            auth = h.headers.get("Authorization", "")
            if auth != f"Bearer {self.api_key}" and h.headers.get("api-key") != self.api_key:
                return self._send_error(h, 401, "Incorrect API key provided")
        length = int(h.headers.get("Content-Length") or 0)
        if length > self.max_bytes:
            h.rfile.read(length)
            return self._send_error(h, 413, f"file too large: {length} bytes > {self.max_bytes}")
        body = h.rfile.read(length)
        ctype = h.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data"):
            return self._send_error(h, 400, "expected multipart/form-data with a 'file' field")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        grans: list[str] = []
        file_name, file_bytes = None, b""
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            raw_payload = part.get_payload(decode=True)
            payload: bytes = raw_payload if isinstance(raw_payload, bytes) else b""
            if name == "file":
                file_name = part.get_filename() or "audio"
                file_bytes = payload
            elif name in ("timestamp_granularities[]", "timestamp_granularities"):
                grans.append(payload.decode())
            elif isinstance(name, str):
                fields[name] = payload.decode()
        if file_name is None or not file_bytes:
            return self._send_error(h, 400, "the 'file' field is missing or empty")
        if not fields.get("model"):
            return self._send_error(h, 400, "the 'model' field is required")
        fmt = fields.get("response_format", "json")
        if fmt not in ("json", "text", "verbose_json"):
            return self._send_error(h, 400, f"response_format {fmt!r} is not supported here")
        task = "translate" if path.endswith("/translations") else "transcribe"
        self.requests.append({**fields, "timestamp_granularities": grans, "task": task})
        suffix = Path(file_name).suffix or ".wav"
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            tmp.write(file_bytes)
            tmp.flush()
            try:
                y, sr = load_audio(tmp.name, sr=WHISPER_SR)
            except AudioError as exc:
                return self._send_error(h, 400, f"could not decode the audio file: {exc}")
        opts = {
            "language": fields.get("language") or None,
            "task": task,
            "prompt": fields.get("prompt") or None,
            "word_timestamps": "word" in grans,
        }
        with self._lock:
            segs = self.backend(y, sr, opts)
        text = " ".join(s.text for s in segs).strip()
        if fmt == "text":
            return self._send(h, 200, text + "\n", "text/plain; charset=utf-8")
        if fmt == "json":
            return self._send(h, 200, {"text": text})
        lang = opts.get("detected_language") or opts.get("language") or "en"
        out: dict[str, Any] = {
            "task": task,
            "language": _LANG_NAMES.get(str(lang), str(lang)),
            "duration": round(len(y) / sr, 3),
            "text": text,
        }
        if not grans or "segment" in grans:
            out["segments"] = [
                {
                    "id": i,
                    "seek": 0,
                    "start": s.start,
                    "end": s.end,
                    "text": " " + s.text,
                    "tokens": [],
                    "temperature": 0.0,
                    "avg_logprob": s.avg_logprob,
                    "compression_ratio": 1.0,
                    "no_speech_prob": s.no_speech_prob,
                }
                for i, s in enumerate(segs)
            ]
        if "word" in grans:
            out["words"] = [
                {"word": w.word.strip(), "start": w.start, "end": w.end}
                for s in segs
                for w in s.words
            ]
        return self._send(h, 200, out)
