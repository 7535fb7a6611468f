"""`make run`: the app as production runs it, on one console.

Applies the migrations, loads the demo data into an empty database, then starts the Procfile's
processes with honcho — gunicorn (gunicorn.conf.py) and the one `flask jobs run` scheduler —
with their logs on this console. Ctrl+C or SIGTERM stops both (the scheduler hands its lease
over). HOST and PORT choose the address (default 127.0.0.1:5000), APP_BASE_URL follows them
unless set (for HOST=0.0.0.0 or ::, this machine's address on its network, so a phone on the same
network can follow a link from an e-mail), and without DATA_ENCRYPTION_KEY a key is made once in
instance/data_encryption_key.
"""
from __future__ import annotations

import os
import socket
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv
from honcho.environ import parse_procfile
from honcho.manager import Manager

ROOT = Path(__file__).resolve().parent.parent


def data_encryption_key(path: Path) -> str:
    """The development key kept in `path` (owner-only), made on the first run."""
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(Fernet.generate_key().decode() + "\n")
    return path.read_text().strip()


def redis_answers(host: str, port: int) -> bool:
    """A Redis server answers PING on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


WILDCARDS = {"", "0.0.0.0", "::", "[::]", "*"}


def network_address() -> str:
    """The address this machine reaches other hosts from (a UDP "connect" sends nothing), else
    loopback: where a link works for another device when the server listens on every address."""
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                return sock.getsockname()[0]
        except OSError:
            continue
    return "127.0.0.1"


def base_url(host: str, port: str) -> str:
    """The address gunicorn serves, as links should carry it: http://HOST:PORT, an IPv6 address in
    brackets, a listen-on-everything address replaced by one other devices can reach."""
    host = host.strip()
    if host in WILDCARDS:
        host = network_address()
    host = host.strip("[]")
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def environment() -> dict:
    """What every process gets: the environment and `.env` (the environment wins, as in the
    app), the address, the base URL that follows it, the encryption key, unbuffered output."""
    load_dotenv(ROOT / ".env")
    env = dict(os.environ)
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "5000")
    if not env.get("APP_BASE_URL"):
        env["APP_BASE_URL"] = base_url(env["HOST"], env["PORT"])
    if not env.get("DATA_ENCRYPTION_KEY"):
        env["DATA_ENCRYPTION_KEY"] = data_encryption_key(ROOT / "instance" / "data_encryption_key")
    if not env.get("RATELIMIT_STORAGE_URI"):
        # Failed-login counts must be shared by every gunicorn worker: Redis on this machine when it
        # answers, else one worker (memory:// counts per process).
        if redis_answers("127.0.0.1", 6379):
            env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
        else:
            env.setdefault("WEB_CONCURRENCY", "1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the venv's gunicorn, flask
    env["PYTHONUNBUFFERED"] = "1"  # log lines reach the console as they are written
    return env


def main() -> int:
    env = environment()
    for command in (["flask", "db", "upgrade"], ["flask", "seed-demo", "--if-empty"]):
        subprocess.run(command, cwd=ROOT, env=env, check=True)
    print(f"Ruang Konseling: {env['APP_BASE_URL']} (Ctrl+C untuk berhenti)", flush=True)
    own_metrics_dir = not env.get("PROMETHEUS_MULTIPROC_DIR")
    if own_metrics_dir:  # gunicorn's workers and the scheduler keep their /metrics figures in one place
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ruang-metrics-")
    manager = Manager()
    for name, command in parse_procfile((ROOT / "Procfile").read_text()).processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    try:
        manager.loop()  # returns when every process has stopped
    finally:
        if own_metrics_dir:
            shutil.rmtree(env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    stopped_by_signal = manager.returncode in (130, 143)  # honcho's codes for SIGINT, SIGTERM
    return 0 if stopped_by_signal else manager.returncode


if __name__ == "__main__":
    sys.exit(main())
