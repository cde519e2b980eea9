"""Which real services this test run has. With CI=true they are required, not optional."""

import os
import socket

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    return [name for name, address in (("PostgreSQL", POSTGRES), ("Redis", REDIS)) if not reachable(address)]
