#!/usr/bin/env python3
"""Build every sample model as ``bte-sample/<name>:latest``, skipping images already up to date.

    scripts/build_sample_images.py --base bte-base:bookworm --wheels build/wheels [name ...]

An image whose ``bte.content-hash`` label matches what would go into it is left alone.
One line per image; exit status 1 if any build failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.images import ImageBuildError, ensure_image  # noqa: E402

SAMPLES = ROOT / "sample_models"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="sample model names (default: every directory in sample_models/)")
    parser.add_argument("--base", default="bte-base:bookworm", help="base image (default: %(default)s)")
    parser.add_argument("--wheels", default=None, help="offline wheelhouse for pip inside the build")
    parser.add_argument("--force", action="store_true", help="rebuild even when the content hash matches")
    args = parser.parse_args(argv)

    names = args.names or sorted(p.name for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith("."))
    failed = 0
    for name, model_dir in images(names):
        tag = f"bte-sample/{name}:latest"
        if not (model_dir / "inference.py").is_file() and not (model_dir / "Dockerfile").is_file():
            print(f"{tag:42} skipped: {model_dir} has neither inference.py nor Dockerfile", flush=True)
            continue
        base = own_base(model_dir) or args.base
        if base != args.base and not image_present(base):
            print(f"{tag:42} skipped: its base image {base} is absent (scripts/test builds it)", flush=True)
            continue
        try:
            result = ensure_image(model_dir, tag, base_image=base, wheelhouse=args.wheels, force=args.force)
        except ImageBuildError as exc:
            failed += 1
            print(f"{tag:42} FAILED: {exc}", flush=True)
            continue
        state = "built" if result.built else "up to date"
        print(f"{tag:42} {state} ({result.seconds:.1f} s)", flush=True)
    return 1 if failed else 0


def images(names: list[str]) -> list[tuple[str, Path]]:
    """(image name, directory) of each sample; a sample made of several containers (an
    inference pipeline such as pipeline-scale) gives one image per container's folder,
    named ``<sample>-<folder>``."""
    out = []
    for name in names:
        model_dir = SAMPLES / name
        parts = [] if _buildable(model_dir) else sorted(p for p in model_dir.iterdir() if _buildable(p))
        out += [(f"{name}-{p.name}", p) for p in parts] or [(name, model_dir)]
    return out


def image_present(tag: str) -> bool:
    import docker
    import docker.errors

    try:
        docker.from_env().images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def own_base(model_dir: Path) -> str | None:
    """The base image a sample names in its file ``base-image`` (toolkit-mms needs Java), if any."""
    path = model_dir / "base-image"
    return path.read_text().strip() if path.is_file() else None


def _buildable(path: Path) -> bool:
    return path.is_dir() and ((path / "inference.py").is_file() or (path / "Dockerfile").is_file())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
