"""Pure parts of the runtime room: the instance-type table, limit capping, line capture,
network mode selection, and the exported surface."""

from __future__ import annotations

import threading

import botocore.session
import pytest

import emulator.runtime as runtime
from emulator.runtime import InstanceError, get_runtime, network_mode, resolve_limits
from emulator.runtime.instance_types import GiB, INSTANCE_TYPES
from emulator.runtime.logs import MAX_LINE_CHARS, LogPump, LogTail


def test_table_covers_every_transform_instance_type_botocore_knows() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    enum = set(model.shape_for("TransformInstanceType").enum)
    missing = sorted(enum - set(INSTANCE_TYPES))
    # AWS adds types over time; a new one runs without limits (with a note), so this only warns.
    assert len(missing) < 10, f"instance types missing from the table: {missing}"
    assert set(INSTANCE_TYPES) <= enum, sorted(set(INSTANCE_TYPES) - enum)


@pytest.mark.parametrize(("instance_type", "vcpus", "gib"), [
    ("ml.m5.large", 2, 8), ("ml.m5.4xlarge", 16, 64), ("ml.c5.9xlarge", 36, 72), ("ml.c4.8xlarge", 36, 60),
    ("ml.r6i.large", 2, 16), ("ml.p3.2xlarge", 8, 61), ("ml.g6e.xlarge", 4, 32), ("ml.m7i.48xlarge", 192, 768),
])
def test_table_rows(instance_type: str, vcpus: int, gib: float) -> None:
    row = INSTANCE_TYPES[instance_type]
    assert (row.vcpus, row.memory_gib) == (vcpus, gib)


def test_limits_are_capped_to_the_host_with_a_note() -> None:
    assert resolve_limits("ml.m5.large", 16, 64 * GiB) == runtime.Limits(2, 8 * GiB, ())
    capped = resolve_limits("ml.m5.4xlarge", 2, 4 * GiB)
    assert (capped.cpus, capped.memory_bytes, capped.nano_cpus) == (2, 4 * GiB, 2 * 10**9)
    assert capped.notes == (
        "ml.m5.4xlarge has 16 vCPUs but this host has 2 CPUs; the instance gets 2 CPUs",
        "ml.m5.4xlarge has 64 GiB of memory but this host has 4 GiB; the instance gets 4 GiB",
    )
    unknown = resolve_limits("ml.m99.large", 2, GiB)
    assert (unknown.cpus, unknown.memory_bytes, unknown.nano_cpus) == (None, None, None)
    assert unknown.notes[0].startswith("instance type ml.m99.large is not in bte's table")


def pump(chunks: list[bytes], on_log=None) -> LogTail:  # type: ignore[no-untyped-def]
    tail = LogTail(capacity=3)
    p = LogPump("inst-1", chunks, tail, on_log)
    p.start()
    assert p.join(5)
    return tail


def test_lines_split_across_chunks_are_joined_and_the_tail_is_bounded() -> None:
    tail = pump([b"one\ntw", b"o\r\nthr", b"ee\nfour\nfi", b"ve"])
    assert tail.last(10) == ["three", "four", "five"]
    assert tail.last(1) == ["five"] and tail.last(0) == []


def test_long_lines_are_cut_and_bad_bytes_replaced() -> None:
    tail = pump([b"x" * (MAX_LINE_CHARS + 5) + b"\n", b"\xff\xfe ok\n"])
    first, second = tail.last(2)
    assert first.startswith("x" * MAX_LINE_CHARS) and first.endswith(f"[line cut at {MAX_LINE_CHARS} characters]")
    assert second == "\ufffd\ufffd ok"


def test_a_failing_callback_is_dropped_but_capture_goes_on() -> None:
    calls: list[str] = []

    def on_log(name: str, line: str) -> None:
        calls.append(line)
        raise ValueError("broken sink")

    tail = pump([b"a\nb\nc\n"], on_log)
    assert calls == ["a"]
    assert tail.last(3) == ["[bte] log callback failed and was dropped: ValueError('broken sink')", "b", "c"]
    assert not [t for t in threading.enumerate() if t.name == "bte-log-inst-1"]


def test_network_mode_and_runtime_names_are_checked() -> None:
    assert network_mode("host") == "host"
    with pytest.raises(InstanceError, match="'overlay' is not supported: use 'bridge' or 'host'"):
        network_mode("overlay")
    with pytest.raises(InstanceError, match="unknown runtime 'k8s': use one of docker, process"):
        get_runtime("k8s")


def test_docker_unavailable_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    ok, reason = runtime.docker_available()
    assert not ok and f"no Docker engine answers at unix://{tmp_path}/no-engine.sock" in reason
    with pytest.raises(runtime.DockerUnavailable, match="process runtime") as err:
        get_runtime("docker")
    assert err.value.__cause__ is not None


def test_exported_names() -> None:
    assert set(runtime.__all__) >= {
        "InstanceSpec", "Instance", "Runtime", "get_runtime", "docker_available", "cleanup_containers",
        "InstanceError", "DockerUnavailable", "ImageNotFound", "InstanceStartFailed",
    }
    assert all(hasattr(runtime, name) for name in runtime.__all__)
