"""Reading and writing models: an ``.npz`` with ``f`` (n×M) and ``g`` (K×M), or a directory
holding ``f.npy`` and ``g.npy`` (read memory-mapped, so they need not fit in memory).
An optional ``weights`` array (n,) gives the data distribution ``p_D``."""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from theory.errors import ClosenessError
from theory.model import Model

__all__ = [
    "atomic_write", "atomic_write_text", "load_model", "save_model", "read_json", "json_text", "index_list",
    "memory_limit", "finite", "check_target", "check_directory",
]


@contextmanager
def _unreachable_as_error(action: str, p: Path) -> Iterator[None]:
    """A path that cannot be looked at (no permission, a name too long, ...) as one clear error,
    ``cannot <action> <p>: <reason>``."""
    try:
        yield
    except OSError as err:
        raise ClosenessError(f"cannot {action} {p}: {err.strerror or err}") from err


def load_model(path: str | os.PathLike[str]) -> Model:
    """Load a model from an ``.npz`` file or a directory of ``.npy`` files (memory-mapped)."""
    p = Path(path)
    with _unreachable_as_error("read", p):
        return _load_model(p)


def _load_model(p: Path) -> Model:
    if not p.exists():
        raise ClosenessError(f"model not found: {p}")
    if not (p.is_dir() or p.is_file()):
        raise ClosenessError(f"model {p} is not a file or a directory (a FIFO, device or socket is not read)")
    try:
        arrays = _load_directory(p) if p.is_dir() else _load_npz(p)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        if isinstance(err, ClosenessError):
            raise
        reason = "not an .npz or .npy file" if "pickle" in str(err) else str(err)
        raise ClosenessError(f"cannot read model {p}: {reason}") from err
    try:
        return Model(arrays["f"], arrays["g"], arrays.get("weights"))
    except ClosenessError as err:
        raise ClosenessError(f"{p}: {err}") from err


def _load_directory(p: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name in ("f", "g", "weights"):
        file = p / f"{name}.npy"
        if file.exists():
            if not file.is_file():
                raise ClosenessError(f"{file} is not a regular file")
            with file.open("rb") as fh:
                try:
                    _check_npy_header(fh, file.stat().st_size, str(file))
                except ClosenessError as err:
                    if "more than this machine" not in str(err):  # memory-mapped: it need not fit
                        raise
            arrays[name] = np.load(file, mmap_mode="r", allow_pickle=False)
        elif name != "weights":
            raise ClosenessError(f"model directory {p} has no {name}.npy")
    return arrays


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    with p.open("rb") as fh:  # closed on every failure (np.load leaves a damaged zip's file open)
        return _read_npz(p, np.load(fh, allow_pickle=False))


def _read_npz(p: Path, data: Any) -> dict[str, np.ndarray]:
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ClosenessError(
            f"{p} holds a single array; a model is an .npz with arrays f and g, or a directory with f.npy, g.npy"
        )
    with data:
        missing = {"f", "g"} - set(data.files)
        if missing:
            raise ClosenessError(f"model file {p} lacks array(s) {sorted(missing)}; it has {data.files}")
        names = [k for k in ("f", "g", "weights") if k in data.files]
        with zipfile.ZipFile(p) as z:
            members = z.namelist()
            if any(f"{k}.npy" not in members for k in names):
                raise ClosenessError(f"{p} is not a model .npz (its members are not .npy arrays); it has {members}")
            for k in names:
                info = z.getinfo(f"{k}.npy")
                with z.open(info) as fh:
                    _check_npy_header(fh, info.file_size, f"{p}: array {k}")
        return {k: data[k] for k in names}


def _gib(nbytes: float) -> str:
    if nbytes >= 2**30:
        return f"{nbytes / 2**30:,.1f} GiB"
    return f"{nbytes / 2**20:,.1f} MiB" if nbytes >= 2**20 else f"{nbytes:,.0f} bytes"


def _check_npy_header(fh: IO[bytes], size: int, what: str) -> None:
    """Refuse an ``.npy`` whose header asks for more data than the file holds (a damaged or
    forged header, e.g. 1e11 rows) or more memory than the machine has, before allocating it."""
    try:
        version = np.lib.format.read_magic(fh)
        shape, _, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                           else np.lib.format.read_array_header_2_0(fh))
    except ValueError as err:
        raise ClosenessError(f"{what}: not an .npy array ({err})") from err
    need = math.prod(shape) * dtype.itemsize
    held = size - fh.tell()
    if need > held:
        raise ClosenessError(f"{what}: its header claims shape {shape} ({_gib(need)}) but the file holds "
                             f"{_gib(held)}: the file is damaged or truncated")
    if need > memory_limit():
        raise ClosenessError(f"{what}: shape {shape} needs {_gib(need)} of memory, more than this machine's "
                             f"{_gib(memory_limit())}; give the model as a directory of .npy files (memory-mapped)")


def memory_limit() -> int:
    """This machine's physical memory in bytes (64 GiB where it cannot be read): the most any
    single allocation may ask for before it is refused with the amount it would need."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 64 * 2**30


def _umask_mode() -> int:
    """The mode an ordinary ``open()`` would give a new file (``mkstemp`` would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object], suffix: str = "") -> Path:
    """Write ``path`` through ``write(file)`` into a temporary file, then ``os.replace``: a reader
    never sees a half-written file.  Parent folders are created; failures are a ClosenessError.

    Only a regular file (or nothing) is replaced: a symbolic link, a device, a FIFO or a socket
    at ``path`` is refused, never silently turned into a regular file."""
    p = check_target(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=suffix)
    except OSError as err:
        raise ClosenessError(f"cannot write {p}: {err.strerror or err}") from err
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, p)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ClosenessError(f"cannot write {p}: {err.strerror or err}") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def check_target(path: str | os.PathLike[str]) -> Path:
    """``path`` if :func:`atomic_write` may write it: nothing there or a regular file, under a
    folder or under nothing yet (no file in the way); a symbolic link, a directory, a device, a
    FIFO or a socket is refused.  Commands check their output files with it before any work."""
    p = Path(path)
    with _unreachable_as_error("write", p):
        return _check_target(p)


def _check_target(p: Path) -> Path:
    if p.is_symlink():
        raise ClosenessError(f"refusing to write {p}: it is a symbolic link (to {os.readlink(p)}); "
                             "give the target's own path")
    if p.is_dir():
        raise ClosenessError(f"cannot write {p}: it is a directory")
    if p.exists() and not p.is_file():
        raise ClosenessError(f"refusing to write {p}: it is not a regular file (a device, FIFO or socket), "
                             "and it would be replaced")
    parent = next((q for q in p.parents if q.exists() or q.is_symlink()), None)
    if parent is not None and not parent.is_dir():
        raise ClosenessError(f"cannot write {p}: {parent} is not a directory")
    return p


def check_directory(path: str | os.PathLike[str], option: str = "--out", create: bool = True) -> Path:
    """``path`` as an output directory that can be written: created if missing (with its parents;
    with ``create=False`` only its nearest existing folder is checked), refused in one line if it
    is a file or cannot be created or written.  Commands check their output directories with it
    before any work, so no result is lost at the end."""
    p = Path(path)
    doing = "write"
    try:
        if p.exists() and not p.is_dir():
            raise ClosenessError(f"{option} must be a directory, but {p} is a file")
        if not p.is_dir():
            doing = "create"
            if not create:
                parent = next((q for q in p.parents if q.exists()), Path("."))
                if not parent.is_dir():
                    raise ClosenessError(f"cannot create {option} {p}: {parent} is not a directory")
                if not os.access(parent, os.W_OK | os.X_OK):
                    raise PermissionError(13, "Permission denied")
                return p
            p.mkdir(parents=True, exist_ok=True)
            doing = "write"
        if not os.access(p, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as err:
        raise ClosenessError(f"cannot {doing} {option} {p}: {err.strerror or err}") from err
    return p


def save_model(path: str | os.PathLike[str], model: Model) -> Path:
    """Write ``model`` as an ``.npz`` (float64), atomically."""
    arrays = {"f": np.asarray(model.f, dtype=float), "g": np.asarray(model.g, dtype=float)}
    if model.weights is not None:
        arrays["weights"] = np.asarray(model.weights, dtype=float)
    return atomic_write(path, lambda fh: np.savez(fh, **arrays), suffix=".npz")  # type: ignore[arg-type]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path: str | os.PathLike[str], what: str) -> Any:
    """A user's JSON file, strictly: no ``NaN``/``Infinity``, no number that overflows a float
    (``1e400``), no nesting deep enough to exhaust the parser; every failure one clear error."""
    p = Path(path)
    with _unreachable_as_error("read", p):
        if not p.exists():
            raise ClosenessError(f"{what} not found: {p}")
        if not p.is_file():
            raise ClosenessError(f"{what} {p} is not a regular file")

    def finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"the number {text} overflows a float")
        return value

    try:
        return json.loads(p.read_text(encoding="utf-8"), parse_constant=_refuse_constant, parse_float=finite)
    except RecursionError as err:
        raise ClosenessError(f"cannot read {what} {p}: nested too deeply") from err
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ClosenessError(f"cannot read {what} {p}: {err}") from err


def index_list(value: Any, name: str) -> tuple[int, ...]:
    """A list of whole-number indices from JSON; floats, strings, booleans and objects are refused
    (never truncated: ``1.7`` is not index 1)."""
    if not isinstance(value, list):
        raise ClosenessError(f"{name} must be a list of whole-number indices, got {type(value).__name__}")
    return tuple(index_value(v, name) for v in value)


def index_value(value: Any, name: str) -> int:
    """One whole-number index from JSON (an ``int``, not a ``bool``, float or string)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClosenessError(f"{name} must hold whole-number indices, got {json.dumps(value)[:40]}")
    return value


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON ``null``), recursively: for
    documents where a missing value is expected and said (a failed pair, an unbounded ratio)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, np.generic):
        return finite(obj.item())
    return obj


def json_text(obj: Any, indent: int | None = None) -> str:
    """``obj`` as JSON; a non-finite number is refused with where it is (JSON has no NaN/Infinity,
    and a NaN in a result means something failed that must be said, not written)."""

    def find(x: Any, where: str) -> str | None:
        if isinstance(x, float) and not math.isfinite(x):
            return f"{where} = {x}"
        if isinstance(x, dict):
            return next((w for k, v in x.items() if (w := find(v, f"{where}.{k}")) is not None), None)
        if isinstance(x, (list, tuple)):
            return next((w for i, v in enumerate(x) if (w := find(v, f"{where}[{i}]")) is not None), None)
        return None

    bad = find(obj, "result")
    if bad is not None:
        raise ClosenessError(f"the result is not finite ({bad}): overflow at this precision; "
                             "rerun with --dps or with rescaled inputs")
    return json.dumps(obj, indent=indent, allow_nan=False)
