"""The request shapes of ``bte run``, kept as a small JSON file so the run path needs no botocore.

Checking a job request against botocore's SageMaker model costs about 0.25 s in a fresh
process: botocore's import chain and the 1 MB+ service model (400 KB gzipped, mostly
documentation). A job's fixed cost is about a second, so that is a quarter of what bte adds
to a small job. The first time a process reads the model (with botocore, as before), the
shapes reachable from the operations below (less their documentation) are written to
``<state dir>/cache/sagemaker-shapes-<key>.json`` (a few tens of KB); later processes read
them from there. The key is the model file's path, size and modification time, so a botocore
upgrade makes a new file, and nothing is trusted that botocore would not load itself: when
botocore could take the model from elsewhere (``AWS_DATA_PATH``, ``~/.aws/models``) the cache
is not used at all. The shapes answer the few attributes of botocore's shapes that
:mod:`emulator.spec.validation` reads, resolved by botocore's rule (a member's traits are laid
over its shape's), so validation is the same either way: tests/spec check it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

# What bte run validates and reads: the requests, and the enums of the cross-field rules.
CACHED_OPERATIONS = ("CreateTransformJob", "CreateModel")
_FORMAT = 1
_DROPPED = frozenset({"documentation", "deprecatedMessage"})  # words for people: most of the file


class CachedShape:
    """One shape of the cache, answering like botocore's: name, type_name, metadata, members,
    required_members, member, key, value, enum."""

    def __init__(self, name: str, model: dict[str, Any], cache: ShapeCache) -> None:
        self.name = name
        self.type_name: str = model["type"]
        self._model = model
        self._cache = cache
        self.metadata = {k: model[k] for k in cache.metadata_attrs if k in model}

    @property
    def members(self) -> dict[str, CachedShape]:
        return {name: self._cache.resolve(ref) for name, ref in self._model.get("members", {}).items()}

    @property
    def required_members(self) -> list[str]:
        return list(self.metadata.get("required", []))

    @property
    def member(self) -> CachedShape:
        return self._cache.resolve(self._model["member"])

    @property
    def key(self) -> CachedShape:
        return self._cache.resolve(self._model["key"])

    @property
    def value(self) -> CachedShape:
        return self._cache.resolve(self._model["value"])

    @property
    def enum(self) -> list[str]:
        return list(self.metadata.get("enum", []))


class ShapeCache:
    def __init__(self, data: dict[str, Any]) -> None:
        self.operations: dict[str, str | None] = data["operations"]
        self.metadata_attrs: tuple[str, ...] = tuple(data["metadata_attrs"])
        self._shapes: dict[str, dict[str, Any]] = data["shapes"]
        self._made: dict[str, CachedShape] = {}

    def has_shape(self, name: str) -> bool:
        return name in self._shapes

    def shape(self, name: str) -> CachedShape:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = CachedShape(name, self._shapes[name], self)
        return made

    def resolve(self, ref: dict[str, Any]) -> CachedShape:
        """A member's shape; its traits (any key but ``shape``) laid over the shape's own, as
        botocore's ShapeResolver does."""
        if len(ref) == 1:
            return self.shape(ref["shape"])
        traits = {k: v for k, v in ref.items() if k != "shape"}
        return CachedShape(ref["shape"], {**self._shapes[ref["shape"]], **traits}, self)


def model_file() -> Path | None:
    """The service model botocore would load, found without importing botocore; None where
    botocore could take it from a folder of the user's (then only botocore knows)."""
    if os.environ.get("AWS_DATA_PATH") or (Path.home() / ".aws" / "models" / "sagemaker").exists():
        return None
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        return None
    versions = sorted((Path(spec.origin).parent / "data" / "sagemaker").glob("*/service-2.json*"))
    return versions[-1] if versions else None  # botocore takes the latest API version


def cache_path(model: Path) -> Path:
    stat = model.stat()
    key = hashlib.sha256(f"{_FORMAT}:{model}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    state = os.environ.get("BTE_STATE_DIR") or str(Path.home() / ".bte")  # emulator.store.paths.state_dir
    return Path(state).expanduser() / "cache" / f"sagemaker-shapes-{key}.json"


def load() -> ShapeCache | None:
    """The cached shapes of the installed botocore's model, or None (not written yet, unreadable)."""
    try:
        model = model_file()
        if model is None:
            return None
        with open(cache_path(model), encoding="utf-8") as f:
            return ShapeCache(json.load(f))
    except (OSError, ValueError, KeyError):
        return None


def write(data: dict[str, Any]) -> None:
    """Keep the shapes that :data:`CACHED_OPERATIONS` reach, from botocore's loaded model
    ``data``; never fails (a read-only home only costs the next process the slow path)."""
    from botocore.model import Shape

    try:
        model = model_file()
        if model is None:
            return
        target = cache_path(model)
        shapes: dict[str, dict[str, Any]] = {}
        operations: dict[str, str | None] = {}
        for operation in CACHED_OPERATIONS:
            ref = data["operations"][operation].get("input")
            operations[operation] = ref["shape"] if ref else None
            if ref:
                _reach(ref["shape"], data["shapes"], shapes)
        payload = {"format": _FORMAT, "operations": operations, "metadata_attrs": list(Shape.METADATA_ATTRS),
                   "shapes": shapes}
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        partial.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, target)
    except (OSError, KeyError, TypeError):
        pass


def _reach(name: str, every: dict[str, dict[str, Any]], kept: dict[str, dict[str, Any]]) -> None:
    if name in kept:
        return
    model = _without_words(every[name])
    if "members" in model:
        model["members"] = {m: _without_words(ref) for m, ref in model["members"].items()}
    for field in ("member", "key", "value"):
        if field in model:
            model[field] = _without_words(model[field])
    kept[name] = model
    for ref in [*model.get("members", {}).values(), *(model[f] for f in ("member", "key", "value") if f in model)]:
        _reach(ref["shape"], every, kept)


def _without_words(model: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in model.items() if k not in _DROPPED}
