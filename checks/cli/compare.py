"""``closeness compare A B``: every distance of the paper between two of your models."""

from __future__ import annotations

import argparse
import sys
import time
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Any, TextIO

from checks.cli.options import int_list
from theory.compare import CERTIFIED_DPS, FAILS, HOLDS, PRECISE_ENTRIES, STREAM_ENTRIES, Comparison, compare
from theory.distances import Sets
from theory.errors import ClosenessError
from theory.identifiability import greedy_affine_basis
from theory.io import atomic_write_text, index_list, index_value, json_text, load_model, read_json
from theory.model import Model
from theory.precision import MAX_DPS, MP, arithmetic


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "compare",
        help="every distance of the paper between two models",
        description="Compare two models (.npz with arrays f (n×M) and g (K×M), or a directory "
        "with f.npy and g.npy, read memory-mapped). Defaults: pivot label 0 with all other labels; "
        "pivot input 0 with the first M inputs that keep N and N' invertible. Large pairs (n·K above "
        f"{STREAM_ENTRIES:.0e}) are streamed at float64 in blocks of inputs, with progress on a terminal; "
        "give exactly M labels (--labels) when K is large, since d_{f,g} maximises over all M-subsets.",
    )
    p.add_argument("model_a")
    p.add_argument("model_b")
    p.add_argument("--pivot-label", type=int, help="pivot label y_0")
    p.add_argument("--labels", type=int_list, help="label set S_Y, e.g. 1,2,3 or 1-6")
    p.add_argument("--pivot-input", type=int, help="pivot input x_0")
    p.add_argument("--sets", metavar="FILE", help="read pivot_label, labels, pivot_input, inputs from a JSON "
                   "file (a saved search witness, or the 'sets' of a closeness-compare/1 object)")
    p.add_argument("--inputs", type=int_list, help="input set S_X (exactly M indices)")
    p.add_argument("--selection", choices=("fixed", "paper"), default="fixed", dest="select",
                   help="'paper': the selection of the paper's experiments (not a metric)")
    p.add_argument("--select", choices=("fixed", "paper"), dest="select", default=argparse.SUPPRESS,
                   help=argparse.SUPPRESS)  # the old spelling
    p.add_argument("--samples", type=int, default=100, help="random input sets tried by --selection paper")
    p.add_argument("--seed", type=int, default=0, help="seed for --selection paper")
    p.add_argument("--lambda", dest="lam", type=float, default=1e-5, help="weight λ ≥ 0 of T3, T4")
    p.add_argument("--mode", choices=("max", "sum"), default="max", help="max(T1,T2,λT3,λT4) or the sum form")
    p.add_argument("--dps", type=int, help="decimal digits, 15-5000 (mpmath-level: computed in flint arb "
                   "at that working precision, midpoints reported); default float64, or "
                   f"{CERTIFIED_DPS} with --certified. Held in memory: refused above n·K = {PRECISE_ENTRIES:,} entries")
    p.add_argument("--certified", action="store_true",
                   help="every distance as a certified enclosure (arb ball arithmetic, the same formulas), "
                   "and the bounds d_{f,g} ≤ 2Mε, d_{f,g} ≤ 2ε² decided: certainly holds, certainly fails, "
                   "or undecided at this precision")
    p.add_argument("--chunk", type=int,
                   help="stream at float64 in blocks of CHUNK inputs, never holding the n×K "
                   f"log-probabilities (automatic, 128 inputs a block, above n·K = {STREAM_ENTRIES:.0e})")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="'dask': float64 with fixed sets as a Dask reduction over blocks of inputs (models as .npy "
                   "directories, zarr groups or HDF5 files; needs the extra closeness-proofs[dask])")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --engine dask: the Dask scheduler to use, e.g. "
                   "tcp://10.0.0.5:8786 (default: a local cluster, one worker per core)")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="the closeness-compare/1 object: to FILE (atomically), or to stdout instead of the table")
    p.set_defaults(func=run)


def sets_from_args(args: argparse.Namespace, a: Model, b: Model) -> Sets | None:
    """Explicit sets from the options, completing unspecified parts with the defaults: pivots 0,
    all other labels, and the inputs :func:`greedy_affine_basis` picks for the pivot input."""
    given = (args.pivot_label, args.labels, args.pivot_input, args.inputs)
    if args.sets is not None:
        if any(v is not None for v in given) or args.select == "paper":
            raise ClosenessError("--sets gives every set; drop --pivot-*/--labels/--inputs/--selection paper")
        return sets_from_file(args.sets)
    if all(v is None for v in given):
        return None
    if args.select == "paper":
        raise ClosenessError("--selection paper chooses the sets itself; drop --pivot-*/--labels/--inputs")
    y0 = 0 if args.pivot_label is None else args.pivot_label
    if not 0 <= y0 < a.K:
        raise ClosenessError(f"label index {y0} is out of range 0..{a.K - 1}")
    labels = args.labels if args.labels is not None else tuple(y for y in range(a.K) if y != y0)
    x0 = 0 if args.pivot_input is None else args.pivot_input
    if not 0 <= x0 < a.n:
        raise ClosenessError(f"input index {x0} is out of range 0..{a.n - 1}")
    inputs = args.inputs
    if inputs is None:
        inputs = greedy_affine_basis([a.f, b.f], a.M, x0)
        if inputs is None:
            raise ClosenessError(f"no M inputs make N and N' invertible with pivot input {x0}; pass --inputs")
    return Sets(y0, labels, x0, inputs)


def sets_from_file(path: str) -> Sets:
    """Fixed sets from JSON: an object with ``pivot_label``, ``labels``, ``pivot_input``, ``inputs``,
    possibly under ``"sets"`` (a compare result) or as the first of ``"pairs"`` (a saved witness)."""
    data = read_json(path, "sets file")
    if isinstance(data, dict) and isinstance(data.get("pairs"), list) and data["pairs"]:
        data = data["pairs"][0]
    if isinstance(data, dict) and isinstance(data.get("sets"), dict):
        data = data["sets"]
    keys = ("pivot_label", "labels", "pivot_input", "inputs")
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise ClosenessError(f"{path} does not hold sets: it needs the keys {', '.join(keys)}")
    try:
        return Sets(index_value(data["pivot_label"], "pivot_label"), index_list(data["labels"], "labels"),
                    index_value(data["pivot_input"], "pivot_input"), index_list(data["inputs"], "inputs"))
    except ClosenessError as err:
        raise ClosenessError(f"{path}: {err}") from err


def run(args: argparse.Namespace) -> int:
    if args.dps is not None:
        arithmetic(args.dps)  # refuses a precision out of range before any file is read
    if args.engine == "dask" or args.scheduler is not None:
        result, a = run_dask(args)
        return show(args, result, a)
    a, b = load_model(args.model_a), load_model(args.model_b)
    sets = sets_from_args(args, a, b)
    if args.chunk is not None and args.chunk < 1:
        raise ClosenessError(f"--chunk must be a positive number of inputs, got {args.chunk}")
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = compare(a, b, sets, select=args.select, samples=args.samples, seed=args.seed,
                         lam=args.lam, mode=args.mode, dps=args.dps, certified=args.certified, chunk=args.chunk,
                         progress=progress)
    finally:
        if progress is not None:
            progress.close()
    return show(args, result, a)


def run_dask(args: argparse.Namespace) -> tuple[Comparison, Any]:
    """``--engine dask``: float64 with fixed sets; ``--chunk`` is the rows of f per task."""
    if args.engine != "dask":
        raise ClosenessError("--scheduler needs --engine dask")
    if args.dps is not None or args.certified or args.select == "paper":
        raise ClosenessError("--engine dask is float64 with fixed sets; drop --dps, --certified and --selection paper")
    if args.chunk is not None and args.chunk < 1:
        raise ClosenessError(f"--chunk must be a positive number of inputs, got {args.chunk}")
    from theory.dask_engine import cluster_client, compare_dask, default_inputs, load_chunked

    a = load_chunked(args.model_a, args.chunk, "model A")
    b = load_chunked(args.model_b, args.chunk, "model B")
    with cluster_client(args.scheduler) as client:
        x0 = 0 if args.pivot_input is None else args.pivot_input
        given = (args.pivot_label, args.labels, args.pivot_input)
        if args.sets is None and args.inputs is None and any(v is not None for v in given) and 0 <= x0 < a.n:
            # the default S_X from the first rows only (sets_from_args would read all of f)
            args = argparse.Namespace(**{**vars(args), "inputs": default_inputs(a, b, x0, client)})
        sets = sets_from_args(args, a, b)  # type: ignore[arg-type]
        return compare_dask(a, b, sets, lam=args.lam, mode=args.mode, seed=args.seed, client=client), a


def show(args: argparse.Namespace, result: Comparison, a: Any) -> int:
    """Print ``result`` as JSON (``--json``) or as the table of :func:`format_comparison`."""
    doc = json_text(result.as_json())  # refuses a non-finite result (e.g. an overflowing λ) in either form
    if args.json == "-":
        print(doc)
        return 0
    print(format_comparison(result, a.n, a.K, a.M))
    if args.json:
        atomic_write_text(args.json, doc + "\n")
        print(f"wrote {args.json}")
    return 0


class TerminalProgress:
    """``compare: 1280/10000 inputs (12%), 3.1 s`` rewritten in place on a terminal (stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\rcompare: {done}/{total} inputs ({100 * done // total}%), {elapsed:.1f} s")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def format_comparison(result: Comparison, n: int, k: int, m: int) -> str:
    """A compact human table of the comparison (certified: each value as midpoint ± radius)."""
    j: dict[str, Any] = result.as_json()
    s = j["sets"]
    kind, dps = j["precision"]["kind"], j["precision"]["dps"]
    prec = {"float64": "float64", "arb": f"arb balls, {dps} digits (certified enclosures, midpoint ± radius)"}.get(
        kind, f"{dps} digits (flint arb at that working precision, midpoints; not certified: see --certified)")
    if result.chunk is not None:
        prec += f", streamed in blocks of {result.chunk} inputs"
    lines = [
        f"n = {n} inputs, K = {k} labels, M = {m}; precision {prec}",
        f"sets ({s['selection']}): y_0 = {s['pivot_label']}, S_Y = {_short(s['labels'])}"
        + (f" (left out {s['left_out_label']})" if s["left_out_label"] is not None else "")
        + f"; x_0 = {s['pivot_input']}, S_X = {_short(s['inputs'])}",
        "",
    ]
    t = j["terms"]
    if result.certified:
        bound_1, bound_2 = j["bounds"]["2Meps"]["bound"], j["bounds"]["2eps2"]["bound"]
    else:
        bound_1, bound_2 = _scaled(j["d_llv"], 2 * m), _scaled(j["d_llv"], 2, power=2)
    rows = [
        ("d_KL(A‖B)", _kl_shown(j["d_kl"]["ab"])),
        ("d_KL(B‖A)", _kl_shown(j["d_kl"]["ba"])),
        (f"d_LLV (λ={j['lambda']:g}, {j['mode']})", j["d_llv"]),
        (f"  T1  (label {t['argmax']['T1']['label']}, {t['argmax']['T1']['term']})", t["T1"]),
        (f"  T2  (input {t['argmax']['T2']['input']}, {t['argmax']['T2']['term']})", t["T2"]),
        (f"  T3  (label {t['argmax']['T3']['label']})", t["T3"]),
        (f"  T4  (input {t['argmax']['T4']['input']})", t["T4"]),
        ("d_{f,g}", j["d_fg"]),
        ("  max d_SVD f side", _largest([e["d_svd"] for e in j["d_svd_f"]])),
        ("  d_SVD g side", j["d_svd_g"]),
        ("m_CCA(f, f')", j["m_cca"]),
        *_followup_rows(j),
        ("bound 2Mε (ε = d_LLV)", bound_1),
        ("sharper bound 2ε²", bound_2),
    ]
    width = max(len(r[0]) for r in rows)
    lines += [f"{name.ljust(width)}  {_fmt(v)}" for name, v in rows]
    said = certified_meaning(j) if result.certified else meaning(j, m)
    return "\n".join([*lines, "", *said])


def _followup_rows(j: dict[str, Any]) -> list[tuple[str, Any]]:
    """The follow-up paper's ``d_logit`` and ``d²_rep`` (exact, sampled ± standard error, or why absent)."""
    if "d_logit" not in j:
        return []
    rep = j["d_rep"]
    if rep["value"] is None:
        return [("d_logit (follow-up)", j["d_logit"]), ("d²_rep (follow-up)", rep["reason"])]
    how = (f"all {rep['of']} pivot-sets" if rep["exact"]
           else f"{rep['terms']} of {rep['of']} sampled, ± {rep['stderr']:.2g}")
    return [("d_logit (follow-up)", j["d_logit"]), (f"d²_rep ({how})", rep["value"])]


def meaning(j: dict[str, Any], m: int) -> list[str]:
    """What the numbers say: whether ``d_{f,g} ≤ 2Mε`` (Section 4) and the sharper ``d_{f,g} ≤ 2ε²``
    hold here, with the ratios, and a note when the two models are equivalent to rounding."""
    eps, d = float(j["d_llv"]), float(j["d_fg"])
    noise = 1e-12 if j["precision"]["kind"] == "float64" else 10.0 ** (10 - int(j["precision"]["dps"]))
    if eps <= noise and d <= noise:
        return ["The models are equivalent to rounding (~L): d_LLV and d_{f,g} are 0 up to "
                f"{j['precision']['kind']} rounding, as Theorem 2.2 and the bound say they must be."]
    out = []
    for name, bound in (("d_{f,g} ≤ 2Mε (the paper's bound)", 2 * m * eps), ("d_{f,g} ≤ 2ε² (sharper)", 2 * eps * eps)):
        if bound > 0:
            verdict = "holds" if d <= bound else "FAILS"
            out.append(f"{name}: {verdict}, d_{{f,g}} / bound = {d / bound:.3g}")
    if eps > 1 / 2**0.5:
        out.append(_VACUOUS)
    return out


_VACUOUS = "ε = d_LLV > 1/√2: the bounds exceed d_{f,g}'s range [0, 1], so they say nothing here."

#: Below this ``d_LLV`` (certainly) the models are equivalent up to the rounding of their parameters.
_ROUNDING_LEVEL = "1e-10"


def certified_meaning(j: dict[str, Any]) -> list[str]:
    """The verdicts of a certified comparison (``j["bounds"]``, decided in :mod:`theory.compare`),
    with a note when the models are equivalent (both sides enclose 0) or equivalent to rounding."""
    eps, d = j["d_llv"], j["d_fg"]
    exact = _contains_zero(eps) and _contains_zero(d)
    out = []
    if exact:
        out.append("d_LLV and d_{f,g} both enclose 0: the models are equivalent (~L) as far as this precision "
                   "can tell, and Theorem 2.2 makes both sides of each bound 0. Enclosures of 0 ≤ 0 always "
                   "overlap, so an undecided bound here says nothing against it.")
    elif Decimal(eps["upper"]) < Decimal(_ROUNDING_LEVEL):
        out.append(f"d_LLV < {_ROUNDING_LEVEL}: the models are equivalent up to the rounding of their stored "
                   "parameters (exactly equivalent models have both sides 0); the verdicts are about the "
                   "stored numbers.")
    for name, key in (("d_{f,g} ≤ 2Mε (the paper's bound)", "2Meps"), ("d_{f,g} ≤ 2ε² (sharper)", "2eps2")):
        verdict = j["bounds"][key]["verdict"]
        why = "" if verdict in (HOLDS, FAILS) or exact else (
            ": the enclosures of d_{f,g} and the bound overlap; a higher --dps may decide it")
        out.append(f"{name}: {verdict}{why}")
    with localcontext() as ctx:
        ctx.prec = 2 * len(eps["lower"]) + 10  # exact: the square of a decimal of that many digits
        if 2 * Decimal(eps["lower"]) ** 2 > 1:
            out.append(_VACUOUS)
    return out


def _contains_zero(e: dict[str, str]) -> bool:
    return Decimal(e["lower"]) <= 0 <= Decimal(e["upper"])


def _largest(values: list[Any]) -> Any:
    """The largest of JSON numbers or decimal strings; for enclosures, the enclosure of the maximum."""
    if values and isinstance(values[0], dict):
        return {"lower": max((v["lower"] for v in values), key=Decimal),
                "upper": max((v["upper"] for v in values), key=Decimal)}
    return max(values, key=float)


def _kl_shown(v: Any) -> Any:
    """A KL divergence is ≥ 0: a negative value at rounding level is shown as 0 with its size
    (an enclosure is shown as it is)."""
    if isinstance(v, dict):
        return v
    if float(v) < 0 and abs(float(v)) <= 1e-12:
        return f"0 (rounding: {float(v):.1e})"
    return v


def _short(indices: list[int], most: int = 12) -> str:
    """An index list, abbreviated past ``most`` entries (``--json`` has them all)."""
    if len(indices) <= most:
        return str(indices)
    head = ", ".join(map(str, indices[: most // 2]))
    tail = ", ".join(map(str, indices[-2:]))
    return f"[{head}, …, {tail}] ({len(indices)} indices)"


def _scaled(v: Any, c: int, power: int = 1) -> Any:
    """``c·v^power`` for a JSON number or, keeping every digit, for a decimal string."""
    if isinstance(v, float):
        try:
            out = c * v**power
        except OverflowError:
            out = float("inf")
        if out != float("inf"):
            return out
        v = repr(v)  # beyond float64 (the bounds for λ = 1e308, sum form): a decimal string instead
    P = MP(min(MAX_DPS, max(15, len(v))))
    return P.to_str(P.scalar(v) ** power * c)


def _fmt(v: Any) -> str:
    if isinstance(v, dict):
        return _ball_text(v)
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _ball_text(e: dict[str, str]) -> str:
    """An enclosure ``{"lower", "upper"}`` as ``midpoint ± radius``: the midpoint to as many digits
    as the ends carry, the radius rounded up to two digits so the shown ball still contains it."""
    lo, hi = Decimal(e["lower"]), Decimal(e["upper"])
    digits = max(len(lo.as_tuple().digits), len(hi.as_tuple().digits))
    with localcontext() as ctx:
        ctx.prec = digits
        mid = (lo + hi) / 2
        ctx.prec = 2 * digits + 10  # exact differences
        rad = max(hi - mid, mid - lo)
        ctx.prec, ctx.rounding = 2, ROUND_CEILING
        rad = +rad
    if not rad:
        return f"{mid} (exact)"
    shown = "0" if not mid else str(mid)
    return f"{shown} ± {rad:.1e}".replace("E", "e")  # exact: rad has at most two digits
