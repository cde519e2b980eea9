"""The web app under gunicorn, started the way production starts it, on this test's database."""

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings

READY_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """One gunicorn master with its own worker processes, on a port of its own on 127.0.0.1."""

    def __init__(self, log_dir: Path, env: dict, *, workers: int = 1, threads: int = 10):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gunicorn-{uuid.uuid4().hex[:8]}.log"
        self.env = env
        self.command = [
            sys.executable, "-m", "gunicorn", "tryon.wsgi", f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}", f"--threads={threads}", "--graceful-timeout=5",
        ]  # fmt: skip
        self.process = None

    def start(self) -> "Gunicorn":
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start:\n{self.log}")
            time.sleep(0.2)
        return self

    def _up(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.url}/api/schema/", timeout=2)
            return True
        except OSError:
            return False

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
