"""A local server that speaks the OpenAI chat-completions protocol, for tests and offline demos.

:class:`LocalChatServer` listens on 127.0.0.1 (port 0 picks a free port), answers
``POST /v1/chat/completions`` and Azure's
``POST /openai/deployments/{deployment}/chat/completions?api-version=...`` with real protocol
JSON (``choices``, ``usage``, optional ``logprobs``), and can be scripted: queue behaviours
(:class:`Reply`, :class:`Status` for 429/500/401, :class:`Delay` for timeouts, :class:`Drop`
for a dropped connection) that are consumed one per request before the default
``responder`` answers. It is not a language model: responders are plain functions
(keyword rules, or :func:`schema_responder`, which fills in the JSON schema the request asks
for). It lets every LLM code path run over real HTTP without a network.

Examples
--------
>>> with LocalChatServer() as server:
...     server.script(Status(429, retry_after=0), Reply('{"label": "spam"}'))
...     server.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

__all__ = [
    "FLAVORS",
    "ChatRequest",
    "Delay",
    "Drop",
    "LocalChatServer",
    "LoopbackServer",
    "Malformed",
    "Reply",
    "Status",
    "schema_responder",
]

#: Server behaviours :class:`LocalChatServer` reproduces (``flavor=``):
#:
#: ``openai``   the reference protocol: json_schema, logprobs with top_logprobs, ``n``.
#: ``llamacpp`` llama.cpp's ``llama-server``: a ``response_format`` of type json_schema is
#:              answered with HTTP 500 ``{"error": {"code": 500, "message": ..., "type":
#:              "server_error"}}``; log-probabilities come with token ids and
#:              ``top_logprobs``; one choice whatever ``n`` asks; a ``timings`` block.
#: ``ollama``   Ollama's OpenAI-compatible endpoint: json_schema and json_object work,
#:              log-probabilities are not returned, ``n`` is ignored.
#: ``vllm``     vLLM's OpenAI server: errors as a top-level ``{"object": "error", ...}``,
#:              400 for ``top_logprobs`` above 20; honours ``n`` and log-probabilities.
FLAVORS = ("openai", "llamacpp", "ollama", "vllm")

_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
_AZURE_PATH = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")


@dataclass
class Reply:
    """Answer with ``text`` (a list gives one text per choice).

    ``logprob`` is the log-probability reported for every generated token (so a value
    spanning ``t`` tokens has probability ``exp(t * logprob)``); ``None`` sends none even
    when the request asks for them. ``usage`` overrides the token counts
    (``(prompt, completion)``); ``omit_usage`` leaves the block out; ``finish_reason``
    ``"length"`` mimics an answer cut off at ``max_tokens``.
    """

    text: str | Sequence[str]
    logprob: float | None = -0.01
    usage: tuple[int, int] | None = None
    omit_usage: bool = False
    finish_reason: str = "stop"


@dataclass
class Status:
    """Answer with an HTTP error ``code`` (429, 500, 401, ...) and an OpenAI error body."""

    code: int
    message: str = "scripted error"
    retry_after: float | None = None


@dataclass
class Delay:
    """Sleep ``seconds`` before answering with ``then`` (the responder when ``None``)."""

    seconds: float
    then: Reply | Status | None = None


@dataclass
class Drop:
    """Close the connection without an answer."""


@dataclass
class Malformed:
    """Answer 200 with ``body`` as it is (not a chat completion: truncated JSON, HTML, ...)."""

    body: str = '{"id": "chatcmpl-x", "choices": [{"index": 0, "message": '
    content_type: str = "application/json"


Behaviour = Reply | Status | Delay | Drop | Malformed


@dataclass
class ChatRequest:
    """One request as the server saw it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]
    choice_index: int = 0
    deployment: str | None = None
    received_at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def system(self) -> str:
        return "\n".join(
            str(m.get("content", "")) for m in self.messages if m.get("role") == "system"
        )

    @property
    def user(self) -> str:
        """The last user message."""
        users = [str(m.get("content", "")) for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""

    @property
    def item(self) -> str:
        """The item text: the last triple-quoted block of the first user message (where
        labelwise's default templates put it), else that whole message."""
        users = [str(m.get("content", "")) for m in self.messages if m.get("role") == "user"]
        first = users[0] if users else ""
        blocks = re.findall(r'"""\n?(.*?)\n?"""', first, flags=re.S)
        return blocks[-1] if blocks else first

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the request asks for (``response_format.json_schema.schema``)."""
        rf = self.body.get("response_format") or {}
        js = rf.get("json_schema") if isinstance(rf, dict) else None
        return js.get("schema") if isinstance(js, dict) else None

    @property
    def is_repair(self) -> bool:
        """True when the conversation already holds an assistant answer (a repair turn)."""
        return any(m.get("role") == "assistant" for m in self.messages)


Responder = Callable[[ChatRequest], "str | Reply | Status"]


def _example_for(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    if "$ref" in schema:
        return _example_for(defs[str(schema["$ref"]).rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example_for(options[0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t == "object":
        props = schema.get("properties", {})
        return {k: _example_for(v, defs) for k, v in props.items()}
    if t == "array":
        n = int(schema.get("minItems", 0))
        return [_example_for(schema.get("items", {}), defs) for _ in range(n)]
    if t in ("integer", "number"):
        return schema.get("minimum", 0)
    if t == "boolean":
        return False
    if t == "null":
        return None
    return ""


def schema_responder(request: ChatRequest) -> str:
    """A minimal valid answer to the request's JSON schema (first enum value, zeros, ``""``).

    Requests without a schema get ``"ok"``.
    """
    schema = request.schema
    if schema is None:
        return "ok"
    return json.dumps(_example_for(schema, schema.get("$defs", {})))


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text) or [text]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 speaking an OpenAI-style API: the base of the
    local servers the tests (and users without an account) run labelers against.

    Subclasses implement ``_handle(h)`` for POST requests; ``GET .../models`` lists
    :attr:`models`. ``port=0`` picks a free port.
    """

    models: tuple[str, ...] = ("local",)

    def __init__(self, *, port: int = 0) -> None:
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Any:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                server._handle(self)

            def do_GET(self) -> None:
                if urlparse(self.path).path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model"} for m in server.models]
                    server._send_json(self, 200, {"object": "list", "data": data})
                else:
                    server._send_error(self, 404, f"no route GET {self.path}")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Any:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """Root for OpenAI-compatible clients (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _handle(self, h: BaseHTTPRequestHandler) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _send_bytes(
        self,
        h: BaseHTTPRequestHandler,
        code: int,
        data: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        try:
            h.send_response(code)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. timed out) before the answer

    def _send_json(
        self,
        h: BaseHTTPRequestHandler,
        code: int,
        payload: Any,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._send_bytes(h, code, json.dumps(payload).encode(), "application/json", headers)

    def _send_error(self, h: BaseHTTPRequestHandler, code: int, message: str, **_: Any) -> None:
        """OpenAI's error body."""
        err = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
        self._send_json(h, code, {"error": err})


class LocalChatServer(LoopbackServer):
    """A scriptable OpenAI-compatible chat server on 127.0.0.1.

    Parameters
    ----------
    responder : callable, optional
        ``responder(request) -> str | Reply | Status``; called once per choice when no
        scripted behaviour is queued. Defaults to :func:`schema_responder`.
    port : int, default 0
        0 picks a free port.
    api_key : str, optional
        When set, requests must carry it (``Authorization: Bearer`` or ``api-key``) or get 401.
    logprobs : bool, default True
        Whether the server returns log-probabilities when a request asks for them.
    honour_n : bool, default True
        Return ``n`` choices when asked; False mimics servers that ignore ``n``.
    flavor : {"openai", "llamacpp", "ollama", "vllm"}, default "openai"
        Reproduce the documented behaviours of a real server (see :data:`FLAVORS`);
        ``logprobs`` and ``honour_n`` follow the flavor.

    Attributes
    ----------
    requests : list of ChatRequest
        Every chat request received, in order.
    max_in_flight : int
        Most requests handled at the same time (to check concurrency limits).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        port: int = 0,
        api_key: str | None = None,
        logprobs: bool = True,
        honour_n: bool = True,
        flavor: str = "openai",
    ) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {FLAVORS}, got {flavor!r}")
        self.responder: Responder = responder or schema_responder
        self.api_key = api_key
        self.flavor = flavor
        self.logprobs = logprobs and flavor != "ollama"
        self.honour_n = honour_n and flavor not in ("llamacpp", "ollama")
        self.requests: list[ChatRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        super().__init__(port=port)

    # ------------------------------------------------------------------ lifecycle
    @property
    def endpoint(self) -> str:
        """Root for Azure OpenAI clients (``http://127.0.0.1:PORT``)."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours; each request consumes one before the responder is used."""
        with self._lock:
            self._script.extend(behaviours)

    @property
    def pending(self) -> int:
        """Scripted behaviours not yet consumed."""
        with self._lock:
            return len(self._script)

    # ------------------------------------------------------------------ protocol
    def _send_error(  # type: ignore[override]
        self, h: BaseHTTPRequestHandler, code: int, message: str, retry_after: float | None = None
    ) -> None:
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after-ms"] = str(int(retry_after * 1000))
            headers["Retry-After"] = str(math.ceil(retry_after))
        kind = {429: "rate_limit_exceeded", 401: "invalid_api_key", 404: "not_found"}.get(
            code, "server_error"
        )
        body: dict[str, Any]
        if self.flavor == "vllm":
            body = {
                "object": "error",
                "message": message,
                "type": "BadRequestError" if code == 400 else "InternalServerError",
                "param": None,
                "code": code,
            }
        elif self.flavor == "llamacpp":
            body = {"error": {"code": code, "message": message, "type": kind}}
        else:
            body = {"error": {"message": message, "type": kind, "code": kind}}
        self._send_json(h, code, body, headers)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        path = url.path.rstrip("/")
        deployment = None
        m = _AZURE_PATH.match(path)
        if m:
            deployment = m.group(1)
            if not parse_qs(url.query).get("api-version"):
                self._send_error(h, 400, "missing api-version query parameter")
                return
        elif not path.endswith("/chat/completions"):
            self._send_error(h, 404, f"no route POST {url.path}")
            return
        if self.api_key is not None:
            given = h.headers.get("api-key") or (h.headers.get("Authorization") or "").removeprefix(
                "Bearer "
            )
            if given != self.api_key:
                self._send_error(h, 401, "Incorrect API key provided")
                return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_error(h, 400, "request body is not JSON")
            return
        req = ChatRequest(
            path=url.path,
            query=parse_qs(url.query),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
            deployment=deployment,
        )
        with self._lock:
            self.requests.append(req)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            behaviour = self._script.popleft() if self._script else None
        try:
            self._answer(h, req, behaviour)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(
        self, h: BaseHTTPRequestHandler, req: ChatRequest, behaviour: Behaviour | None
    ) -> None:
        if isinstance(behaviour, Delay):
            time.sleep(behaviour.seconds)
            behaviour = behaviour.then
        if isinstance(behaviour, Drop):
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(2)
            return
        if isinstance(behaviour, Status):
            self._send_error(h, behaviour.code, behaviour.message, behaviour.retry_after)
            return
        if isinstance(behaviour, Malformed):
            data = behaviour.body.encode()
            try:
                h.send_response(200)
                h.send_header("Content-Type", behaviour.content_type)
                h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                h.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        refusal = self._flavor_refusal(req)
        if refusal is not None:
            self._send_error(h, *refusal)
            return
        n = int(req.body.get("n") or 1) if self.honour_n else 1
        replies: list[Reply] = []
        if isinstance(behaviour, Reply):
            texts = [behaviour.text] if isinstance(behaviour.text, str) else list(behaviour.text)
            replies = [
                Reply(
                    t,
                    behaviour.logprob,
                    behaviour.usage,
                    behaviour.omit_usage,
                    behaviour.finish_reason,
                )
                for t in texts
            ]
        else:
            for i in range(n):
                req.choice_index = i
                out = self.responder(req)
                if isinstance(out, Status):
                    self._send_error(h, out.code, out.message, out.retry_after)
                    return
                replies.append(out if isinstance(out, Reply) else Reply(str(out)))
        self._send_json(h, 200, self._completion(req, replies))

    def _flavor_refusal(self, req: ChatRequest) -> tuple[int, str] | None:
        """The error a real server of this flavor answers to the request, if any."""
        rf = req.body.get("response_format")
        rf_type = rf.get("type") if isinstance(rf, dict) else None
        if self.flavor == "llamacpp" and rf_type not in (None, "text", "json_object"):
            return (
                500,
                f'response_format type must be one of "text" or "json_object", but got: {rf_type}',
            )
        if self.flavor == "vllm":
            top = req.body.get("top_logprobs")
            if top is not None and int(top) > 20:
                return 400, f"top_logprobs must be between 0 and 20, got {top}"
        return None

    def _completion(self, req: ChatRequest, replies: Sequence[Reply]) -> dict[str, Any]:
        want_lp = bool(req.body.get("logprobs")) and self.logprobs
        top_n = int(req.body.get("top_logprobs") or 0)
        choices = []
        completion_tokens = 0
        for i, r in enumerate(replies):
            text = str(r.text)
            toks = _tokens(text)
            completion_tokens += len(toks)
            lp: dict[str, Any] | None = None
            if want_lp and r.logprob is not None:
                lp = {"content": [self._token_logprob(t, r.logprob, top_n) for t in toks]}
                if self.flavor != "llamacpp":
                    lp["refusal"] = None
            choices.append(
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": lp,
                    "finish_reason": r.finish_reason,
                }
            )
        prompt_chars = sum(len(str(m.get("content", ""))) for m in req.messages)
        payload: dict[str, Any] = {
            "id": f"chatcmpl-local-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.deployment or req.model or "local",
            "choices": choices,
        }
        first = replies[0] if replies else Reply("")
        if not first.omit_usage:
            p, c = first.usage if first.usage else (max(1, prompt_chars // 4), completion_tokens)
            payload["usage"] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        if self.flavor == "llamacpp":
            payload["system_fingerprint"] = "b4000-local"
            payload["timings"] = {"prompt_n": prompt_chars // 4, "predicted_n": completion_tokens}
        return payload

    def _token_logprob(self, token: str, logprob: float, top_n: int) -> dict[str, Any]:
        """One entry of ``logprobs.content``; alternatives get lower log-probabilities."""
        entry: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode())}
        alternatives = [dict(entry)] + [
            {
                "token": f"{token}~{k}",
                "logprob": logprob - 2.0 * k - 1.0,
                "bytes": list(f"{token}~{k}".encode()),
            }
            for k in range(1, max(top_n, 1))
        ]
        if self.flavor == "llamacpp":
            entry = {"id": abs(hash(token)) % 50000, **entry}
            alternatives = [{"id": abs(hash(a["token"])) % 50000, **a} for a in alternatives]
        entry["top_logprobs"] = alternatives[:top_n]
        return entry
