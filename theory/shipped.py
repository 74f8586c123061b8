"""The trained models of the paper's width experiment (Section 5), shipped as data.

Each model is a pair of networks ``f``, ``g`` trained by :mod:`theory.training` on the radial task
(:mod:`theory.synthetic`) for one width and seed.  What is shipped per model, in
``theory/data/<experiment>/``: ``F = f(x_test)`` and ``G = g(labels)`` after each training budget
(one run, snapshots: the model after ``s`` steps equals a run of ``s`` steps), the test accuracy
at each budget, and in ``manifest.json`` the width, seed, steps, learning rate, the hash of the
training configuration, the trainer's version (:data:`theory.training.TRAINER_VERSION`), the
SHA-256 of the file and the training time.  The Section 5 claims are decided on these models
in seconds; retraining one and comparing its outputs with the shipped ones is the
reproducibility check.

Training is resumable: every finished model is written at once (atomically) to a cache
directory keyed by its configuration hash, and models found there are not retrained.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from theory import __version__
from theory.digits import DIGITS_SOURCE, DigitsData, digits_data
from theory.errors import ClosenessError
from theory.io import atomic_write, atomic_write_text
from theory.model import Model
from theory.synthetic import RadialData, radial_data
from theory.training import TRAINER_VERSION, TrainSettings, accuracy, train, trained_model

__all__ = [
    "DATA_DIR",
    "WidthSpec",
    "PAPER_WIDTH",
    "DIGITS",
    "ShippedModel",
    "Shipped",
    "model_config",
    "config_hash",
    "train_model",
    "train_models",
    "cached_models",
    "write_shipped",
    "load_shipped",
    "reproduce",
    "max_difference",
]

#: Where the shipped experiments live (package data).
DATA_DIR = Path(__file__).parent / "data"

#: ``report(text, final)``: a progress line (``final`` marks a finished model).
Reporter = Callable[[str, bool], None]

_SCHEMA = "closeness-shipped-models/1"


@dataclass(frozen=True)
class WidthSpec:
    """The models of a width experiment to train and ship: the ``task`` (``radial`` with ``classes``
    labels, or ``digits``), widths × seeds, snapshots after each of ``budgets`` steps (the last is
    the run's length) at Adam learning rate ``lr``, representations of dimension ``dim`` (M)."""

    task: str = "radial"
    classes: int = 6
    widths: tuple[int, ...] = (16, 32, 64, 128, 256)
    seeds: tuple[int, ...] = tuple(range(20))
    budgets: tuple[int, ...] = (5_000, 15_000)
    lr: float = 1e-4
    train_size: int = 20_000
    test_size: int = 2_000
    data_seed: int = 0
    dim: int = 2

    def validate(self) -> None:
        if self.task not in ("radial", "digits"):
            raise ClosenessError(f"unknown task {self.task!r}; expected 'radial' or 'digits'")
        if not self.budgets or list(self.budgets) != sorted(set(self.budgets)) or self.budgets[0] < 1:
            raise ClosenessError(f"budgets must be increasing positive step counts, got {list(self.budgets)}")
        if not self.widths or min(self.widths) < 1 or len(set(self.seeds)) != len(self.seeds):
            raise ClosenessError("widths must be positive and seeds distinct")

    @property
    def steps(self) -> int:
        """Length of every run: the largest budget."""
        return self.budgets[-1]

    def data(self) -> RadialData | DigitsData:
        if self.task == "digits":
            return digits_data(self.test_size, self.data_seed)
        return radial_data(self.classes, self.train_size, self.test_size, self.data_seed)

    def settings(self, width: int, seed: int) -> TrainSettings:
        return TrainSettings(width=width, seed=seed, steps=self.steps, dim=self.dim, lr=self.lr)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("widths", "seeds", "budgets"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WidthSpec:
        d = dict(d)
        for k in ("widths", "seeds", "budgets"):
            d[k] = tuple(d[k])
        return cls(**d)


#: What is shipped: the paper's setting (K = 6, 15000 Adam steps at lr 1e-4 on 20000 points, batch
#: 128, widths 16-256) with 20 seeds (the authors' number), and the 5000-step snapshot as a second
#: training budget.
PAPER_WIDTH = WidthSpec()

#: The digits (1797 images: 1347 to train, 450 to test), widths 16-128, seeds 0-9, 3000 Adam steps
#: at lr 1e-3 with the 1500-step snapshot, for M = 2 (the paper's Figure 3) and M = 8.  Four widths
#: and ten seeds make the trend test able to decide: its exact null has (4!)^10 re-assignments
#: (with three widths and five seeds, after the accuracy filter, the smallest p-value was 1/16).
DIGITS = {m: WidthSpec(task="digits", classes=10, widths=(16, 32, 64, 128), seeds=tuple(range(10)),
                       budgets=(1_500, 3_000),
                       lr=1e-3, train_size=1_347, test_size=450, dim=m) for m in (2, 8)}


def model_config(spec: WidthSpec, width: int, seed: int) -> dict[str, Any]:
    """Everything that determines one shipped model: data, training settings, budgets, trainer."""
    data: dict[str, Any] = {"task": spec.task, "classes": spec.classes, "train": spec.train_size,
                            "test": spec.test_size, "data_seed": spec.data_seed}
    if spec.task == "digits":
        data["source"] = DIGITS_SOURCE
    return {"data": data, "settings": spec.settings(width, seed).as_dict(), "budgets": list(spec.budgets),
            "trainer_version": TRAINER_VERSION}


def config_hash(config: dict[str, Any]) -> str:
    """SHA-256 (hex, first 16 digits) of the canonical JSON of a training configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class ShippedModel:
    """One trained model: its outputs on the test inputs after each budget, and its provenance."""

    width: int
    seed: int
    models: dict[int, Model]
    accuracy: dict[int, float]
    config: dict[str, Any]
    seconds: float = 0.0
    file: str = ""
    sha256: str = ""

    @property
    def config_hash(self) -> str:
        return config_hash(self.config)

    def entry(self) -> dict[str, Any]:
        """The manifest entry (everything but the arrays)."""
        s = self.config["settings"]
        return {"file": self.file, "sha256": self.sha256, "width": self.width, "seed": self.seed,
                "steps": sorted(self.models), "lr": s["lr"],
                "test_accuracy": {str(k): v for k, v in sorted(self.accuracy.items())},
                "config_hash": self.config_hash, "trainer_version": self.config["trainer_version"],
                "config": self.config, "train_seconds": self.seconds}


@dataclass
class Shipped:
    """A set of shipped models with the spec they were trained from."""

    spec: WidthSpec
    models: list[ShippedModel] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    #: The labels of the test inputs (the rows of every ``F``), for plots.
    test_labels: np.ndarray | None = None

    def get(self, width: int, seed: int) -> ShippedModel:
        for m in self.models:
            if (m.width, m.seed) == (width, seed):
                return m
        raise ClosenessError(f"no shipped model of width {width} and seed {seed}")


def train_model(spec: WidthSpec, width: int, seed: int, data: RadialData | DigitsData | None = None,
                progress: Callable[[int, float], None] | None = None) -> ShippedModel:
    """Train the model ``(width, seed)`` of ``spec`` and evaluate it on the test inputs at every budget."""
    data = spec.data() if data is None else data
    t = train(data, spec.settings(width, seed), progress, every=max(1, spec.steps // 100),
              snapshots=spec.budgets[:-1])
    models = {b: trained_model(t.at(b), data.x_test) for b in spec.budgets}
    acc = {b: accuracy(m, data.y_test) for b, m in models.items()}
    return ShippedModel(width, seed, models, acc, model_config(spec, width, seed), t.seconds)


def _arrays(m: ShippedModel) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for b, model in sorted(m.models.items()):
        out[f"f_{b}"] = np.asarray(model.f, dtype=np.float64)
        out[f"g_{b}"] = np.asarray(model.g, dtype=np.float64)
    return out


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed ``.npz`` whose bytes depend on the arrays only (fixed entry timestamps, unlike
    ``np.savez_compressed``), so the same model always gives the same SHA-256."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(value), allow_pickle=False)
    return buf.getvalue()


def _write_model(directory: Path, m: ShippedModel) -> None:
    """``w{W}_s{S}.npz`` (compressed float64 outputs) and its ``.json`` entry, each atomically."""
    blob = _npz_bytes(_arrays(m))
    m.file = f"w{m.width}_s{m.seed}.npz"
    m.sha256 = hashlib.sha256(blob).hexdigest()
    atomic_write(directory / m.file, lambda fh: fh.write(blob), suffix=".npz")
    atomic_write_text(directory / f"w{m.width}_s{m.seed}.json", json.dumps(m.entry(), indent=1) + "\n")


def _read_model(directory: Path, entry: dict[str, Any]) -> ShippedModel:
    """A model from its manifest entry; its file must have the recorded SHA-256."""
    path = directory / entry["file"]
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != entry["sha256"]:
        raise ClosenessError(f"{path}: SHA-256 {digest[:12]}… differs from the manifest's {entry['sha256'][:12]}…")
    if config_hash(entry["config"]) != entry["config_hash"]:
        raise ClosenessError(f"{path}: the configuration does not match its recorded hash")
    with np.load(io.BytesIO(blob)) as z:
        models = {b: Model(z[f"f_{b}"], z[f"g_{b}"]) for b in entry["steps"]}
    acc = {int(k): float(v) for k, v in entry["test_accuracy"].items()}
    return ShippedModel(entry["width"], entry["seed"], models, acc, entry["config"], entry["train_seconds"],
                        entry["file"], entry["sha256"])


def _cost(width: int) -> float:
    """Relative time per step of one width (fitted on this trainer: per-step overhead plus W²)."""
    return width * width + 64 * width + 2000


def _from_cache(d: Path, width: int, seed: int, config: dict[str, Any]) -> tuple[ShippedModel | None, str]:
    """``(model, "")`` if ``d`` holds the trained model ``(width, seed)`` of ``config`` intact;
    ``(None, "")`` if it holds none; ``(None, why)`` if what it holds is damaged (unreadable or
    foreign metadata, a truncated or altered file): the caller retrains it."""
    entry = d / f"w{width}_s{seed}.json"
    if not entry.exists():
        return None, ""
    try:
        info = json.loads(entry.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or info.get("config") != config:
            raise ClosenessError("its metadata is not this model's")
        return _read_model(d, info), ""
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, zipfile.BadZipFile, ClosenessError) as err:
        return None, f"the cached model in {d} is damaged ({err}); retraining it"


def cached_models(spec: WidthSpec, cache: Path) -> list[ShippedModel]:
    """The intact models of ``spec`` already trained into ``cache`` (by :func:`train_models`), in its order."""
    out = []
    for w in spec.widths:
        for s in spec.seeds:
            config = model_config(spec, w, s)
            m, _ = _from_cache(cache / config_hash(config), w, s, config)
            if m is not None:
                out.append(m)
    return out


def train_models(spec: WidthSpec, cache: Path, report: Reporter | None = None,
                 only: Iterable[tuple[int, int]] | None = None) -> list[ShippedModel]:
    """Every model of ``spec`` (or the ``(width, seed)`` in ``only``), trained once into ``cache``
    (one directory per configuration hash) and loaded from there afterwards, so an interrupted
    run resumes.  ``report`` receives progress lines with the models done and an ETA."""
    spec.validate()
    jobs = list(only) if only is not None else [(w, s) for w in spec.widths for s in spec.seeds]
    data = spec.data()
    out: list[ShippedModel] = []
    todo: list[tuple[int, int, Path]] = []
    for w, s in jobs:
        config = model_config(spec, w, s)
        d = cache / config_hash(config)
        m, damaged = _from_cache(d, w, s, config)
        if m is not None:
            out.append(m)
        else:
            if damaged:
                say(report, damaged, True)
            todo.append((w, s, d))
    total = sum(_cost(w) for w, _, _ in todo) * spec.steps
    done, spent = 0.0, 0.0
    for i, (w, s, d) in enumerate(todo, 1):
        label = f"model {i}/{len(todo)} to train ({len(out)} done): width {w} seed {s}"
        meanwhile, _ = _from_cache(d, w, s, model_config(spec, w, s))
        if meanwhile is not None:  # trained meanwhile by another run sharing the cache
            out.append(meanwhile)
            done += _cost(w) * spec.steps
            say(report, f"{label}: trained meanwhile by another run, loaded", True)
            continue
        t0 = time.perf_counter()

        def progress(step: int, loss: float, label: str = label, w: int = w, t0: float = t0,
                     before: float = done, spent: float = spent) -> None:
            work = before + _cost(w) * step
            eta = (spent + time.perf_counter() - t0) / work * (total - work)
            say(report, f"{label}: step {step}/{spec.steps}, loss {loss:.4f}, ETA {hms(eta)}", False)

        m = train_model(spec, w, s, data, progress)
        spent += time.perf_counter() - t0
        done += _cost(w) * spec.steps
        d.mkdir(parents=True, exist_ok=True)
        _write_model(d, m)
        out.append(m)
        accs = ", ".join(f"{a:.4f}" for a in m.accuracy.values())
        say(report, f"{label}: test accuracy {accs} (steps {', '.join(map(str, spec.budgets))}), "
             f"{m.seconds:.0f} s", True)
    order = {k: i for i, k in enumerate(jobs)}
    return sorted(out, key=lambda m: order[(m.width, m.seed)])


def environment() -> dict[str, Any]:
    """Where models were trained: the trainer, numpy, its BLAS, the machine."""
    from threadpoolctl import threadpool_info

    blas = [{k: i.get(k) for k in ("internal_api", "version", "architecture")} for i in threadpool_info()]
    return {"trainer_version": TRAINER_VERSION, "suite_version": __version__, "numpy": np.__version__,
            "blas": blas, "machine": platform.machine(), "python": platform.python_version()}


def write_shipped(spec: WidthSpec, models: list[ShippedModel], directory: Path) -> Path:
    """Write ``models`` and ``manifest.json`` into ``directory`` (the package data)."""
    directory.mkdir(parents=True, exist_ok=True)
    for m in models:
        _write_model(directory, m)
        (directory / f"w{m.width}_s{m.seed}.json").unlink()
    manifest = {"schema": _SCHEMA, "spec": spec.as_dict(), "environment": environment(),
                "test_labels": spec.data().y_test.tolist(), "models": [m.entry() for m in models]}
    return atomic_write_text(directory / "manifest.json", json.dumps(manifest, indent=1) + "\n")


def load_shipped(directory: Path) -> Shipped:
    """The shipped models of ``directory`` (each checked against its SHA-256 and config hash)."""
    path = directory / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ClosenessError(f"no shipped models: {path} is missing") from err
    if manifest.get("schema") != _SCHEMA:
        raise ClosenessError(f"{path}: unknown schema {manifest.get('schema')!r}")
    spec = WidthSpec.from_dict(manifest["spec"])
    labels = np.asarray(manifest["test_labels"], dtype=np.int64) if "test_labels" in manifest else None
    return Shipped(spec, [_read_model(directory, e) for e in manifest["models"]], manifest["environment"], labels)


def max_difference(a: ShippedModel, b: ShippedModel) -> float:
    """Largest absolute difference between the outputs of two runs of one model, over every budget."""
    if sorted(a.models) != sorted(b.models):
        raise ClosenessError(f"budgets differ: {sorted(a.models)} vs {sorted(b.models)}")
    worst = 0.0
    for k, m in a.models.items():
        o = b.models[k]
        worst = max(worst, float(np.max(np.abs(np.asarray(m.f) - np.asarray(o.f)))),
                    float(np.max(np.abs(np.asarray(m.g) - np.asarray(o.g)))))
    return worst


def reproduce(shipped: Shipped, which: Iterable[tuple[int, int]], report: Reporter | None = None,
              ) -> list[tuple[ShippedModel, ShippedModel]]:
    """Retrain the shipped models ``which`` (in memory) and pair each with its retrained copy.

    A shipped model trained under another trainer version or configuration cannot be reproduced
    by this trainer and raises."""
    out = []
    data = shipped.spec.data()
    for i, (w, s) in enumerate(which, 1):
        old = shipped.get(w, s)
        now = model_config(shipped.spec, w, s)
        if config_hash(now) != old.config_hash:
            raise ClosenessError(f"shipped model w{w} s{s} has configuration {old.config_hash}, this trainer "
                                 f"gives {config_hash(now)} (trainer version {TRAINER_VERSION})")

        def progress(step: int, loss: float, i: int = i, w: int = w, s: int = s) -> None:
            say(report, f"retraining {i}: width {w} seed {s}, step {step}/{shipped.spec.steps}", False)

        out.append((old, train_model(shipped.spec, w, s, data, progress)))
        say(report, f"retrained width {w} seed {s}: max |Δ| = {max_difference(old, out[-1][1]):.3g}", True)
    return out


def say(report: Reporter | None, text: str, final: bool) -> None:
    """Pass a progress line to ``report`` (``final``: the last line of a stage), if there is one."""
    if report is not None:
        report(text, final)


def hms(seconds: float) -> str:
    """``h:mm:ss``, for an ETA."""
    s = round(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
