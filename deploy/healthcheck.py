"""Container healthchecks (docker-compose.yml), standard library only.

    python deploy/healthcheck.py          web: GET /healthz (database and Redis must answer) -> exit 0
    python deploy/healthcheck.py redis    worker/beat: the broker at REDIS_URL answers PING -> exit 0

The web check sends the first ALLOWED_HOSTS entry as Host, so Django's host validation accepts it.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse
import urllib.request


def check_web() -> int:
    url = os.getenv("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
    hosts = [h.strip() for h in os.getenv("ALLOWED_HOSTS", "").split(",") if h.strip() and h.strip() != "*"]
    headers = {"Host": hosts[0].lstrip(".")} if hosts else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except Exception as exc:  # any failure is "unhealthy"; say why in `docker inspect`
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


def check_redis() -> int:
    parsed = urllib.parse.urlparse(os.getenv("REDIS_URL", ""))
    if not parsed.hostname:
        print("unhealthy: REDIS_URL is not set", file=sys.stderr)
        return 1
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=5) as conn:
            if parsed.password:
                conn.sendall(f"AUTH {parsed.password}\r\n".encode())
                conn.recv(64)
            conn.sendall(b"PING\r\n")
            return 0 if conn.recv(64).startswith(b"+PONG") else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(check_redis() if sys.argv[1:] == ["redis"] else check_web())
