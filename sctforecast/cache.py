"""Saved results, keyed by what made them.

Every result the library saves for reuse (a fitted demand model's posterior,
one authority's forecast in ``run-many``, the pooled fit) is stored under a
key made of

* the *content* of its inputs (the bytes of every file, every file of a
  folder by relative path, or the values of in-memory data), never their names;
* every setting that changes the result (model configuration, draws,
  horizon, seed, ...);
* the library's version, and the kind of result.

A changed input, setting or version gives another key and so a fresh
computation; nothing is served because of a name alone.  Entries are written
atomically; an entry that cannot be read back (a crash half-way through an old
version's write, a disk error, a file edited by hand) is removed with a
:class:`~sctforecast.errors.DataQualityWarning` and recomputed, never fatal.

The cache lives in the per-user cache folder of the platform
(``~/.cache/sctforecast`` on Linux, ``~/Library/Caches/sctforecast`` on macOS,
``%LOCALAPPDATA%\\sctforecast\\Cache`` on Windows), or where
``SCTFORECAST_CACHE_DIR`` or an explicit ``root`` points.  The folder is marked
with a ``CACHEDIR.TAG`` (so backup tools skip it), and :meth:`ResultCache.clear`
removes only a folder so marked: pointing ``--cache-dir`` at a folder of your
own by mistake never deletes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sctforecast._io import atomic_directory, atomic_file
from sctforecast.errors import ConfigError, DataQualityWarning

__all__ = ["ResultCache", "cache_dir", "content_hash", "result_key"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_ENV = "SCTFORECAST_CACHE_DIR"
_TAG = "CACHEDIR.TAG"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder holds sctforecast's saved results; `sctforecast cache clear` empties it.\n"
)


def cache_dir() -> Path:
    """The per-user cache folder (``SCTFORECAST_CACHE_DIR`` wins)."""
    env = os.environ.get(_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("sctforecast", appauthor=False))


def _feed_path(h: Any, path: Path) -> None:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        h.update(b"dir\0")
        for f in files:
            h.update(f.relative_to(path).as_posix().encode() + b"\0")
            _feed_file(h, f)
    elif path.is_file():
        h.update(b"file\0")
        _feed_file(h, path)
    else:
        raise ConfigError(f"{path}: no such file or folder to key a saved result by")


def _feed_file(h: Any, f: Path) -> None:
    with f.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    h.update(b"\0")


def _canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of settings and in-memory data."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _canonical(value.tolist())
    if isinstance(value, float):
        return repr(value)  # exact: 0.1 and 0.1000000001 differ
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__qualname__, **_canonical(fields)}
    if hasattr(value, "to_dataframe") and hasattr(value, "dims"):  # xarray
        return _canonical(
            value.to_dataframe(**({"name": "value"} if hasattr(value, "name") else {}))
        )
    if hasattr(value, "columns") or hasattr(value, "to_frame"):  # pandas: every value
        return _table(value)
    # A repr may summarise ("...") or name the object only: two different inputs could
    # then share a key and a result be reused wrongly.  Refuse instead.
    raise TypeError(
        f"cannot key a saved result on {type(value).__name__!r}: give its content "
        "(numbers, text, tables) or pass explicit keys made with result_key"
    )


def _table(value: Any) -> dict[str, Any]:
    """A pandas table or series by every value: column names, dtypes and a hash of
    each row (index included; exact, floats by their bits), never a summary."""
    import pandas as pd

    frame = value if isinstance(value, pd.DataFrame) else value.to_frame()
    rows = pd.util.hash_pandas_object(frame, index=True, categorize=False)
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(d) for d in frame.dtypes],
        "rows": [int(h) for h in rows.to_numpy()],
    }


def content_hash(*paths: str | os.PathLike[str], data: Any = None) -> str:
    """SHA-256 of the contents of files or folders (by relative path and
    bytes, never by name or time) and of in-memory ``data``."""
    h = hashlib.sha256()
    for p in paths:
        _feed_path(h, Path(p))
    if data is not None:
        h.update(json.dumps(_canonical(data), sort_keys=True).encode())
    return h.hexdigest()


def result_key(kind: str, *, inputs: str, settings: Mapping[str, Any]) -> str:
    """The key of a saved result: its kind, the hash of its inputs' content,
    every setting and the library version."""
    import sctforecast

    payload = {
        "kind": kind,
        "inputs": inputs,
        "settings": _canonical(settings),
        "version": sctforecast.__version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


@dataclass(frozen=True)
class ResultCache:
    """A folder of saved results, one file per key, grouped by kind.

    ``enabled=False`` (``--no-cache``) makes every lookup a miss and saves nothing.
    """

    root: Path
    enabled: bool = True

    @classmethod
    def default(
        cls, root: str | os.PathLike[str] | None = None, *, enabled: bool = True
    ) -> ResultCache:
        return cls(Path(root).expanduser() if root is not None else cache_dir(), enabled)

    def path(self, kind: str, key: str, suffix: str) -> Path:
        return self.root / kind / f"{key}{suffix}"

    def folder(self, kind: str) -> Path:
        """The folder of one kind of saved result, made (and the cache marked) on first use."""
        d = self.root / kind
        d.mkdir(parents=True, exist_ok=True)
        tag = self.root / _TAG
        if not tag.exists():
            with atomic_file(tag) as tmp:
                Path(tmp).write_text(_TAG_TEXT, encoding="utf-8")
        return d

    def fetch(
        self,
        kind: str,
        key: str,
        suffix: str,
        *,
        load: Callable[[Path], T],
        compute: Callable[[], T],
        save: Callable[[T, Path], object],
        folder: bool = False,
    ) -> tuple[T, bool]:
        """The saved result for ``key`` if there is a readable one, else
        ``compute()`` saved under it.  Returns (result, reused).

        ``save(value, path)`` writes to a temporary file (``folder=True``: a
        temporary folder, for a result of several files) that is moved into
        place only when it returns, so a crash never leaves half an entry.
        """
        p = self.path(kind, key, suffix)
        if self.enabled and p.exists():
            try:
                value = load(p)
            except Exception as err:  # noqa: BLE001 - any unreadable entry is recomputed
                warnings.warn(
                    f"saved result {p} could not be read ({type(err).__name__}: {err}); "
                    "it was removed and will be recomputed",
                    DataQualityWarning,
                    stacklevel=2,
                )
                _remove(p)
            else:
                log.info("reusing saved %s %s", kind, key)
                return value, True
        value = compute()
        if self.enabled:
            self.folder(kind)
            with atomic_directory(p) if folder else atomic_file(p) as tmp:
                save(value, Path(tmp))
        return value, False

    def load_json(self, kind: str, key: str) -> Any | None:
        """A saved JSON result, or ``None`` (missing, disabled, or unreadable: removed)."""
        p = self.path(kind, key, ".json")
        if not self.enabled or not p.exists():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            warnings.warn(
                f"saved result {p} could not be read ({err}); it was removed and will be recomputed",
                DataQualityWarning,
                stacklevel=2,
            )
            p.unlink(missing_ok=True)
            return None

    def save_json(self, kind: str, key: str, value: Any) -> None:
        if not self.enabled:
            return
        self.folder(kind)
        with atomic_file(self.path(kind, key, ".json")) as tmp:
            Path(tmp).write_text(json.dumps(value, sort_keys=True), encoding="utf-8")

    def remove(self, kind: str, key: str, suffix: str) -> None:
        """Forget one saved result (e.g. a failure, which is never served)."""
        _remove(self.path(kind, key, suffix))

    def _entries(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in self.root.rglob("*") if p.is_file() and p != self.root / _TAG]

    def clear(self) -> int:
        """Remove every saved result; returns how many files were removed.

        Raises :class:`ConfigError` when the folder holds files but is not
        marked as a sctforecast cache (no ``CACHEDIR.TAG``): it is then not
        ours to delete.
        """
        if not self.root.exists():
            return 0
        entries = self._entries()
        if entries and not (self.root / _TAG).is_file():
            raise ConfigError(
                f"{self.root} holds {len(entries):,} files but is not a sctforecast cache folder "
                f"(it has no {_TAG}); nothing was removed. Check --cache-dir or "
                f"{_ENV}, or delete the folder yourself"
            )
        shutil.rmtree(self.root)
        return len(entries)

    def size(self) -> tuple[int, int]:
        """(files, bytes) saved."""
        files = self._entries()
        return len(files), sum(p.stat().st_size for p in files)

    def kinds(self) -> dict[str, tuple[int, int]]:
        """(files, bytes) saved by kind of result (the first folder level)."""
        out: dict[str, tuple[int, int]] = {}
        for p in self._entries():
            kind = p.relative_to(self.root).parts[0] if p.parent != self.root else "."
            n, b = out.get(kind, (0, 0))
            out[kind] = (n + 1, b + p.stat().st_size)
        return dict(sorted(out.items()))
