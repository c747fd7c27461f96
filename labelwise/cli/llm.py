"""``labelwise ask`` and ``labelwise llm ...``: LLM labeling and table questions (thin wrappers)."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from labelwise.cli._batch import AllowFailures, finish_batch
from labelwise.cli.app import app, console, err_console

llm_app = typer.Typer(
    help="Label text or table rows with an LLM (OpenAI, Azure OpenAI, or any OpenAI-compatible "
    "server): cached, budgeted, retried, and written as label-matrix columns.",
    no_args_is_help=True,
)
app.add_typer(llm_app, name="llm")

# ---------------------------------------------------------------------- shared options
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="OpenAI-compatible server root, e.g. http://127.0.0.1:11434/v1 (Ollama). "
        "Default: $OPENAI_BASE_URL, else api.openai.com.",
    ),
]
Model = Annotated[
    str | None,
    typer.Option("--model", help="Model name (default: $LABELWISE_LLM_MODEL or gpt-4o-mini)."),
]
Provider = Annotated[
    str,
    typer.Option("--provider", help="openai, azure, compatible, or auto (from the other options)."),
]
ApiKeyEnv = Annotated[
    str | None,
    typer.Option(
        "--api-key-env",
        help="Environment variable holding the API key (default OPENAI_API_KEY; "
        "AZURE_OPENAI_KEY for Azure).",
    ),
]
AzureEndpoint = Annotated[
    str | None,
    typer.Option(
        "--azure-endpoint", help="Azure OpenAI endpoint (default $AZURE_OPENAI_ENDPOINT)."
    ),
]
Deployment = Annotated[
    str | None, typer.Option("--deployment", help="Azure OpenAI deployment name.")
]
ApiVersion = Annotated[
    str | None,
    typer.Option("--api-version", help="Azure OpenAI api-version (default $OPENAI_API_VERSION)."),
]
CachePath = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="SQLite cache file (default llm_cache.sqlite in $LABELWISE_CACHE_DIR or ~/.cache/labelwise).",
    ),
]
NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Keep answers in memory only (nothing saved).")
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per request.")]
BudgetUsd = Annotated[
    float | None,
    typer.Option("--budget-usd", help="Stop before spending more than this many US dollars."),
]
MaxTokens = Annotated[
    int | None,
    typer.Option("--max-tokens-total", help="Stop before using more tokens than this."),
]
Concurrency = Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")]
Column = Annotated[str, typer.Option("--column", "-c", help="Column holding the text to label.")]
Out = Annotated[
    Path,
    typer.Option("--out", "-o", help="Output table (.csv, .tsv, .parquet or .jsonl)."),
]
Report = Annotated[
    Path | None, typer.Option("--report", help="Also write an HTML report of the run here.")
]
Matrix = Annotated[
    Path | None,
    typer.Option("--matrix", help="Also write the label-matrix column(s) to this Parquet file."),
]
Name = Annotated[str, typer.Option("--name", help="Labeler (column) name in the outputs.")]
MaxChars = Annotated[
    int,
    typer.Option(
        "--max-chars",
        help="Truncate longer texts to this many characters (first 70% + last 30% kept).",
    ),
]
Confidence = Annotated[
    str,
    typer.Option(
        "--confidence",
        help="auto, logprobs (token log-probabilities), samples (agreement of 5 samples), "
        "verbalized (the model's own 0-1 estimate) or none.",
    ),
]
ConfidenceFallback = Annotated[
    str,
    typer.Option(
        "--confidence-fallback",
        help="When the server returns no log-probabilities (e.g. Ollama): none (confidence "
        "unknown, said once), samples or verbalized.",
    ),
]
ResponseFormat = Annotated[
    str | None,
    typer.Option(
        "--response-format",
        help="How structured output is requested: json_schema, json_object, none, or auto "
        "(try json_schema, fall back when the server refuses it, as llama.cpp's server "
        "does). Default: $LABELWISE_LLM_RESPONSE_FORMAT, else auto. Answers are always "
        "validated against the schema locally, with one repair request.",
    ),
]
Breaker = Annotated[
    int,
    typer.Option(
        "--breaker",
        min=0,
        help="Stop after this many consecutive failed attempts to reach the server, write "
        "what was done and exit 3 (0: never).",
    ),
]


# The connection options every LLM command takes, and the spending limits of the labeling
# commands: (parameter, annotated type, default), added to a command by ``_llm_options``.
_CONNECTION_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("base_url", BaseUrl, None),
    ("model", Model, None),
    ("provider", Provider, "auto"),
    ("api_key_env", ApiKeyEnv, None),
    ("azure_endpoint", AzureEndpoint, None),
    ("deployment", Deployment, None),
    ("api_version", ApiVersion, None),
    ("cache", CachePath, None),
    ("no_cache", NoCache, False),
    ("timeout", Timeout, 60.0),
)
_LIMIT_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("budget_usd", BudgetUsd, None),
    ("max_tokens_total", MaxTokens, None),
    ("concurrency", Concurrency, 4),
    ("breaker", Breaker, 5),
    ("response_format", ResponseFormat, None),
    ("confidence_fallback", ConfidenceFallback, "none"),
    ("allow_failures", AllowFailures, 0),
)
#: Options of the labeling commands that configure the run, not the client.
_RUN_OPTIONS = ("response_format", "confidence_fallback", "allow_failures")


class _LLMOptions:
    """The connection (and limit) options given on the command line; ``client()`` connects."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def client(self) -> Any:
        return _client(**{k: v for k, v in self.values.items() if k not in _RUN_OPTIONS})

    @property
    def response_format(self) -> str:
        import os

        from labelwise.errors import DataError
        from labelwise.llm.run import RESPONSE_FORMATS

        value = (
            self.values.get("response_format")
            or os.environ.get("LABELWISE_LLM_RESPONSE_FORMAT")
            or "auto"
        )
        if value not in RESPONSE_FORMATS:
            raise DataError(
                f"--response-format must be one of {', '.join(RESPONSE_FORMATS)}, not {value!r}"
            )
        return str(value)

    @property
    def confidence_fallback(self) -> str:
        from labelwise.errors import DataError

        value = str(self.values.get("confidence_fallback") or "none")
        if value not in ("none", "samples", "verbalized"):
            raise DataError(
                f"--confidence-fallback must be none, samples or verbalized, not {value!r}"
            )
        return value

    @property
    def allow_failures(self) -> int:
        return int(self.values.get("allow_failures") or 0)


def _llm_options(*, limits: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared ``--base-url ... --timeout`` (and, with ``limits``,
    ``--budget-usd --max-tokens-total --concurrency``) options, listed after its own.

    The command declares a parameter ``llm`` and receives them as one :class:`_LLMOptions`.
    """
    extra = _CONNECTION_OPTIONS + (_LIMIT_OPTIONS if limits else ())

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [
            p
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.name != "llm"
        ]
        added = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
            for n, a, d in extra
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {n: kwargs.pop(n) for n, _, _ in extra}
            return command(*args, llm=_LLMOptions(values), **kwargs)

        wrapper.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _client(
    *,
    base_url: str | None,
    model: str | None,
    provider: str,
    api_key_env: str | None,
    azure_endpoint: str | None,
    deployment: str | None,
    api_version: str | None,
    cache: Path | None,
    no_cache: bool,
    timeout: float,
    budget_usd: float | None = None,
    max_tokens_total: int | None = None,
    concurrency: int = 4,
    breaker: int = 5,
) -> Any:
    from labelwise.llm import connect

    return connect(
        model=model,
        provider=provider,
        base_url=base_url,
        api_key_env=api_key_env,
        azure_endpoint=azure_endpoint,
        deployment=deployment,
        api_version=api_version,
        cache=None if no_cache else (cache if cache is not None else "auto"),
        budget_usd=budget_usd,
        max_tokens_total=max_tokens_total,
        concurrency=concurrency,
        timeout=timeout,
        breaker=breaker,
    )


def _read(data: Path, column: str | None) -> Any:
    import difflib

    from labelwise.errors import DataError
    from labelwise.io import read_table

    df = read_table(data)
    if column is not None and column not in df.columns:
        close = difflib.get_close_matches(column, [str(c) for c in df.columns], n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise DataError(
            f"column {column!r} is not in {str(data)!r}{hint} Columns: {list(df.columns)[:30]}"
        )
    return df


def _names(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [x.strip() for x in text.split(",") if x.strip()]


def _flat(value: Any) -> Any:
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _finish(
    run: Any,
    df: Any,
    *,
    name: str,
    out: Path,
    report: Path | None,
    matrix: Path | None,
    client: Any,
    after: Callable[[Any], None] | None = None,
) -> None:
    from labelwise.io import write_table

    res = run.to_pandas().drop(columns=["vote"]).reset_index(drop=True)
    res = res.rename(columns={c: f"{name}_{c}" for c in res.columns})
    for c in res.columns:
        res[c] = [_flat(v) for v in res[c]]
    merged = df.reset_index(drop=True).join(res)
    write_table(merged, out)
    if matrix is not None:
        from labelwise.llm.tasks import MultiLabelTask

        L = (
            run.to_multi_label_matrix(name)
            if isinstance(run.task, MultiLabelTask)
            else run.to_label_matrix(name)
        )
        L.to_parquet(matrix)
    if report is not None:
        run.report(report)
    if after is not None:
        after(run)
    console.print(run.summary(), highlight=False, soft_wrap=True, markup=False)
    console.print(
        f"wrote {out}" + (f", {matrix}" if matrix else "") + (f", {report}" if report else ""),
        highlight=False,
        markup=False,
    )
    if run.stats["stopped_reason"] == "budget":
        err_console.print(
            "[yellow]budget exhausted:[/yellow] items not sent abstain. Rerun the same command "
            f"with a larger budget to continue; cached answers ({client.cache.path}) cost nothing.",
            highlight=False,
            soft_wrap=True,
        )


def _label(
    task: Any,
    data: Path,
    column: str | None,
    llm: _LLMOptions,
    confidence: str = "none",
    *,
    name: str,
    out: Path,
    report: Path | None,
    matrix: Path | None = None,
    after: Callable[[Any], None] | None = None,
) -> Any:
    """Read ``data`` (checking ``column``), connect, run ``task``, write the outputs and exit
    with the batch's code: 3 when items failed (beyond --allow-failures) or the circuit
    breaker stopped the run, 130 on Ctrl-C. Stopped runs write what was done and leave a
    ``<out>.partial.json`` marker; the next run resumes (finished answers are cached)."""
    from labelwise.faults import PartialMarker
    from labelwise.llm import LLMProviderError, run_task
    from labelwise.llm.run import RunInterrupted

    df = _read(data, column)
    response_format = llm.response_format
    fallback = llm.confidence_fallback
    client = llm.client()
    marker = PartialMarker(out)
    previous = marker.read()
    if previous is not None:
        err_console.print(
            f"resuming: the run that wrote {out} stopped ({previous.get('reason')}) after "
            f"{previous.get('done')} of {previous.get('total')} items; finished answers come "
            "from the cache"
            + (
                " -- but --no-cache was given, so they are sent again"
                if llm.values.get("no_cache")
                else ""
            ),
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    items = df[column] if column is not None else df
    try:
        run = run_task(
            task,
            items,
            client=client,
            confidence=confidence,
            response_format=response_format,
            confidence_fallback=fallback,
        )
    except RunInterrupted as exc:
        run = exc.partial
        _finish(
            run, df, name=name, out=out, report=report, matrix=matrix, client=client, after=after
        )
        summary = run.batch_summary()
        marker.write(summary, done_items=_done_positions(run), reason="interrupted (Ctrl-C)")
        err_console.print(f"partial results written to {out}; marker {marker.path}", markup=False)
        finish_batch(summary, llm.allow_failures)
        return run
    except LLMProviderError as exc:
        run = exc.partial
        if run is None:
            raise
        run.stopped = str(exc)
        summary = run.batch_summary()
        if summary.done + summary.cached == 0 and not _is_circuit(exc):
            raise  # a wrong key or model before anything was done: a one-line error, exit 2
        _finish(
            run, df, name=name, out=out, report=report, matrix=matrix, client=client, after=after
        )
        marker.write(summary, done_items=_done_positions(run), reason=str(exc)[:500])
        err_console.print(
            f"[bold red]stopped:[/bold red] {_escape(str(exc))}", highlight=False, soft_wrap=True
        )
        err_console.print(f"partial results written to {out}; marker {marker.path}", markup=False)
        if not _is_circuit(exc):
            # A wrong key or model: a configuration error (exit 2), whatever was done.
            finish_batch(summary, len(run.results))
            raise typer.Exit(2) from None
        finish_batch(summary, 0)  # a dead server: exit 3, never a success
        return run
    _finish(run, df, name=name, out=out, report=report, matrix=matrix, client=client, after=after)
    marker.clear()
    finish_batch(run.batch_summary(), llm.allow_failures)
    return run


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _is_circuit(exc: BaseException) -> bool:
    from labelwise.llm.errors import CircuitOpen

    return isinstance(exc, CircuitOpen)


def _done_positions(run: Any) -> list[int]:
    return [i for i, r in enumerate(run.results) if r.status in ("ok", "repaired", "unsure")]


# ---------------------------------------------------------------------- ask
@app.command("ask")
@_llm_options(limits=False)
def ask_command(
    data: Annotated[Path, typer.Argument(help="Table file (CSV, TSV, Parquet, JSONL).")],
    question: Annotated[str, typer.Argument(help='Question, e.g. "average age per income group".')],
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Save the plan's chart (PNG) here.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the result table here.")
    ] = None,
    no_values: Annotated[
        bool,
        typer.Option("--no-values", help="Send only column names and types, no example values."),
    ] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows of the result to print.")] = 30,
    *,
    llm: _LLMOptions,
) -> None:
    """Answer a question about a table with a validated plan the LLM writes (never code).

    The plan uses a small operation language (filter, select, group-by, aggregate, sort,
    describe, value counts, chart) that labelwise checks against the table and runs.
    """
    from rich.table import Table
    from rich.text import Text

    from labelwise.io import write_table
    from labelwise.llm import ask
    from labelwise.llm.ask import plan_to_text

    df = _read(data, None)
    client = llm.client()
    result = ask(df, question, client=client, chart=chart is not None, share_values=not no_values)
    # Everything below comes from the data or the model: printed as plain text (never as
    # Rich markup) with control characters removed.
    if result.plan.explanation:
        console.print(Text(safe_text(result.plan.explanation), style="bold"), soft_wrap=True)
    console.print(Text("plan:", style="dim"))
    console.print(Text(safe_text(plan_to_text(result.plan), keep_newlines=True)), soft_wrap=True)
    table = Table(show_header=True, header_style="bold")
    shown = result.table.head(max_rows)
    for c in shown.columns:
        table.add_column(Text(safe_text(str(c), max_chars=80)))
    for row in shown.itertuples(index=False):
        table.add_row(
            *[
                Text(safe_text(f"{v:.6g}" if isinstance(v, float) else str(v), max_chars=200))
                for v in row
            ]
        )
    console.print(table)
    if len(result.table) > max_rows:
        console.print(Text(f"{len(result.table) - max_rows} more rows", style="dim"))
    for note in result.notes:
        console.print(Text(f"note: {safe_text(note)}", style="dim"), soft_wrap=True)
    if out is not None:
        write_table(result.table, out)
        console.print(Text(f"wrote {out}"))
    if chart is not None:
        if result.chart_png is None:
            err_console.print("the plan has no chart; nothing saved to --chart", highlight=False)
        else:
            result.save_chart(chart)
            console.print(Text(f"wrote {chart}"))


_CONTROL = dict.fromkeys(
    [c for c in range(32) if c not in (9, 10)] + [127] + list(range(0x80, 0xA0)), None
)


def safe_text(value: str, *, keep_newlines: bool = False, max_chars: int | None = None) -> str:
    r"""``value`` without control characters (escape sequences, bells, carriage returns),
    newlines and tabs as spaces unless ``keep_newlines``, cut at ``max_chars``.

    Examples
    --------
    >>> safe_text("ok\x1b[31mred\x07 [bold]x[/]\nnext")
    'ok[31mred [bold]x[/] next'
    """
    text = str(value).translate(_CONTROL)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "\u2026"
    return text


# ---------------------------------------------------------------------- llm classify
@llm_app.command("classify")
@_llm_options()
def classify_command(
    data: Annotated[Path, typer.Argument(help="Table file with a text column.")],
    column: Column,
    out: Out,
    labels: Annotated[
        str | None,
        typer.Option("--labels", "-l", help="Comma-separated class names, e.g. ham,spam."),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            help="One class per option, commas allowed: --label 'Sci, Tech: science and "
            "technology news' (repeat for every class; text after ':' describes it).",
        ),
    ] = None,
    labels_file: Annotated[
        Path | None,
        typer.Option(
            "--labels-file",
            help="Classes from a file: one 'name: description' per line, or JSON/YAML.",
        ),
    ] = None,
    instructions: Annotated[
        str | None,
        typer.Option("--instructions", help='What to decide, e.g. "Is this SMS spam?"'),
    ] = None,
    multi: Annotated[
        bool, typer.Option("--multi", help="Multi-label: every class that applies.")
    ] = False,
    name: Name = "llm",
    confidence: Confidence = "auto",
    max_chars: MaxChars = 8000,
    report: Report = None,
    matrix: Matrix = None,
    *,
    llm: _LLMOptions,
) -> None:
    """Classify each text into one of the classes (or all that apply with --multi)."""
    from labelwise.embed.zeroshot import label_descriptions
    from labelwise.llm import ClassifyTask, MultiLabelTask

    if labels is not None:
        names = _names(labels)
        descriptions: dict[str, str] = {}
    else:
        classes = label_descriptions(None, label, labels_file)
        names = list(classes)
        descriptions = {n: "; ".join(d) for n, d in classes.items() if d != [n]}
    task = (
        MultiLabelTask(names, instructions=instructions, max_chars=max_chars)
        if multi
        else ClassifyTask(
            names,
            instructions=instructions,
            descriptions=descriptions or None,
            max_chars=max_chars,
        )
    )
    _label(task, data, column, llm, confidence, name=name, out=out, report=report, matrix=matrix)


@llm_app.command("taxonomy")
@_llm_options()
def taxonomy_command(
    data: Annotated[Path, typer.Argument(help="Table file with a text column.")],
    column: Column,
    taxonomy: Annotated[
        Path,
        typer.Option(
            "--taxonomy", "-t", help="Taxonomy file (.yaml, .json, or .txt 'Category / Sub')."
        ),
    ],
    out: Out,
    level: Annotated[
        str, typer.Option("--level", help="Vote on 'leaf' (category / sub) or 'category'.")
    ] = "leaf",
    name: Name = "llm",
    confidence: Confidence = "auto",
    max_chars: MaxChars = 8000,
    report: Report = None,
    matrix: Matrix = None,
    *,
    llm: _LLMOptions,
) -> None:
    """Place each text in a two-level taxonomy (category and sub-category)."""
    from labelwise.llm import TaxonomyTask, load_taxonomy

    task = TaxonomyTask(load_taxonomy(taxonomy), level=level, max_chars=max_chars)
    _label(task, data, column, llm, confidence, name=name, out=out, report=report, matrix=matrix)


@llm_app.command("extract")
@_llm_options()
def extract_command(
    data: Annotated[Path, typer.Argument(help="Table file with a text column.")],
    column: Column,
    out: Out,
    types: Annotated[
        str,
        typer.Option(
            "--types",
            help="Comma-separated entity types (default person,organization,location,phone).",
        ),
    ] = "person,organization,location,phone",
    spans: Annotated[
        Path | None,
        typer.Option(
            "--spans", help="Also write one row per entity (item, type, text, start, end)."
        ),
    ] = None,
    name: Name = "llm",
    max_chars: MaxChars = 8000,
    report: Report = None,
    *,
    llm: _LLMOptions,
) -> None:
    """Extract entities as character spans checked against the text."""
    from labelwise.io import write_table
    from labelwise.llm import EntityTask

    task = EntityTask(_names(types), max_chars=max_chars)

    def write_spans(run: Any) -> None:
        if spans is not None:
            write_table(run.spans(), spans)
            console.print(f"wrote {spans}", markup=False)

    _label(task, data, column, llm, name=name, out=out, report=report, after=write_spans)


@llm_app.command("sentiment")
@_llm_options()
def sentiment_command(
    data: Annotated[Path, typer.Argument(help="Table file with a text column.")],
    column: Column,
    out: Out,
    aspects: Annotated[
        str | None,
        typer.Option("--aspects", help="Comma-separated aspects to score (default: the model's)."),
    ] = None,
    name: Name = "llm",
    confidence: Confidence = "auto",
    max_chars: MaxChars = 8000,
    report: Report = None,
    matrix: Matrix = None,
    *,
    llm: _LLMOptions,
) -> None:
    """Aspect-based sentiment: aspects scored 0-5, overall score, top positive/negative.

    Votes are negative for overall <= 2 and positive for overall >= 4 (else abstain).
    """
    from labelwise.llm import AspectSentimentTask

    names = _names(aspects) if aspects else None
    task = AspectSentimentTask(aspects=names, max_chars=max_chars)
    _label(task, data, column, llm, confidence, name=name, out=out, report=report, matrix=matrix)


@llm_app.command("summarize")
@_llm_options()
def summarize_command(
    data: Annotated[Path, typer.Argument(help="Table file with a text column.")],
    column: Column,
    out: Out,
    max_words: Annotated[int, typer.Option("--max-words", help="Longest summary (words).")] = 40,
    headline: Annotated[
        bool, typer.Option("--headline", help="Write a headline (and a topic) instead.")
    ] = False,
    topics: Annotated[
        str | None,
        typer.Option("--topics", help="With --headline: comma-separated topics to choose from."),
    ] = None,
    name: Name = "llm",
    max_chars: MaxChars = 8000,
    report: Report = None,
    *,
    llm: _LLMOptions,
) -> None:
    """Summarize each text, or write a headline and pick a topic (--headline --topics)."""
    from labelwise.llm import HeadlineTask, SummarizeTask

    task: Any
    if headline:
        names = _names(topics) if topics else None
        task = HeadlineTask(topics=names, max_words=min(max_words, 20), max_chars=max_chars)
    else:
        task = SummarizeTask(max_words=max_words, max_chars=max_chars)
    _label(task, data, column, llm, name=name, out=out, report=report)


@llm_app.command("rows")
@_llm_options()
def rows_command(
    data: Annotated[Path, typer.Argument(help="Table whose rows to label.")],
    examples: Annotated[
        Path, typer.Option("--examples", "-e", help="Table of labeled example rows.")
    ],
    label_column: Annotated[
        str, typer.Option("--label-column", help="Column of --examples holding the class.")
    ],
    out: Out,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns", help="Comma-separated columns to show (default: all of the examples')."
        ),
    ] = None,
    instructions: Annotated[
        str | None, typer.Option("--instructions", help="What the class means.")
    ] = None,
    name: Name = "llm",
    confidence: Confidence = "auto",
    report: Report = None,
    matrix: Matrix = None,
    *,
    llm: _LLMOptions,
) -> None:
    """Label table rows from a few labeled example rows (rows are serialized to text)."""
    from labelwise.llm import RowClassifyTask

    ex = _read(examples, label_column)
    names = sorted({str(v) for v in ex[label_column].dropna()})
    cols = [c.strip() for c in columns.split(",")] if columns else None
    task = RowClassifyTask(
        names, examples=ex, label_column=label_column, columns=cols, instructions=instructions
    )
    _label(task, data, None, llm, confidence, name=name, out=out, report=report, matrix=matrix)
