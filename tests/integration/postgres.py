"""A throwaway PostgreSQL server for the integration test: Debian's binaries, a fresh data folder.

`start_postgres` runs initdb in a new folder, starts `postgres` on 127.0.0.1 and a free port (TCP
only, no Unix socket) under the caller's `Processes`, creates one database and returns its
SQLAlchemy URL for Prefect (`postgresql+asyncpg://`). PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` user (Debian's package makes it) or else `nobody`, in a
folder that user owns; as anyone else it runs as the caller. The caller stops it with its
other processes, then removes the folder (`PostgresServer.remove`).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.integration.processes import Processes, Started, free_port, wait_for

DEBIAN_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
UNPRIVILEGED_USERS = ("postgres", "nobody")
DATABASE = "chimera"
SUPERUSER = "prefect"
START_S = 60


@dataclass(frozen=True)
class RunAs:
    """Who runs the server's commands: None ids mean the caller itself."""

    uid: int | None = None
    gid: int | None = None

    def chown(self, path: Path) -> None:
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)


@dataclass
class PostgresServer:
    url: str  # postgresql+asyncpg://..., for PREFECT_API_DATABASE_CONNECTION_URL
    folder: Path  # the data folder's parent, removed by `remove`

    def remove(self) -> None:
        """Delete the data folder; only once the server has stopped."""
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL's binaries, else the folder of a `pg_ctl` on PATH."""
    if DEBIAN_BIN_DIRS:
        return DEBIAN_BIN_DIRS[-1]
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def unprivileged_user() -> RunAs:
    """As root, a user PostgreSQL agrees to run as; otherwise the caller."""
    if os.geteuid() != 0:
        return RunAs()
    for name in UNPRIVILEGED_USERS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(entry.pw_uid, entry.pw_gid)
    raise RuntimeError(f"running as root and none of the users {UNPRIVILEGED_USERS} exists")


def start_postgres(processes: Processes, bin_dir: Path) -> PostgresServer:
    """initdb, start, create the database; the server is `processes`' "postgres" process."""
    run_as = unprivileged_user()
    # Not under pytest's tmp folders: as root those are private to root (mode 0700), and the
    # server's user must reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="chimera-postgres-"))
    server: Started | None = None
    try:
        run_as.chown(folder)
        password = secrets.token_hex(16)
        _initdb(bin_dir, folder, password, run_as)
        port = free_port()
        server = processes.start(
            "postgres",
            [
                str(bin_dir / "postgres"),
                "-D",
                str(folder / "data"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                "",  # no Unix socket: its default folder may not be writable by this user
            ],
            cwd=folder,
            user=run_as.uid,
            group=run_as.gid,
        )
        _create_database(bin_dir, port, password, server)
    except BaseException:
        if server is not None:
            processes.stop(server)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    url = f"postgresql+asyncpg://{SUPERUSER}:{password}@127.0.0.1:{port}/{DATABASE}"
    return PostgresServer(url=url, folder=folder)


class PostgresExited(RuntimeError):
    """The server stopped before it accepted a connection: waiting longer cannot help."""


def _as_user(run_as: RunAs) -> dict:
    """subprocess's arguments that switch to `run_as` in the child (no runuser/sudo needed)."""
    if run_as.uid is None:
        return {}
    return {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}


def _initdb(bin_dir: Path, folder: Path, password: str, run_as: RunAs) -> None:
    password_file = folder / "password"
    password_file.write_text(password + "\n")
    run_as.chown(password_file)
    try:
        result = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "--pgdata",
                str(folder / "data"),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",  # other users of this host must not get in
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            **_as_user(run_as),
        )
    finally:
        password_file.unlink()
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")


def _create_database(bin_dir: Path, port: int, password: str, server: Started) -> None:
    """createdb over TCP, retried until the server accepts connections."""
    env = {**os.environ, "PGPASSWORD": password}
    command = [
        str(bin_dir / "createdb"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--username",
        SUPERUSER,
        DATABASE,
    ]

    def created() -> bool:
        if server.process.poll() is not None:
            raise PostgresExited(f"postgres exited {server.process.returncode}:\n{server.tail()}")
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip())
        return True

    wait_for(
        created, START_S, every_s=0.5, what="PostgreSQL to accept a createdb", fatal=PostgresExited
    )
