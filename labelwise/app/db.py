"""Schema and engines: SQLite by default (WAL, one writer thread), any SQLAlchemy URL allowed.

Writes go through :class:`Writer`, a single thread that owns the only write connection. It
takes every write waiting in its queue, runs each in its own SAVEPOINT inside one
transaction, commits once (one fsync for the whole batch: *group commit*) and only then
answers the callers. So an acknowledged write is always committed, and a failing write
never takes its batch-mates down with it. Reads use a pool of connections that WAL lets run
alongside the writer.

``synchronous=FULL`` is the default: a commit survives not just a killed server
(``SIGKILL``; NORMAL would too, the WAL is in the OS cache) but a power cut.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from labelwise.errors import require

T = TypeVar("T")

__all__ = [
    "DB_FILENAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Database",
    "Writer",
    "metadata",
    "normalize_url",
]

DB_FILENAME = "labelwise.db"
#: Attempts of one PostgreSQL write that hits a deadlock, serialization or unique-key race.
PG_RETRIES = 5
# deadlock_detected, serialization_failure, unique_violation
_PG_RETRY_CODES = ("40P01", "40001", "23505")
SCHEMA_VERSION = 2
#: PostgreSQL connections kept per server process, and how many more it may open at a peak.
PG_POOL_SIZE, PG_POOL_OVERFLOW = 16, 4

#: Versioned migrations: ``{version: [SQL, ...]}`` takes a database from ``version - 1`` to
#: ``version``. A new database is created at :data:`SCHEMA_VERSION` directly (from
#: :data:`metadata`); an older one is brought up step by step, each step in one transaction.
#: Column types are portable (``FLOAT`` is REAL on SQLite, double precision on PostgreSQL).
MIGRATIONS: dict[int, list[str]] = {
    2: [
        "ALTER TABLE tokens ADD COLUMN expires_at FLOAT",
        "ALTER TABLE tokens ADD COLUMN last_used_at FLOAT",
        "ALTER TABLE sessions ADD COLUMN last_seen FLOAT",
    ],
}


def _tables() -> Any:
    sa = require("sqlalchemy", "app")
    md = sa.MetaData()

    def owned_by(name: str, target: str, *, primary_key: bool = False, index: bool = False) -> Any:
        """A required integer column referencing ``target``; the row goes when that row goes."""
        fk = sa.ForeignKey(target, ondelete="CASCADE")
        if primary_key:
            return sa.Column(name, sa.Integer, fk, primary_key=True, index=index or None)
        return sa.Column(name, sa.Integer, fk, nullable=False, index=index or None)

    sa.Table(
        "meta", md, sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text)
    )
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    sa.Table(
        "tokens",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        owned_by("user_id", "users.id", index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float),  # NULL: never
        sa.Column("last_used_at", sa.Float),
    )
    sa.Table(
        "sessions",
        md,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        owned_by("user_id", "users.id", index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float),
    )
    sa.Table(
        "projects",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("overlap", sa.Integer, nullable=False, server_default="1"),
        sa.Column("queue_order", sa.String(16), nullable=False, server_default="sequential"),
        sa.Column("seed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    sa.Table(
        "members",
        md,
        owned_by("project_id", "projects.id", primary_key=True),
        owned_by("user_id", "users.id", primary_key=True, index=True),
    )
    tasks = sa.Table(
        "tasks",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        owned_by("project_id", "projects.id"),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("queue_key", sa.Float, nullable=False),
        sa.Column("overlap", sa.Integer, nullable=False),
        sa.Column("n_done", sa.Integer, nullable=False, server_default="0"),
        # 1 while the task needs more annotations; the queue index covers only these.
        sa.Column("open", sa.Integer, nullable=False, server_default="1"),
        sa.Column("gold", sa.Text),
        sa.Column("gold_by", sa.Integer),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("project_id", "item_id", name="uq_task_item"),
    )
    sa.Index(
        "ix_tasks_queue",
        tasks.c.project_id,
        tasks.c.queue_key,
        tasks.c.id,
        sqlite_where=tasks.c.open == 1,
        postgresql_where=tasks.c.open == 1,
    )
    anns = sa.Table(
        "annotations",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        owned_by("task_id", "tasks.id"),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("submission_id", sa.String(64), nullable=False, unique=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lead_time", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("task_id", "user_id", name="uq_annotation_task_user"),
    )
    sa.Index("ix_annotations_project_user", anns.c.project_id, anns.c.user_id, anns.c.created_at)
    sa.Index("ix_annotations_project_status", anns.c.project_id, anns.c.status)
    sa.Table(
        "reviews",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        owned_by("annotation_id", "annotations.id", index=True),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("before", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    sa.Table(
        "predictions",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        owned_by("task_id", "tasks.id"),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("task_id", "source", name="uq_prediction_task_source"),
    )
    # Work handed out and not yet submitted (PostgreSQL, where several server processes
    # share the queue; one SQLite process keeps these in memory).
    sa.Table(
        "reservations",
        md,
        owned_by("task_id", "tasks.id", primary_key=True),
        owned_by("user_id", "users.id", primary_key=True, index=True),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    # Wrong passwords, by "u:<name>" / "c:<address>" (see labelwise.app.throttle): in the
    # database so every server process counts the same failures.
    login_failures = sa.Table(
        "login_failures",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    sa.Index("ix_login_failures_key", login_failures.c.key, login_failures.c.at)
    sa.Index("ix_login_failures_at", login_failures.c.at)
    sa.Table(
        "skips",
        md,
        owned_by("task_id", "tasks.id", primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    return md


metadata = _tables()


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL: ``postgresql://`` and ``postgres://`` use psycopg 3.

    >>> normalize_url("postgresql://lw@127.0.0.1:5432/labels")
    'postgresql+psycopg://lw@127.0.0.1:5432/labels'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Writer:
    """The one thread that writes: group commit, one SAVEPOINT per write.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Engine whose connections begin write transactions (``BEGIN IMMEDIATE`` on SQLite).
    max_batch : int
        Most writes committed together.
    """

    def __init__(self, engine: Any, *, max_batch: int = 128) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="labelwise-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def run(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(connection)`` in the writer thread; return once it is committed."""
        if self._closed:
            raise RuntimeError("the database writer is closed")
        if threading.current_thread() is self._thread:
            raise RuntimeError("Writer.run called from inside a write; pass the connection instead")
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, fut))
        return fut.result()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        conn = self.engine.connect()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                self._run_batch(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _run_batch(self, conn: Any, batch: list[Any]) -> None:
        outcomes: list[tuple[concurrent.futures.Future[Any], Any, BaseException | None]] = []
        try:
            tx = conn.begin()
            try:
                for fn, fut in batch:
                    sp = conn.begin_nested()
                    try:
                        value = fn(conn)
                        sp.commit()
                        outcomes.append((fut, value, None))
                    except BaseException as exc:  # one failed write must not sink the batch
                        sp.rollback()
                        outcomes.append((fut, None, exc))
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
        except BaseException as exc:
            for _fn, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for fut, value, error in outcomes:
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(value)


class Database:
    """Engines for one labelwise database, its schema, and the writer thread.

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///path/labelwise.db`` or ``postgresql://...``).
    synchronous : {"FULL", "NORMAL"}
        SQLite durability level (see module notes).
    """

    def __init__(self, url: str, *, synchronous: str = "FULL") -> None:
        sa = require("sqlalchemy", "app")
        url = normalize_url(url)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, got {synchronous!r}")
        if self.is_sqlite:
            self.read_engine = sa.create_engine(url, pool_size=24, max_overflow=40, pool_timeout=60)
            self.write_engine = sa.create_engine(url, pool_size=1, max_overflow=0)
            self._sqlite_setup(self.read_engine, begin="BEGIN", synchronous=synchronous.upper())
            self._sqlite_setup(
                self.write_engine, begin="BEGIN IMMEDIATE", synchronous=synchronous.upper()
            )
        else:
            # PostgreSQL: every request thread writes in its own transaction (the server
            # orders them with row locks), so several processes can share one database.
            # 20 connections per server process: 4 processes stay under PostgreSQL's
            # default max_connections (100) with room for admin sessions.
            self.read_engine = sa.create_engine(
                url,
                pool_size=PG_POOL_SIZE,
                max_overflow=PG_POOL_OVERFLOW,
                pool_timeout=60,
                pool_pre_ping=True,
            )
            self.write_engine = self.read_engine
        if self.is_sqlite:
            self._private_file(url)
        self.schema_version = self._migrate()
        self.writer: Writer | None = Writer(self.write_engine) if self.is_sqlite else None

    @staticmethod
    def _private_file(url: str) -> None:
        """Create the SQLite file readable by its owner only (0600; WAL files follow it)."""
        import os

        path = url.split(":///", 1)[-1]
        if not path or path == ":memory:" or path.startswith("file:"):
            return
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        for p in (path, path + "-wal", path + "-shm"):
            if os.path.exists(p):
                os.chmod(p, 0o600)

    def _migrate(self) -> int:
        """Stamp a new database, or run the migrations an older one needs; the version."""
        sa = require("sqlalchemy", "app")
        with self.write_engine.begin() as conn:
            if not self.is_sqlite:
                # Several server processes may start at once: one migrates, the others wait.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7460124)"))
            metadata.create_all(conn)
            row = conn.execute(
                sa.text("SELECT value FROM meta WHERE key = 'schema_version'")
            ).first()
            if row is None:
                conn.execute(
                    sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
                    {"v": str(SCHEMA_VERSION)},
                )
                conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('auth_epoch', '0')"))
                return SCHEMA_VERSION
            version = int(row[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"database schema version {version} is newer than this labelwise "
                    f"({SCHEMA_VERSION}); upgrade labelwise"
                )
            # All steps in this one (locked) transaction: a failed step leaves the old schema.
            while version < SCHEMA_VERSION:
                version += 1
                for sql in MIGRATIONS.get(version, []):
                    conn.execute(sa.text(sql))
                conn.execute(
                    sa.text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
                    {"v": str(version)},
                )
            if conn.execute(sa.text("SELECT 1 FROM meta WHERE key = 'auth_epoch'")).first() is None:
                conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('auth_epoch', '0')"))
        return version

    @staticmethod
    def _sqlite_setup(engine: Any, *, begin: str, synchronous: str) -> None:
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy (not the sqlite3 module) issue BEGIN, so SAVEPOINTs work and
            # writes take the lock up front (BEGIN IMMEDIATE) instead of failing on upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("PRAGMA cache_size=-16000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql(begin)

    @classmethod
    def for_folder(cls, folder: str | Path, *, synchronous: str = "FULL") -> Database:
        """The SQLite database ``labelwise.db`` inside ``folder`` (created if missing)."""
        p = Path(folder)
        p.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{(p / DB_FILENAME).resolve()}", synchronous=synchronous)

    def read(self) -> Any:
        """A read transaction: ``with db.read() as conn: ...``."""
        return self.read_engine.begin()

    def write(self, fn: Callable[[Any], T], *, durable: bool = True) -> T:
        """Run ``fn(conn)`` as a committed write (SQLite: see :class:`Writer`).

        On PostgreSQL the write runs in the calling thread in its own transaction; a
        deadlock, serialization failure or a unique-key race (two processes inserting the
        same key) rolls it back and runs it again, where its own checks then see the
        winner's row. ``durable=False`` (PostgreSQL) returns before the commit reaches the
        disk: for courtesy records (a reservation, a last-used stamp) a crash may lose,
        never for annotations.
        """
        if self.writer is not None:
            return self.writer.run(fn)
        sa = require("sqlalchemy", "app")
        for attempt in range(PG_RETRIES):
            try:
                with self.write_engine.begin() as conn:
                    if not durable:
                        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
                    return fn(conn)
            except (sa.exc.OperationalError, sa.exc.IntegrityError) as exc:
                code = getattr(getattr(exc, "orig", None), "sqlstate", None)
                if code not in _PG_RETRY_CODES or attempt == PG_RETRIES - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    @property
    def pool_capacity(self) -> int:
        """Most connections this process uses at once (PostgreSQL; SQLite: its read pool)."""
        pool = self.read_engine.pool
        return int(pool.size()) + int(getattr(pool, "_max_overflow", 0))

    def warm_pool(self, n: int = 8) -> int:
        """Open up to ``n`` pooled connections now (PostgreSQL), so the first burst of
        requests after a start does not also pay for new server backends; how many."""
        if self.is_sqlite:
            return 0
        conns = []
        try:
            for _ in range(max(0, int(n))):
                conns.append(self.read_engine.connect())
        finally:
            for c in conns:
                c.close()  # back into the pool, still open
        return len(conns)

    def refresh_statistics(self, *tables: str) -> None:
        """Refresh the planner's statistics of ``tables`` after a bulk change (PostgreSQL).

        PostgreSQL plans from sampled statistics that autovacuum refreshes only now and
        then; right after a 100k-row import it would still believe the table is empty and
        pick plans that scan every row (a 1 ms queue query took 95 ms). SQLite needs nothing.
        """
        if self.is_sqlite or not tables:
            return
        sa = require("sqlalchemy", "app")
        known = set(metadata.tables)
        bad = [t for t in tables if t not in known]
        if bad:
            raise ValueError(f"unknown tables {bad}; expected some of {sorted(known)}")
        with self.write_engine.begin() as conn:
            conn.execute(sa.text("ANALYZE " + ", ".join(tables)))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()
