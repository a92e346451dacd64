"""A read that loses its connection mid-object resumes where it stopped, pinned to the ETag.

A small TCP proxy sits between bte and the S3 server and cuts the first GetObject
response for a key after a given number of body bytes (a real dropped connection, not a
patched library)."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from emulator.storage import StorageError, open_input
from tests.fixtures.s3 import S3Server


class CuttingProxy:
    """Forwards HTTP/1.1 to ``upstream``; the first plain GET of a path gets its body cut."""

    def __init__(self, upstream_port: int, cut_after: int, on_cut: Callable[[], None] = lambda: None) -> None:
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.on_cut = on_cut
        self.cut_paths: list[str] = []
        self.requests: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            first_line = head.split(b"\r\n", 1)[0].decode()
            self.requests.append(first_line + (" +range" if b"\r\nrange:" in head.lower() else ""))
            method, path = first_line.split(" ")[:2]
            cut = method == "GET" and b"\r\nrange:" not in head.lower() and path not in self.cut_paths
            if cut:
                self.cut_paths.append(path)
            up.sendall(head)
            sent_body = 0
            header_done = False
            buf = b""
            while True:
                data = up.recv(65536)
                if not data:
                    return
                if not cut:
                    conn.sendall(data)
                    continue
                if not header_done:
                    buf += data
                    if b"\r\n\r\n" not in buf:
                        continue
                    header, _, data = buf.partition(b"\r\n\r\n")
                    conn.sendall(header + b"\r\n\r\n")
                    header_done = True
                room = self.cut_after - sent_body
                conn.sendall(data[:room])
                sent_body += min(len(data), room)
                if sent_body >= self.cut_after:
                    self.on_cut()
                    conn.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
                    return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy_factory(s3_server: S3Server) -> Iterator[Callable[..., CuttingProxy]]:
    proxies: list[CuttingProxy] = []
    port = int(s3_server.endpoint_url.rsplit(":", 1)[1])

    def make(cut_after: int, on_cut: Callable[[], None] = lambda: None) -> CuttingProxy:
        proxies.append(CuttingProxy(port, cut_after, on_cut))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def test_dropped_read_resumes_at_the_byte_where_it_stopped(
    s3_server: S3Server, s3_bucket: str, proxy_factory: Callable[..., CuttingProxy]
) -> None:
    body = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(100_000))  # 3.2 MB
    s3_server.client().put_object(Bucket=s3_bucket, Key="in/big.bin", Body=body)
    proxy = proxy_factory(cut_after=1_000_003)

    chunks = list(open_input(f"s3://{s3_bucket}/in/big.bin", chunk_size=65536, s3_endpoint_url=f"http://127.0.0.1:{proxy.port}"))

    assert b"".join(chunks) == body
    gets = [r for r in proxy.requests if r.startswith("GET")]
    assert len(gets) == 2 and gets[1].endswith("+range")


def test_object_replaced_during_a_dropped_read_fails_instead_of_splicing(
    s3_server: S3Server, s3_bucket: str, proxy_factory: Callable[..., CuttingProxy]
) -> None:
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="k.bin", Body=b"a" * 500_000)
    proxy = proxy_factory(
        cut_after=100_000, on_cut=lambda: client.put_object(Bucket=s3_bucket, Key="k.bin", Body=b"b" * 500_000)
    )
    reader = open_input(f"s3://{s3_bucket}/k.bin", chunk_size=65536, s3_endpoint_url=f"http://127.0.0.1:{proxy.port}")
    with pytest.raises(StorageError, match=f'"s3://{s3_bucket}/k.bin"') as info:
        b"".join(reader)
    assert "changed while it was being read" in str(info.value)
    assert "stopped at byte 100000 of 500000" in str(info.value)  # exactly where the cut was
