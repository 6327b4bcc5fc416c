"""A throwaway PostgreSQL server on loopback for the tests (Debian's postgresql package).

    with PgServer(tmpdir) as pg:
        uri = pg.create_database("mamori")   # postgresql://mamori:PW@127.0.0.1:PORT/mamori

initdb into a temporary directory, then `postgres -h 127.0.0.1 -p <free port> -k <that directory>`
(no other address, no system socket directory), password authentication. PostgreSQL refuses to
run as root: as root the server runs as `nobody` (its files chowned to it). The server is
stopped by its PID (SIGINT: fast shutdown) when the block ends. Anything that keeps the server
from starting raises PgServerError: a test that needs the server fails, it never skips.
"""
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time


class PgServerError(Exception):
    pass


def bindir():
    """The directory of initdb/postgres: pg_config's, else the newest /usr/lib/postgresql/N/bin."""
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0)
    for d in reversed(cands):
        if os.access(os.path.join(d, "postgres"), os.X_OK) and os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    for name in ("postgres", "initdb"):
        p = shutil.which(name)
        if p:
            d = os.path.dirname(os.path.realpath(p))
            if os.access(os.path.join(d, "initdb"), os.X_OK):
                return d
    raise PgServerError("PostgreSQL server binaries not found (Debian package postgresql, "
                        "scripts/packages/store.txt)")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    USER = "mamori"

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pg")
        self.bin = bindir()
        self.password = secrets.token_hex(12)
        self.proc = None
        self.port = None
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = pwd.getpwnam("nobody")

    def _popen_kw(self):
        if self.run_as is None:
            return {}
        # Python drops to the user between fork and exec: the PID we hold is the server's own.
        return {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}

    def _chown(self, path):
        if self.run_as is not None:
            os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)

    def start(self):
        os.makedirs(self.dir, mode=0o700)
        data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        for p in (self.dir, pwfile):
            self._chown(p)
        # Every directory above must be traversable by the server's user.
        parent = os.path.dirname(self.dir)
        if self.run_as is not None:
            os.chmod(parent, os.stat(parent).st_mode | 0o711)
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("PGDATA", None)
        p = subprocess.run([os.path.join(self.bin, "initdb"), "-D", data, "-U", self.USER, "--pwfile", pwfile,
                            "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"],
                           capture_output=True, text=True, timeout=120, env=env, cwd=self.dir, **self._popen_kw())
        if p.returncode != 0:
            raise PgServerError(f"initdb failed ({p.returncode}): {p.stderr[-1500:]}")
        last = None
        for _ in range(3):  # a free port may be taken between the probe and the bind
            self.port = free_port()
            log = open(os.path.join(self.dir, f"server-{self.port}.log"), "w")
            self._chown(log.name)
            self.proc = subprocess.Popen(
                [os.path.join(self.bin, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", self.dir, "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
                 "-c", "max_connections=40", "-c", "shared_buffers=16MB", "-c", "log_min_messages=warning"],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.dir, **self._popen_kw())
            log.close()
            if self._wait_ready():
                return self
            last = open(os.path.join(self.dir, f"server-{self.port}.log")).read()[-1500:]
            self.stop()
        raise PgServerError(f"postgres did not start: {last}")

    def _wait_ready(self):
        for _ in range(300):  # 30 s: a guard against a hang
            if self.proc.poll() is not None:
                return False
            r = subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                               capture_output=True, timeout=10)
            if r.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def base_uri(self):
        """postgresql://mamori:PW@127.0.0.1:PORT/ (append a database name)."""
        return f"postgresql://{self.USER}:{self.password}@127.0.0.1:{self.port}/"

    def psql(self, sql, db="postgres"):
        env = dict(os.environ, PGPASSWORD=self.password)
        p = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", "127.0.0.1",
                            "-p", str(self.port), "-U", self.USER, "-d", db, "-c", sql],
                           capture_output=True, text=True, timeout=60, env=env)
        if p.returncode != 0:
            raise PgServerError(f"psql {sql!r}: {p.stderr[-1000:]}")
        return p.stdout

    def create_database(self, name):
        self.psql(f"CREATE DATABASE {name}")
        return self.base_uri() + name

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # our own child, by PID: fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
