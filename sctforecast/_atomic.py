"""Outputs that appear whole or not at all, even when the process is killed.

A folder (or file) is built in a temporary sibling named
``.<name>.sctforecast-tmp-<pid>-<random>`` and moved into place only when
complete.  An existing folder is swapped with the new one in a single step
where the system allows it (Linux ``renameat2(RENAME_EXCHANGE)``), so the
target name always holds either the previous output or the new one.

A process killed while writing (``SIGKILL``, a power cut) cannot tidy up; it
leaves its temporary sibling behind.  The next write to the same target
removes the leftovers of processes that are no longer running
(:func:`remove_leftovers`), recognising them by that exact name pattern and
never touching anything else; a leftover of a live process is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sctforecast.errors import ConfigError

__all__ = ["atomic_directory", "atomic_file", "remove_leftovers", "TEMP_TAG"]

log = logging.getLogger(__name__)

#: Marks the temporary siblings this module creates: ``.<name>.sctforecast-tmp-<pid>-<random>``.
TEMP_TAG = ".sctforecast-tmp-"
_SUFFIX = re.compile(r"(?P<pid>[0-9]+)-(?P<token>[a-z0-9_]+)")
_OLD = "old"  # token of a previous output moved aside (when the swap is two renames)


def _prefix(final: Path) -> str:
    return f".{final.name}{TEMP_TAG}{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or cannot tell: leave its files alone
    return True


def remove_leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary siblings of ``target`` left by processes no longer running.

    Only entries named ``.<target name>.sctforecast-tmp-<pid>-<token>`` whose
    ``<pid>`` is not a running process are touched.  If ``target`` itself is
    missing and such a leftover holds the previous output moved aside (token
    ``old``), it is put back under ``target`` rather than removed.  Returns
    the paths removed or restored.
    """
    final = Path(target).absolute()
    parent = final.parent
    start = f".{final.name}{TEMP_TAG}"
    if not parent.is_dir():
        return []
    done: list[Path] = []
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith(start):
            continue
        m = _SUFFIX.fullmatch(entry.name[len(start) :])
        if m is None or _pid_alive(int(m.group("pid"))):
            continue
        if m.group("token") == _OLD and not final.exists() and not final.is_symlink():
            os.replace(entry, final)
            log.warning("restored %s from %s, left by a process that was stopped", final, entry)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        done.append(entry)
    if done:
        log.info("removed %d leftover(s) of stopped runs beside %s", len(done), final)
    return done


def _prepare(target: str | os.PathLike[str], *, folder: bool) -> Path:
    final = Path(target).resolve()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"{final.parent}: cannot create the output folder ({err.strerror or err}); "
            "choose an output path you may write to"
        ) from err
    if final.exists() and final.is_dir() != folder:
        raise ConfigError(
            f"{final}: exists and is {'a file' if folder else 'a folder'}, but "
            f"{'a folder' if folder else 'a file'} is to be written there; choose another "
            "output path or move it away"
        )
    remove_leftovers(final)
    return final


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_temp(final: Path, *, folder: bool) -> Path:
    """A private temporary sibling, given the permissions an ordinary file or
    folder would get (mkdtemp/mkstemp make them owner-only, which would leave
    the output unreadable to colleagues sharing the folder)."""
    try:
        if folder:
            path = Path(tempfile.mkdtemp(prefix=_prefix(final), dir=final.parent))
            path.chmod(0o777 & ~_umask())
            return path
        fd, name = tempfile.mkstemp(prefix=_prefix(final), dir=final.parent)
    except OSError as err:
        raise ConfigError(
            f"{final}: cannot write beside it in {final.parent} ({err.strerror or err}); "
            "choose an output path you may write to"
        ) from err
    os.close(fd)
    Path(name).chmod(0o666 & ~_umask())
    return Path(name)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one step (Linux); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no renameat2 in this C library
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place at the end.

    On any error the temporary folder is removed and ``target`` is untouched:
    no half-written output.  An existing ``target`` is replaced only after the
    new one is complete, in one step where the system allows it.  Leftovers of
    killed runs into the same ``target`` are removed first.
    """
    final = _prepare(target, folder=True)
    tmp = _make_temp(final, folder=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not final.exists():
        os.replace(tmp, final)
    elif _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous output
    else:
        old = final.with_name(_prefix(final) + _OLD)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Write to a temporary file beside ``target`` and rename it on success."""
    final = _prepare(target, folder=False)
    tmp = _make_temp(final, folder=False)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)
