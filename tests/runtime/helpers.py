"""Polling helpers for runtime tests: wait on a condition with a deadline and a clear failure."""

from __future__ import annotations

import time

import pytest
import requests

from emulator.runtime import Instance


def wait_ready(instance: Instance, timeout: float = 20) -> None:
    """Poll GET /ping until 200, failing with the instance's last log lines if it dies or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{instance.url}/ping", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if not instance.is_alive():
            pytest.fail(f"{instance.name} exited with {instance.exit_code()}: {instance.log_tail()}")
        time.sleep(0.05)
    pytest.fail(f"{instance.name} did not answer /ping within {timeout} s: {instance.log_tail()}")


def wait_exited(instance: Instance, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while instance.is_alive():
        if time.monotonic() > deadline:
            pytest.fail(f"{instance.name} still running after {timeout} s")
        time.sleep(0.05)
