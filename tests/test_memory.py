"""emulator/memory.py: the allocator setting the engine applies at job start, and its switch."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

PROBE = "from emulator import memory; print(memory.reuse_large_buffers(), memory.reuse_large_buffers())"


def probe(**env: str) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's thresholds are glibc's")
def test_the_setting_is_applied_once_per_process_on_linux() -> None:
    assert probe() == "True True"


def test_BTE_MALLOC_TUNING_0_leaves_the_allocator_alone() -> None:
    assert probe(BTE_MALLOC_TUNING="0") == "False False"
