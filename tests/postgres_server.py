"""A real PostgreSQL server for the drawings store's tests (issue 23): Debian's `postgresql`
package, started once per pytest process (one per xdist worker), on a unix socket in a folder of
its own (no TCP port to collide on), stopped at the session's end.

initdb and postgres refuse to run as root (CI runs as root): there they run as the `postgres`
system user the package creates, in a folder it owns. `scripts/test.sh` installs the package.
"""

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

START_SECONDS = 30
"""How long the server may take to accept connections (~1 s measured; a loaded CI far more)."""


def binaries():
    """The folder of PostgreSQL's server programs (the newest of Debian's versions), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class PostgresServer:
    """One throwaway cluster: `create()` gives each test a store of its own."""

    def __init__(self, bin_dir):
        self.bin = Path(bin_dir)
        as_root = os.geteuid() == 0
        self.user = pwd.getpwnam("postgres") if as_root else None
        # Not under pytest's tmp_path: its folders are root's own (0700), which `postgres`
        # cannot enter.
        self.dir = Path(tempfile.mkdtemp(prefix="mnist-pg-"))
        if self.user:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.process = None
        self._count = 0

    def _as_owner(self):
        return ({"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
                if self.user else {})

    def start(self):
        data = self.dir / "data"
        subprocess.run([self.bin / "initdb", "-D", data, "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync", "--no-instructions"],
                       check=True, capture_output=True, cwd=self.dir, **self._as_owner())
        # No TCP at all, no disk flushes: a test's data need not survive a power cut.
        with open(self.dir / "server.log", "wb") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [self.bin / "postgres", "-D", data, "-k", self.dir, "-c", "listen_addresses=",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=100", "-c", "shared_buffers=16MB"],
                stdout=subprocess.DEVNULL, stderr=log, cwd=self.dir, **self._as_owner())
        deadline = time.monotonic() + START_SECONDS
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start: {log}")
            time.sleep(0.05)
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE tests")
        return self

    def _ready(self):
        import psycopg

        try:
            psycopg.connect(self.url("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def url(self, database):
        """A libpq URL of `database` through the server's unix socket."""
        return f"postgresql://postgres@/{database}?host={self.dir}"

    def create(self):
        """The URL of a new empty schema of the `tests` database, the only one on its search
        path: to the store, a database of its own (a new database costs ~0.1 s and 7 MB)."""
        import psycopg

        self._count += 1
        name = f"t{self._count}"
        with psycopg.connect(self.url("tests"), autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {name}")
        return f"{self.url('tests')}&options=-csearch_path%3D{name}"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            # "Immediate" shutdown: nothing of it is kept (SIGTERM's "smart" one would wait for
            # the stores' idle connections, SIGINT's "fast" one would write a checkpoint).
            self.process.send_signal(signal.SIGQUIT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
