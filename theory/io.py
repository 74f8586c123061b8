"""Reading and writing models: an ``.npz`` with ``f`` (n×M) and ``g`` (K×M), or a directory
holding ``f.npy`` and ``g.npy`` (read memory-mapped, so they need not fit in memory).
An optional ``weights`` array (n,) gives the data distribution ``p_D``."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from theory.errors import ClosenessError
from theory.model import Model

__all__ = ["load_model", "save_model", "atomic_write_text"]


def load_model(path: str | os.PathLike[str]) -> Model:
    """Load a model from an ``.npz`` file or a directory of ``.npy`` files (memory-mapped)."""
    p = Path(path)
    if not p.exists():
        raise ClosenessError(f"model not found: {p}")
    try:
        if p.is_dir():
            arrays = {}
            for name in ("f", "g", "weights"):
                file = p / f"{name}.npy"
                if file.exists():
                    arrays[name] = np.load(file, mmap_mode="r", allow_pickle=False)
                elif name != "weights":
                    raise ClosenessError(f"model directory {p} has no {name}.npy")
        else:
            with np.load(p, allow_pickle=False) as data:
                missing = {"f", "g"} - set(data.files)
                if missing:
                    raise ClosenessError(f"model file {p} lacks array(s) {sorted(missing)}; it has {data.files}")
                arrays = {k: data[k] for k in ("f", "g", "weights") if k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        if isinstance(err, ClosenessError):
            raise
        raise ClosenessError(f"cannot read model {p}: {err}") from err
    try:
        return Model(arrays["f"], arrays["g"], arrays.get("weights"))
    except ClosenessError as err:
        raise ClosenessError(f"{p}: {err}") from err


def _umask_mode() -> int:
    """The mode an ordinary ``open()`` would give a new file (``mkstemp`` would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def save_model(path: str | os.PathLike[str], model: Model) -> Path:
    """Write ``model`` as an ``.npz`` (float64), atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"f": np.asarray(model.f, dtype=float), "g": np.asarray(model.g, dtype=float)}
    if model.weights is not None:
        arrays["weights"] = np.asarray(model.weights, dtype=float)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``: never half-written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
