"""``dnacase serve --workers 2``: two server processes answer on one port and share sessions
(kept in the database): a login made through one worker is honoured by the other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET, _free_port


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_two_workers_serve_and_share_sessions(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}",
        "DNACASE_VAR_DIR": str(tmp_path / "var"),
        "DNACASE_SECRET_KEY": TEST_SECRET,
    }
    exe = str(Path(sys.executable).parent / "dnacase")
    subprocess.run([exe, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([exe, "users", "create-demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [exe, "serve", "--dev", "--no-migrate", "--workers", "2", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        assert len(_children(proc.pid)) >= 2  # uvicorn's supervisor runs the worker processes
        with httpx.Client(base_url=base) as c:
            token = c.get("/api/auth/csrf").json()["csrf_token"]
            r = c.post("/api/auth/login", json={"username": "lab", "password": "lab-demo-pass"},
                       headers={"x-csrftoken": token})
            assert r.status_code == 201, r.text
            # new connections are spread over the workers: every one knows the session
            for _ in range(12):
                with httpx.Client(base_url=base, cookies=c.cookies) as fresh:
                    assert fresh.get("/api/me").json()["username"] == "lab"
        log_text = (tmp_path / "server.log").read_text()
        assert log_text.count("Started server process") >= 2, log_text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
