"""A throwaway PostgreSQL server from the system's binaries, for tests and benchmarks.

:class:`LocalPostgres` runs ``initdb`` into a temporary data directory and starts
``postgres`` on 127.0.0.1 (a free port) as an unprivileged user: the current one, or, when
running as root, the ``postgres`` system user (else ``nobody``) through ``runuser``. Nothing
here is for production: authentication is ``trust`` on the loopback interface.

Examples
--------
>>> pg = LocalPostgres.start()  # doctest: +SKIP
>>> url = pg.create_database("labels")  # doctest: +SKIP
>>> pg.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from labelwise.errors import LabelwiseError

__all__ = ["LocalPostgres", "find_postgres"]


def find_postgres() -> Path | None:
    """The ``bin`` folder of the newest installed PostgreSQL, or ``None``."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            try:
                found.append((float(Path(d).parent.name), Path(d)))
            except ValueError:
                continue
    if not found:
        on_path = shutil.which("pg_ctl")
        return Path(on_path).parent if on_path and shutil.which("initdb") else None
    return max(found)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPostgres:
    """A running throwaway server; :meth:`stop` ends it and deletes its data."""

    def __init__(self, root: Path, port: int, bindir: Path, run_as: str | None) -> None:
        self.root = root
        self.port = port
        self.bindir = bindir
        self.run_as = run_as
        self.user = "labelwise"
        self.log_path = root / "server.log"

    @classmethod
    def start(
        cls, *, max_connections: int = 400, settings: Mapping[str, str] | None = None
    ) -> LocalPostgres:
        """initdb + start; raises :class:`LabelwiseError` saying why when it cannot.

        ``settings`` are extra server settings (``{"log_min_duration_statement": "20"}``);
        the server log is :attr:`log_path` until :meth:`stop`.
        """
        bindir = find_postgres()
        if bindir is None:
            raise LabelwiseError(
                "no PostgreSQL server binaries found (install the Debian package 'postgresql')"
            )
        run_as = None
        root = Path(tempfile.mkdtemp(prefix="labelwise-pg-"))
        if os.geteuid() == 0:
            import pwd

            for name in ("postgres", "nobody"):
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                run_as = name
                os.chown(root, pw.pw_uid, pw.pw_gid)
                break
            if run_as is None:
                raise LabelwiseError("running as root and no 'postgres' or 'nobody' user to run as")
        pg = cls(root, _free_port(), bindir, run_as)
        data = root / "data"
        pg._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                pg.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {pg.port} -k {root} "
            f"-c max_connections={max_connections} -c shared_buffers=64MB"
        )
        for key, value in (settings or {}).items():
            if not key.replace("_", "").replace(".", "").isalnum() or "'" in str(value):
                raise ValueError(f"bad PostgreSQL setting {key}={value!r}")
            opts += f" -c {key}='{value}'"
        pg._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(pg.log_path),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        return pg

    def _run(self, cmd: list[str]) -> None:
        prog = Path(cmd[0]).name
        if self.run_as is not None:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root, timeout=120)
        if r.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise LabelwiseError(f"{prog} failed: {(r.stderr or r.stdout).strip()[-2000:]} {tail}")

    def postmaster_pid(self) -> int:
        """The server's main process id (its backends share its process group)."""
        return int((self.root / "data" / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` (dropping an old one) and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, name: str, database: str = "postgres") -> str:
        """Create schema ``name`` and return a URL whose connections use it (cheaper than a
        database: a test gets a clean slate in milliseconds)."""
        import psycopg

        if not name.isidentifier():
            raise ValueError(f"schema name {name!r} must be an identifier")
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
        return f"{self.url(database)}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        with contextlib.suppress(LabelwiseError):
            pg_ctl = str(self.bindir / "pg_ctl")
            self._run([pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"])
        for _ in range(50):
            if not (self.root / "data" / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
