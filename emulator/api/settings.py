"""What ``bte serve`` was told: where to listen, where state lives, what jobs may use."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from emulator.spec.arns import DEFAULT_ACCOUNT, DEFAULT_REGION

DEFAULT_MAX_JOBS = 2


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 0
    state_dir: str | None = None
    max_jobs: int = DEFAULT_MAX_JOBS  # jobs running at once; more wait InProgress in a queue
    s3_endpoint_url: str | None = None  # None: jobs use this server's own S3
    s3: str = "memory"  # this server's own S3: "memory" (moto) or "local" (SeaweedFS on disk, emulator/locals3)
    # bte's extension on the server: local paths and file:// URIs are refused (as the
    # service refuses them) unless they lie under one of these folders.
    allow_local_roots: tuple[Path, ...] = ()
    credentials: str | None = None  # KEY_ID:SECRET: every request must be SigV4-signed with it
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT
    # Where the jobs' instances run: "local" threads, or "ray" (docs/scale-out.md).
    executor: str = "local"
    ray_address: str | None = None
    ray_scale_to_fit: bool = False
    url: str = field(default="", init=False)  # set once the socket is bound

    def own_url(self, port: int) -> str:
        """The URL jobs use to reach this server's S3 (loopback when bound to every address)."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def jobs_s3_endpoint(self) -> str:
        return self.s3_endpoint_url or self.url

    def local_root_of(self, path: str) -> Path | None:
        """The allowed root that holds ``path`` (a local path or file:// URI), else None."""
        if path.startswith("file://"):
            path = path[len("file://"):]
        resolved = Path(os.path.abspath(path)).resolve()
        for root in self.allow_local_roots:
            root = root.resolve()
            if resolved == root or root in resolved.parents:
                return root
        return None
