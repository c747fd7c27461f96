"""``labelwise serve`` and ``labelwise project ...``: run the annotation app and manage projects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from labelwise.cli.app import app, console

project_app = typer.Typer(
    help="Create projects, import tasks, export annotations, manage users.", no_args_is_help=True
)
users_app = typer.Typer(
    help="List and add users, change roles, make API tokens, add project members.",
    no_args_is_help=True,
)
project_app.add_typer(users_app, name="users")
app.add_typer(project_app, name="project")

FOLDER = typer.Argument(
    ..., help="Project folder (holds labelwise.db and media/); created if missing."
)


def _store(folder: Path, db_url: str | None = None) -> Any:
    from labelwise.app import Store

    if db_url:
        return Store.open(db_url, media_root=folder / "media")
    return Store.open(folder)


def _project(store: Any, ref: str) -> Any:
    return store.get_project(int(ref)) if ref.isdigit() else store.get_project(ref)


@app.command("serve", help="Run the annotation web app (API docs at /docs) on a project folder.")
def serve_cmd(
    folder: Path = FOLDER,
    host: str = typer.Option(
        "127.0.0.1", help="Interface to bind; keep 127.0.0.1 unless others must reach it."
    ),
    port: int = typer.Option(8080, help="TCP port."),
    db_url: str = typer.Option(
        "",
        "--db",
        "--db-url",
        help="Database URL (postgresql://user@host/db) instead of SQLite in the folder.",
    ),
    workers: int = typer.Option(
        1, help="Server processes on the one port (PostgreSQL only; SQLite uses one)."
    ),
    secure_cookies: bool = typer.Option(
        False, help="Mark cookies Secure (when users reach the app through HTTPS/TLS)."
    ),
    session_idle_minutes: float = typer.Option(
        480, help="Log browser sessions out after this many minutes without a request."
    ),
    synchronous: str = typer.Option(
        "FULL", help="SQLite durability: FULL (survives power loss) or NORMAL."
    ),
    max_upload_mb: int = typer.Option(200, help="Largest upload or import accepted, in MB."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    from labelwise.app import serve

    console.print(
        f"labelwise app on http://{host}:{port}  (project folder {folder}, API docs at /docs)"
    )
    serve(
        folder,
        host=host,
        port=port,
        db_url=db_url or None,
        synchronous=synchronous,
        log_level=log_level,
        max_upload_mb=max_upload_mb,
        secure_cookies=secure_cookies,
        session_idle_minutes=session_idle_minutes,
        workers=workers,
    )


@project_app.command(
    "create", help="Create a project from a label configuration file (YAML or JSON)."
)
def create_cmd(
    folder: Path = FOLDER,
    name: str = typer.Argument(..., help="Project name (unique)."),
    config: Path = typer.Option(
        ..., "--config", "-c", help="Label configuration file (.yaml/.yml/.json)."
    ),
    overlap: int = typer.Option(1, help="Annotations wanted per task."),
    order: str = typer.Option("sequential", help="Queue order: sequential, random or uncertainty."),
    description: str = typer.Option("", help="Shown on the project page."),
    seed: int = typer.Option(0, help="Seed of the random queue order."),
) -> None:
    from labelwise.formats import LabelConfig

    with _store(folder) as store:
        p = store.create_project(
            name,
            LabelConfig.from_file(config),
            overlap=overlap,
            queue_order=order,
            description=description,
            seed=seed,
        )
    console.print(
        f"created project {p.id} {p.name!r} ({p.config.object_type}: {', '.join(c.name for c in p.config.controls)})"
    )


@project_app.command("list", help="List the projects in a folder with their progress.")
def list_cmd(folder: Path = FOLDER) -> None:
    from rich.table import Table

    with _store(folder) as store:
        table = Table("id", "name", "object", "controls", "overlap", "order", "tasks")
        for p in store.list_projects():
            n = len(store.task_items(p.id))
            table.add_row(
                str(p.id),
                p.name,
                p.config.object_type,
                ", ".join(c.name for c in p.config.controls),
                str(p.overlap),
                p.queue_order,
                str(n),
            )
    console.print(table)


@project_app.command(
    "import",
    help="Import tasks: a media folder, CSV/TSV/JSONL/Parquet, Label Studio/COCO JSON, YOLO/VOC, CoNLL.",
)
def import_cmd(
    folder: Path = FOLDER,
    project: str = typer.Argument(..., help="Project name or id."),
    source: Path = typer.Argument(..., help="File or folder to import."),
    fmt: str = typer.Option(
        "",
        "--format",
        "-f",
        help="table, jsonl, csv, label_studio, coco, yolo, voc or conll (guessed if empty).",
    ),
    id_column: str = typer.Option(
        "", help="Column holding item ids (tables); default 'id' or the row number."
    ),
    on_duplicate: str = typer.Option(
        "error", help="Existing item ids: error, skip, or merge (add annotations)."
    ),
    strict: bool = typer.Option(
        False, help="Reject YOLO coordinates outside [0, 1] instead of clipping them."
    ),
) -> None:
    from labelwise.app import import_path

    with _store(folder) as store:
        p = _project(store, project)
        out = import_path(
            store,
            p.id,
            source,
            fmt=fmt or None,
            id_column=id_column or None,
            on_duplicate=on_duplicate,
            strict=strict,
        )
    console.print(
        f"imported {out['tasks']} tasks, {out['annotations']} annotations, {out['predictions']} predictions "
        f"into {p.name!r}"
        + (f"; skipped {len(out['skipped'])} existing ids" if out["skipped"] else "")
    )
    for problem in out["problems"][:50]:
        console.print(f"  [yellow]note:[/yellow] {problem}", highlight=False)
    if len(out["problems"]) > 50:
        console.print(f"  ... and {len(out['problems']) - 50} more notes")


@project_app.command(
    "export", help="Export annotations: jsonl, csv, label_studio, coco, yolo, voc or conll."
)
def export_cmd(
    folder: Path = FOLDER,
    project: str = typer.Argument(..., help="Project name or id."),
    out: Path = typer.Argument(
        ..., help="Output file (or folder for yolo/voc; a .zip path writes a zip)."
    ),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="Export format."),
    which: str = typer.Option(
        "all", help="all annotations, or final (one per task: gold, reviewed, latest)."
    ),
) -> None:
    from labelwise.formats import pack_zip

    with _store(folder) as store:
        p = _project(store, project)
        # Refuses (one line, exit 2) a format that does not fit, naming those that do.
        files, problems = store.export_files(p.id, fmt, which=which)
        n_items = store.task_count(p.id)
    if len(files) == 1 and out.suffix:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(next(iter(files.values())))
    elif out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pack_zip(files))
    else:
        for rel, data in files.items():
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
    console.print(f"wrote {n_items} items of {p.name!r} as {fmt} to {out}")
    for problem in problems[:50]:
        console.print(f"  [yellow]note:[/yellow] {problem}", highlight=False)


@project_app.command(
    "report", help="Write the project dashboard (progress, annotators, labels, agreement) as HTML."
)
def report_cmd(
    folder: Path = FOLDER,
    project: str = typer.Argument(..., help="Project name or id."),
    out: Path = typer.Argument(..., help="Output .html file."),
) -> None:
    from labelwise.app import project_report

    with _store(folder) as store:
        p = _project(store, project)
        path = project_report(store, p.id, out)
    console.print(f"wrote {path}")


@users_app.command("list", help="List users and their roles.")
def users_list(folder: Path = FOLDER) -> None:
    from rich.table import Table

    with _store(folder) as store:
        table = Table("id", "user", "role", "active")
        for u in store.list_users():
            table.add_row(str(u.id), u.username, u.role, "yes" if u.active else "no")
    console.print(table)


@users_app.command(
    "add", help="Add a user (password from --password, $LABELWISE_PASSWORD, or a prompt)."
)
def users_add(
    folder: Path = FOLDER,
    username: str = typer.Argument(..., help="User name."),
    role: str = typer.Option("annotator", help="admin, reviewer or annotator."),
    password: str = typer.Option("", help="Password (at least 8 characters); prompted when empty."),
    project: list[str] = typer.Option(
        [], "--project", "-p", help="Make the user a member of these projects."
    ),
    token: bool = typer.Option(False, help="Also create and print an API token."),
) -> None:
    pw = (
        password
        or os.environ.get("LABELWISE_PASSWORD")
        or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    )
    with _store(folder) as store:
        user = store.create_user(username, pw, role=role)
        for ref in project:
            store.add_member(_project(store, ref).id, user)
        console.print(f"added {user.role} {user.username!r}")
        if token:
            console.print(f"API token (shown once): {store.create_token(user)}")


@users_app.command("set", help="Change a user's role, password or active flag.")
def users_set(
    folder: Path = FOLDER,
    username: str = typer.Argument(..., help="User name."),
    role: str = typer.Option("", help="New role."),
    password: str = typer.Option("", help="New password."),
    active: str = typer.Option("", help="yes or no."),
) -> None:
    with _store(folder) as store:
        u = store.update_user(
            username,
            role=role or None,
            password=password or None,
            active=None if not active else active.lower() in ("yes", "true", "1"),
        )
    console.print(f"{u.username}: role {u.role}, active {u.active}")


@users_app.command("token", help="Create an API token for a user (printed once).")
def users_token(
    folder: Path = FOLDER,
    username: str = typer.Argument(..., help="User name."),
    name: str = typer.Option("cli", help="A name to remember the token by."),
    expires_days: float = typer.Option(
        90, help="Lifetime in days; 0 for a token that never expires."
    ),
) -> None:
    with _store(folder) as store:
        console.print(store.create_token(username, name=name, expires_days=expires_days or None))


@users_app.command("tokens", help="List a user's API tokens (names and dates, not secrets).")
def users_tokens(
    folder: Path = FOLDER, username: str = typer.Argument(..., help="User name.")
) -> None:
    import datetime as dt

    def when(t: float | None) -> str:
        if t is None:
            return "-"
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M")

    with _store(folder) as store:
        tokens = store.list_tokens(username)
    if not tokens:
        console.print(f"{username} has no API tokens")
    for t in tokens:
        expires = "never" if t["expires_at"] is None else when(t["expires_at"])
        state = " (expired)" if t["expired"] else ""
        console.print(
            f"{t['id']:>5}  {t['name']:<20} created {when(t['created_at'])}  "
            f"expires {expires}{state}  last used {when(t['last_used_at'])}",
            highlight=False,
        )


@users_app.command("revoke-token", help="Revoke one of a user's API tokens (by id).")
def users_revoke_token(
    folder: Path = FOLDER,
    username: str = typer.Argument(..., help="User name."),
    token_id: int = typer.Argument(..., help="Token id (see 'tokens')."),
) -> None:
    with _store(folder) as store:
        store.revoke_token(username, token_id)
    console.print(f"revoked token {token_id} of {username}")


@users_app.command("member", help="Add (or with --remove, remove) a user to a project.")
def users_member(
    folder: Path = FOLDER,
    username: str = typer.Argument(..., help="User name."),
    project: str = typer.Argument(..., help="Project name or id."),
    remove: bool = typer.Option(False, help="Remove instead of add."),
) -> None:
    with _store(folder) as store:
        p = _project(store, project)
        if remove:
            store.remove_member(p.id, username)
        else:
            store.add_member(p.id, username)
    console.print(
        f"{'removed' if remove else 'added'} {username} {'from' if remove else 'to'} {p.name!r}"
    )
