"""Section 3 on the command line.

* ``closeness counterexample kl --rho R [--grid] [--seed S] --out DIR`` writes the pair of
  Theorem 3.1 as ``DIR/model_a.npz`` and ``DIR/model_b.npz`` (readable by ``closeness compare``);
* ``closeness table1 [--rho 1..20] [--seed S] [--csv FILE] [--dps N]`` reproduces Table 1 at
  ``N`` digits with float32 and float64 evaluations of each ``d_KL`` beside it.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

from checks.cli.options import add_progress_options, int_list, needs_choice, progress_bar
from checks.claims.sec3.table1 import TABLE1_FIELDS, table1_row
from theory.counterexample import KLConstruction, grid, kl_bound, margin, paper_random
from theory.errors import ClosenessError
from theory.compare import PRECISE_ENTRIES
from theory.io import atomic_write_text, json_text, memory_limit, save_model
from theory.precision import MP, require_dps


def _rho_range(text: str) -> list[int]:
    """``"1..20"``, ``"5"`` or ``"1,2,5,10"``: positive integers."""
    out = list(int_list(text))
    if min(out) < 1:
        raise argparse.ArgumentTypeError(f"ρ values must be positive integers, got {text!r}")
    return out


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "counterexample",
        help="write the Section 3 model pair (small KL, dissimilar representations)",
        description="Write the two models of Theorem 3.1 (Section 3) as .npz files for `closeness compare`.",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    kl = kinds.add_parser("kl", help="the paper's 7-class construction",
                          description="K = 7 labels at angles 2πk/7 with length ρ; model 2 permutes the classes by "
                          "σ(k) = 2k+5 mod 7. Random version (the paper's: 500 inputs per class, seeded) or --grid.")
    kl.add_argument("--rho", type=float, required=True, help="unembedding length ρ > 0")
    kl.add_argument("--grid", action="store_true", help="deterministic grid version instead of the seeded random one")
    kl.add_argument("--per-class", type=int, help="inputs per class (default 500 random, 5 grid)")
    kl.add_argument("--seed", type=int, default=0, help="seed of the random version")
    kl.add_argument("--out", required=True, metavar="DIR", help="directory for model_a.npz and model_b.npz")
    kl.set_defaults(func=run_counterexample)
    p.set_defaults(func=needs_choice(p, "a kind", "kl"))

    t = sub.add_parser(
        "table1",
        help="reproduce Table 1 (KL → 0 while the representations stay dissimilar)",
        description="Rows ρ of Table 1 for the paper's random construction: d_KL(p‖p'), d_LLV (paper "
        "selection, λ = 1e-5), m_CCA(f, f'), the largest f-side and the g-side d_SVD, computed at --dps "
        "digits, and d_KL evaluated in float32 and float64 with the same stable formulas.",
    )
    t.add_argument("--rho", type=_rho_range, default=list(range(1, 21)),
                   help="ρ values, e.g. 1..20 (default) or 1,5,20")
    t.add_argument("--seed", type=int, default=0, help="seed of the construction and of the input-set selection")
    t.add_argument("--per-class", type=int, default=500,
                   help=f"inputs per class (the paper: 500; at most {TABLE1_MAX_PER_CLASS:,}, held at --dps digits)")
    t.add_argument("--dps", type=int, default=30, help="decimal digits of the high-precision columns")
    t.add_argument("--csv", metavar="FILE", help="also write the table as CSV (header " + ",".join(TABLE1_FIELDS) + ")")
    t.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="the rows as JSON (decimal strings): to FILE, or to stdout instead of the table")
    add_progress_options(t)
    t.set_defaults(func=run_table1)


#: Bytes per input of the construction and its two models at float64 (jitter, radius, f, f', exact copies).
_BYTES_PER_INPUT = 400
#: Largest --per-class of table1: its K = 7 columns at --dps digits are held as mpmath numbers, and
#: compare's high-precision limit (n·K ≤ PRECISE_ENTRIES) applies.
TABLE1_MAX_PER_CLASS = PRECISE_ENTRIES // 49


def _check_per_class(per_class: int | None, most: int | None = None) -> None:
    """Refuse a class size below 1, above ``most``, or whose inputs would not fit in memory."""
    if per_class is None:
        return
    if per_class < 1:
        raise ClosenessError(f"--per-class must be at least 1, got {per_class}")
    if most is not None and per_class > most:
        raise ClosenessError(f"--per-class is at most {most:,} (7·m inputs × 7 labels held at high precision, "
                             f"the limit n·K = {PRECISE_ENTRIES:,} of `closeness compare --dps`), got {per_class:,}")
    need = 7 * per_class * _BYTES_PER_INPUT
    if need > memory_limit():
        raise ClosenessError(f"--per-class {per_class:,} needs about {need / 2**30:,.0f} GiB of memory, more than "
                             f"this machine's {memory_limit() / 2**30:,.1f} GiB")


def _construction(args: argparse.Namespace) -> KLConstruction:
    _check_per_class(args.per_class)
    if args.grid:
        return grid(args.per_class or 5)
    return paper_random(args.seed, per_class=args.per_class or 500)


def run_counterexample(args: argparse.Namespace) -> int:
    if not args.rho > 0 or args.rho != args.rho or args.rho == float("inf"):
        raise ClosenessError(f"--rho must be a positive finite number, got {args.rho}")
    c = _construction(args)
    a, b = c.models(args.rho)
    out = Path(args.out)
    pa, pb = save_model(out / "model_a.npz", a), save_model(out / "model_b.npz", b)
    P = MP(30)  # the bound underflows float64 for large ρ
    bound = kl_bound(c, P.scalar(repr(args.rho)), P)
    print(f"{c.name}: n = {c.n} inputs, K = {c.K}, M = 2, ρ = {args.rho:g}, σ = {list(c.perm)}")
    print(f"Δ = {float(margin(c)):.6g}; d_KL ≤ (K−1)e^(−ρΔ)(1+2ρ r_max) = {P.ctx.nstr(bound, 6)}")
    print(f"wrote {pa} and {pb}; try: closeness compare {pa} {pb} --selection paper")
    return 0


def _fmt(x: Any, P: MP | None = None) -> str:
    if P is not None:
        return P.ctx.nstr(P.scalar(x), 17)
    return repr(float(x))


def run_table1(args: argparse.Namespace) -> int:
    require_dps(args.dps)
    _check_per_class(args.per_class, TABLE1_MAX_PER_CLASS)
    c = paper_random(args.seed, per_class=args.per_class)
    P = MP(args.dps)
    rows = []
    table = args.json != "-"  # JSON on stdout replaces the table
    head = (f"{'rho':>3}  {'d_KL':>22}  {'d_LLV':>10}  {'m_CCA_f':>9}  {'max_dSVD_f':>10}  {'max_dSVD_g':>10}  "
            f"{'rel.err f32':>11}  {'rel.err f64':>11}")
    if table:
        print(f"Table 1: {c.name}, d_KL etc. at {args.dps} digits; paper selection of sets (seed {args.seed}), "
              "λ = 1e-5")
        print(head)
    start = time.perf_counter()
    with progress_bar(args, "table1", unit="row") as bar:
        if bar is not None:
            bar.reset(total=len(args.rho))
        for rho in args.rho:
            r = table1_row(c, rho, args.dps, args.seed)
            rows.append(r)
            ref = P.scalar(r["d_kl"])
            rel = [abs(float((P.scalar(float(r[k])) - ref) / ref)) for k in ("d_kl_float32", "d_kl_float64")]
            if table:
                line = (f"{rho:>3}  {P.ctx.nstr(ref, 15):>22}  {float(r['d_llv']):>10.6f}  "
                        f"{float(r['m_cca_f']):>9.6f}  {float(r['max_d_svd_f']):>10.6f}  "
                        f"{float(r['max_d_svd_g']):>10.6f}  {rel[0]:>11.2e}  {rel[1]:>11.2e}")
                (bar.write(line) if bar is not None else print(line, flush=True))
            if bar is not None:
                bar.update(1)
    print(f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    if args.json:
        doc = {"schema": "closeness-table1/1", "construction": c.name, "seed": args.seed, "dps": args.dps,
               "rows": [{"rho": r["rho"], **{k: _fmt(r[k], P) for k in TABLE1_FIELDS[1:6]},
                         **{k: _fmt(r[k]) for k in TABLE1_FIELDS[6:]}} for r in rows]}
        text = json_text(doc, indent=1)
        if args.json == "-":
            print(text)
        else:
            atomic_write_text(args.json, text + "\n")
            print(f"wrote {args.json}")
    if args.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TABLE1_FIELDS)
        for r in rows:
            high = [_fmt(r[k], P) for k in TABLE1_FIELDS[1:6]]
            w.writerow([r["rho"], *high, *(_fmt(r[k]) for k in TABLE1_FIELDS[6:])])
        atomic_write_text(args.csv, buf.getvalue())
        print(f"wrote {args.csv}")
    return 0
