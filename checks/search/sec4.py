"""Section 4 searches: ``closeness search bound | metric | order``.

* ``bound``  -- maximise ``d_{f,g} / (F·2Mε)`` (``--form 2Meps``, the paper's bound) or
  ``d_{f,g} / (F·2ε²)`` (``--form 2eps2``, the sharper one) over diverse pairs with fixed sets;
  reports per ``M`` the largest ratios against both bounds (tightness).
* ``metric`` -- maximise ``d(p,r) / (d(p,q) + d(q,r))`` for ``d = d^λ_LLV`` over triples, with one
  fixed set for all three (``--selection fixed``: a metric, so never above 1), the paper's per-pair
  selection (``--selection paper``: not a metric), or only its label selection per pair with one
  fixed input set (``--selection paper-labels``: not a metric either).
* ``order``  -- pairs ``(p,q)``, ``(p,r)`` ranked differently by ``d_KL`` and ``d_LLV``:
  ``min(d_LLV(p,q)/d_LLV(p,r), d_KL(p,r)/d_KL(p,q)) > 1``.

Candidates are small models with entries on a grid of quarters (exactly representable, so a
saved witness replays exactly).  Every violation is shrunk, re-verified at ``--dps`` and ``2·dps``
digits (mpmath) and can be saved with ``--save DIR`` as ``.npz`` models plus a JSON of the sets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from checks.cli.options import add_json_option, add_progress_options, emit_json, progress_bar
from checks.evidence import digits_agreed, precision_agreement
from checks.search import SearchResult, run_search, showing_progress
from theory.distances import Sets
from theory.errors import ClosenessError
from theory.families import LAMBDA, Pair, common_sets, evaluate_bound, kl_between, llv_between
from theory.io import atomic_write_text, save_model
from theory.model import Model, input_weights, log_probs
from theory.precision import FLOAT64, MP, Arithmetic, require_dps
from theory.selection import paper_label_sets, paper_sets, require_invertible_sets

__all__ = [
    "models_strategy",
    "search_bound",
    "search_metric",
    "search_order",
    "register_target",
    "FORMS",
    "SELECTIONS",
]

FORMS = ("2Meps", "2eps2")
#: ``fixed``: one set for all three models; ``paper``: the paper's per-pair selection of labels and
#: inputs ``[paper-code]``; ``paper-labels``: the paper's label selection per pair, inputs fixed.
SELECTIONS = ("fixed", "paper", "paper-labels")
Arrays = tuple[np.ndarray, ...]


# --------------------------------------------------------------------------------------------
# candidates
# --------------------------------------------------------------------------------------------
@st.composite
def models_strategy(draw: st.DrawFn, count: int = 2, max_m: int = 3) -> Arrays:
    """``count`` models on shared shapes and input weights: ``(f_1, g_1, f_2, g_2, …, w)``; entries are
    quarters in ``[−3, 3]``; every further model is the first plus a perturbation of size up to 1 per
    entry; ``w`` are the weights ``p_D`` of the inputs (integers 1..4, normalised when used: the
    bound is claimed for every ``p_D``, uniform included)."""
    m = draw(st.integers(1, max_m))
    k = draw(st.integers(m + 1, m + 3))
    n = draw(st.integers(m + 2, m + 6))

    def grid(rows: int, cols: int, lo: int, hi: int) -> np.ndarray:
        vals = draw(st.lists(st.integers(lo, hi), min_size=rows * cols, max_size=rows * cols))
        return np.array(vals, dtype=float).reshape(rows, cols) / 4

    f, g = grid(n, m, -12, 12), grid(k, m, -12, 12)
    out: list[np.ndarray] = [f, g]
    for _ in range(count - 1):
        out += [f + grid(n, m, -4, 4), g + grid(k, m, -4, 4)]
    weights = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    return (*out, np.array(weights, dtype=float))


def _models(x: Arrays) -> list[Model]:
    """The models of a candidate ``(f_1, g_1, …[, w])`` (an odd length ends with shared weights)."""
    w = x[-1] if len(x) % 2 else None
    return [Model(x[i], x[i + 1], w) for i in range(0, len(x) - len(x) % 2, 2)]


def _pair(x: Arrays) -> Pair | None:
    try:
        a, b = _models(x)
        sets = common_sets(a, b)
        require_invertible_sets(a, b, sets)  # the bound's hypothesis; also makes every witness replayable
        return Pair(a, b, sets)
    except ClosenessError:
        return None


def _arrays_json(x: Arrays) -> dict[str, Any]:
    names = ["f", "g", "f2", "g2", "f3", "g3"]
    out = {names[i]: np.asarray(v).tolist() for i, v in enumerate(x[: len(x) - len(x) % 2])}
    if len(x) % 2:
        out["weights"] = np.asarray(x[-1]).tolist()
    return out


def _save(directory: str, index: int, models: list[Model], links: list[tuple[int, int, Sets]],
          record: dict[str, Any]) -> list[str]:
    """Write the models of a violation as .npz, and a JSON with the sets of each compared pair
    ``(i, j, sets)`` and the ``closeness compare`` command replaying it."""
    out = Path(directory)
    paths = [str(save_model(out / f"violation{index}_{nm}.npz", m)) for nm, m in zip("abc", models, strict=False)]
    pairs = []
    for i, j, s in links:
        pairs.append({
            "models": [paths[i], paths[j]], "sets": s.as_dict(),
            "replay": f"closeness compare {paths[i]} {paths[j]} --pivot-label {s.pivot_label} "
                      f"--labels {','.join(map(str, s.labels))} --pivot-input {s.pivot_input} "
                      f"--inputs {','.join(map(str, s.inputs))}",
        })
    atomic_write_text(out / f"violation{index}.json", json.dumps({"pairs": pairs, **record}, indent=2) + "\n")
    return paths


# --------------------------------------------------------------------------------------------
# bound
# --------------------------------------------------------------------------------------------
def bound_ratio(sides: Any, form: str, factor: Any, P: Arithmetic = FLOAT64) -> Any:
    """``d_{f,g} / (F·2Mε)`` or ``d_{f,g} / (F·2ε²)``."""
    f = P.scalar(factor if isinstance(factor, str) else repr(float(factor)))
    if form == "2Meps":
        return sides.d_fg / (f * P.scalar(2 * sides.M) * sides.eps)
    if form == "2eps2":
        return sides.d_fg / (f * P.scalar(2) * sides.eps * sides.eps)
    raise ClosenessError(f"--form must be one of {', '.join(FORMS)}, got {form!r}")


def search_bound(examples: int = 200, seed: int = 0, factor: float = 1.0, form: str = "2Meps",
                 dps: int = 50, save: str | None = None, max_m: int = 3) -> SearchResult:
    """``closeness search bound``: see the module docstring."""
    if form not in FORMS:
        raise ClosenessError(f"--form must be one of {', '.join(FORMS)}, got {form!r}")
    if not factor > 0:
        raise ClosenessError(f"--factor must be positive, got {factor}")
    per_m: dict[int, dict[str, float]] = {}
    weighted = [0]  # candidates with a non-uniform p_D

    def score(x: Arrays) -> float | None:
        pair = _pair(x)
        if pair is None:
            return None
        try:
            sides = evaluate_bound(pair)
        except ClosenessError:
            return None
        eps = float(sides.eps)
        if not eps > 1e-9:
            return None
        if len(set(np.asarray(pair.a.weights).tolist())) > 1:
            weighted[0] += 1
        best = per_m.setdefault(pair.M, {"2Meps": 0.0, "2eps2": 0.0})
        for fm in FORMS:
            best[fm] = max(best[fm], float(bound_ratio(sides, fm, 1.0)))
        return float(bound_ratio(sides, form, factor))

    def describe(x: Arrays) -> dict[str, Any]:
        pair = _pair(x)
        assert pair is not None
        sides = evaluate_bound(pair)
        return {"M": pair.M, "K": pair.a.K, "n": pair.a.n, "eps": float(sides.eps), "d_fg": float(sides.d_fg),
                "ratio_2Meps": float(bound_ratio(sides, "2Meps", 1.0)),
                "ratio_2eps2": float(bound_ratio(sides, "2eps2", 1.0)),
                "weights": np.asarray(pair.a.weights).tolist(), "sets": pair.sets.as_dict(), "pair": _arrays_json(x)}

    def reverify(x: Arrays) -> dict[str, Any] | None:
        pair = _pair(x)
        if pair is None:
            return None
        lo, hi = MP(dps), MP(2 * dps)
        r_lo = bound_ratio(evaluate_bound(pair, lo), form, factor, lo)
        r_hi = bound_ratio(evaluate_bound(pair, hi), form, factor, hi)
        if not (r_lo > 1 and r_hi > 1) or precision_agreement(r_lo, r_hi, dps, 10)[1] is not None:
            return None
        return {"ratio": float(r_lo), "ratio_decimal": lo.to_str(r_lo), "dps": dps, "check_dps": 2 * dps,
                "digits_agreed": digits_agreed(r_lo, r_hi), **describe(x)}

    result = run_search(f"bound[{form}]", models_strategy(2, max_m), score, describe, reverify,
                        examples=examples, seed_value=seed, factor=factor)
    result.extra["form"] = form
    result.extra["lambda"] = LAMBDA
    result.extra["per_M"] = {str(m): {"max_ratio_2Meps": v["2Meps"], "max_ratio_2eps2": v["2eps2"]}
                             for m, v in sorted(per_m.items())}
    result.extra["weighted_candidates"] = weighted[0]
    result.extra["attained_2eps2_in_search"] = any(v["2eps2"] >= 1 - 1e-9 for v in per_m.values())
    result.extra["known_constructions"] = {
        "2eps2_attained": "M = 1..4: claims sec4-bound-tight and sec4-bound-tight-every-M "
                          "(theory.families.sign_flip_pair, permutation_flip_pair)",
        "2Meps_ratio_cap": "d_fg/(2Mε) ≤ 1/(√2·M) always (claim sec4-bound-implies-paper); attained for M = 1",
    }
    if save:
        for i, v in enumerate(result.violations):
            x = _from_json(v["pair"])
            pair = _pair(x)
            assert pair is not None
            v["saved"] = _save(save, i, [pair.a, pair.b], [(0, 1, pair.sets)],
                               {"target": result.target, "ratio": v["ratio"]})
    return result


def _from_json(d: dict[str, Any]) -> Arrays:
    keys = [k for k in ("f", "g", "f2", "g2", "f3", "g3", "weights") if k in d]
    return tuple(np.array(d[k], dtype=float) for k in keys)


# --------------------------------------------------------------------------------------------
# metric
# --------------------------------------------------------------------------------------------
def _triple_distances(
    x: Arrays, P: Arithmetic, selection: str, samples: int, seed: int
) -> tuple[list[Any], list[Sets]]:
    p, q, r = _models(x)
    if selection == "fixed":
        s = common_sets(p, q, r)
        d = [llv_between(u, v, s, P) for u, v in ((p, q), (q, r), (p, r))]
        return d, [s, s, s]
    fixed = common_sets(p, q, r)
    sets = []
    for u, v in ((p, q), (q, r), (p, r)):
        lu, lv, w = log_probs(u), log_probs(v), input_weights(u)
        if selection == "paper":
            sets.append(paper_sets(u, v, lu, lv, samples, seed, w))
        else:  # "paper-labels": the paper's label selection, one fixed input set for all three
            sets.append(paper_label_sets(lu, lv, fixed.pivot_input, fixed.inputs, w))
    d = [llv_between(u, v, s, P) for (u, v), s in zip(((p, q), (q, r), (p, r)), sets, strict=False)]
    return d, sets


def triangle_ratio(x: Arrays, P: Arithmetic = FLOAT64, selection: str = "fixed", samples: int = 20,
                   seed: int = 0) -> tuple[Any, list[Any], list[Sets]]:
    """``d(p,r) / (d(p,q) + d(q,r))`` and the three distances and sets."""
    d, sets = _triple_distances(x, P, selection, samples, seed)
    return d[2] / (d[0] + d[1]), d, sets


def search_metric(examples: int = 200, seed: int = 0, selection: str = "fixed", samples: int = 20,
                  dps: int = 50, save: str | None = None, max_m: int = 2) -> SearchResult:
    """``closeness search metric``: maximise the triangle ratio over triples."""
    if selection not in SELECTIONS:
        raise ClosenessError(f"--selection must be one of {', '.join(SELECTIONS)}, got {selection!r}")

    def score(x: Arrays) -> float | None:
        try:
            d, _ = _triple_distances(x, FLOAT64, selection, samples, seed)
        except ClosenessError:
            return None
        return float(d[2] / (d[0] + d[1])) if float(d[0] + d[1]) > 1e-9 else None

    def describe(x: Arrays) -> dict[str, Any]:
        _, d, sets = triangle_ratio(x, FLOAT64, selection, samples, seed)
        return {"d_pq": float(d[0]), "d_qr": float(d[1]), "d_pr": float(d[2]),
                "sets": [s.as_dict() for s in sets], "triple": _arrays_json(x)}

    def reverify(x: Arrays) -> dict[str, Any] | None:
        lo, hi = MP(dps), MP(2 * dps)
        try:
            r_lo, _, _ = triangle_ratio(x, lo, selection, samples, seed)
            r_hi, _, _ = triangle_ratio(x, hi, selection, samples, seed)
        except ClosenessError:
            return None
        if not (r_lo > 1 and r_hi > 1) or precision_agreement(r_lo, r_hi, dps, 10)[1] is not None:
            return None
        return {"ratio": float(r_lo), "ratio_decimal": lo.to_str(r_lo), "dps": dps, "check_dps": 2 * dps,
                **describe(x)}

    result = run_search(f"metric[{selection}]", models_strategy(3, max_m), score, describe, reverify,
                        examples=examples, seed_value=seed)
    result.extra.update({"selection": selection, "lambda": LAMBDA, "samples": samples,
                         "statement": "d(p,r) ≤ d(p,q) + d(q,r); ratio = d(p,r)/(d(p,q)+d(q,r))"})
    if save:
        for i, v in enumerate(result.violations):
            x = _from_json(v["triple"])
            _, _, sets = triangle_ratio(x, FLOAT64, selection, samples, seed)
            links = [(0, 1, sets[0]), (1, 2, sets[1]), (0, 2, sets[2])]
            v["saved"] = _save(save, i, _models(x), links, {"target": result.target, "ratio": v["ratio"]})
    return result


# --------------------------------------------------------------------------------------------
# order
# --------------------------------------------------------------------------------------------
def order_score(x: Arrays, P: Arithmetic = FLOAT64) -> tuple[Any, dict[str, Any]]:
    """``min(d_LLV(p,q)/d_LLV(p,r), d_KL(p,r)/d_KL(p,q))``: above 1 iff ``d_KL`` ranks ``q`` closer
    to ``p`` than ``r`` while ``d_LLV`` ranks ``r`` closer (the two orders disagree)."""
    p, q, r = _models(x)
    s = common_sets(p, q, r)
    lq, lr = llv_between(p, q, s, P), llv_between(p, r, s, P)
    kq, kr = kl_between(p, q, P), kl_between(p, r, P)
    if P.is_zero(lr) or P.is_zero(kq):
        raise ClosenessError("a reference distance d_LLV(p,r) or d_KL(p,q) is zero")
    a, b = lq / lr, kr / kq
    val = a if P.midpoint([a])[0] < P.midpoint([b])[0] else b
    return val, {"llv_pq": lq, "llv_pr": lr, "kl_pq": kq, "kl_pr": kr, "sets": s}


def search_order(examples: int = 200, seed: int = 0, dps: int = 50, save: str | None = None,
                 max_m: int = 2) -> SearchResult:
    """``closeness search order``: pairs that ``d_KL`` and ``d_LLV`` rank in opposite order."""

    def score(x: Arrays) -> float | None:
        try:
            v, parts = order_score(x)
        except (ClosenessError, ZeroDivisionError, FloatingPointError):
            return None
        if min(float(parts["llv_pr"]), float(parts["kl_pq"])) <= 1e-12:
            return None
        return float(v)

    def describe(x: Arrays) -> dict[str, Any]:
        _, parts = order_score(x)
        return {k: (v.as_dict() if isinstance(v, Sets) else float(v)) for k, v in parts.items()} | {
            "triple": _arrays_json(x)}

    def reverify(x: Arrays) -> dict[str, Any] | None:
        lo, hi = MP(dps), MP(2 * dps)
        v_lo, _ = order_score(x, lo)
        v_hi, _ = order_score(x, hi)
        if not (v_lo > 1 and v_hi > 1) or precision_agreement(v_lo, v_hi, dps, 10)[1] is not None:
            return None
        return {"ratio": float(v_lo), "dps": dps, "check_dps": 2 * dps, **describe(x)}

    result = run_search("order", models_strategy(3, max_m), score, describe, reverify,
                        examples=examples, seed_value=seed)
    result.extra.update({"lambda": LAMBDA, "statement": "d_KL(p,q) < d_KL(p,r) but d_LLV(p,q) > d_LLV(p,r)"})
    if save:
        for i, v in enumerate(result.violations):
            x = _from_json(v["triple"])
            s = common_sets(*_models(x))
            v["saved"] = _save(save, i, _models(x), [(0, 1, s), (0, 2, s)], {"target": "order", "ratio": v["ratio"]})
    return result


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, examples: int) -> None:
    p.add_argument("--examples", type=int, default=examples, help=f"candidates to explore (default {examples})")
    p.add_argument("--seed", type=int, default=0, help="hypothesis seed (the run is replayable)")
    p.add_argument("--dps", type=int, default=50, help="digits of the re-verification (re-checked at twice it)")
    add_json_option(p, "the closeness-search/1 object")
    p.add_argument("--out", dest="save", metavar="DIR", help="save each confirmed violation as .npz models + sets JSON")
    p.add_argument("--save", dest="save", help=argparse.SUPPRESS)  # the earlier spelling of --out
    add_progress_options(p)


def _check(args: argparse.Namespace) -> None:
    if args.examples < 1:
        raise ClosenessError(f"--examples must be at least 1, got {args.examples}")
    require_dps(args.dps)


def _searching(args: argparse.Namespace, name: str) -> Any:
    """The progress display of ``closeness search NAME`` (examples tried, then the stage)."""
    stack = contextlib.ExitStack()
    bar = stack.enter_context(progress_bar(args, f"search {name}", unit="example"))
    stack.enter_context(showing_progress(bar))
    return stack


def _emit(result: SearchResult, args: argparse.Namespace, headline: Callable[[SearchResult], list[str]]) -> int:
    emit_json(args, result.as_json())
    if args.json == "-":
        return 0
    lines = [f"search {result.target}: {result.examples} examples, seed {result.seed}"]
    lines += headline(result)
    if result.violations:
        for v in result.violations:
            lines.append(f"VIOLATION ratio {v['ratio']:.12g} (re-verified at {v.get('dps')} and {v.get('check_dps')} "
                         f"digits)" + (f"; saved {', '.join(v['saved'])}" if "saved" in v else ""))
    else:
        lines.append("no violation found" + (f" ({result.dropped} float64 candidates failed the high-precision "
                                             "re-check)" if result.dropped else ""))
    print("\n".join(lines))
    return 0


def register_target(targets: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``bound``, ``metric`` and ``order`` to ``closeness search``."""
    b = targets.add_parser("bound", help="maximise d_fg / (F·2Mε) or d_fg / (F·2ε²) (Section 4)",
                           description="Search diverse pairs (fixed sets, λ = 1e-5) for the largest ratio of "
                           "d_{f,g} to F times the bound. With F = 1 no violation exists (the bound is a theorem); "
                           "a small F shows the search finds, shrinks and re-verifies violations.")
    b.add_argument("--factor", type=float, default=1.0, help="F: compare against F times the bound (default 1)")
    b.add_argument("--form", choices=FORMS, default="2Meps", help="2Meps: the paper's 2Mε; 2eps2: the sharper 2ε²")
    _common(b, 200)

    def run_bound(args: argparse.Namespace) -> int:
        _check(args)
        if not (args.factor > 0 and math.isfinite(args.factor)):
            raise ClosenessError(f"--factor must be a positive number, got {args.factor}")
        with _searching(args, "bound"):
            res = search_bound(args.examples, args.seed, args.factor, args.form, args.dps, args.save)

        def head(r: SearchResult) -> list[str]:
            out = [f"form {args.form}, factor {args.factor:g}; best ratio "
                   f"{r.best[0]['ratio']:.12g}" if r.best else "no valid candidate"]
            for m, v in r.extra["per_M"].items():
                out.append(f"  M = {m}: max d_fg/(2Mε) = {v['max_ratio_2Meps']:.6g}, "
                           f"max d_fg/(2ε²) = {v['max_ratio_2eps2']:.6g}")
            return out

        return _emit(res, args, head)

    b.set_defaults(func=run_bound)

    m = targets.add_parser("metric", help="triangle inequality of d_LLV over triples (Section 4)",
                           description="Maximise d(p,r)/(d(p,q)+d(q,r)) for d = d_LLV (λ = 1e-5). 'fixed': one "
                           "set for all three models (a metric); 'paper': the paper's per-pair selection; "
                           "'paper-labels': the paper's label selection per pair, one fixed input set.")
    m.add_argument("--selection", choices=SELECTIONS, default="fixed",
                   help="fixed: one set for all; paper: the paper's per-pair selection; paper-labels: its "
                        "label selection per pair with one fixed input set")
    m.add_argument("--samples", type=int, default=20, help="random input sets tried by the paper's selection")
    _common(m, 200)

    def run_metric(args: argparse.Namespace) -> int:
        _check(args)
        with _searching(args, "metric"):
            res = search_metric(args.examples, args.seed, args.selection, args.samples, args.dps, args.save)
        return _emit(res, args, lambda r: [f"selection {args.selection}; best ratio "
                                                 f"{r.best[0]['ratio']:.12g}" if r.best else "no valid candidate"])

    m.set_defaults(func=run_metric)

    o = targets.add_parser("order", help="pairs that d_KL and d_LLV rank in opposite order",
                           description="Find p, q, r with d_KL(p,q) < d_KL(p,r) but d_LLV(p,q) > d_LLV(p,r) "
                           "(neither distance is a monotone function of the other).")
    _common(o, 200)

    def run_order(args: argparse.Namespace) -> int:
        _check(args)
        with _searching(args, "order"):
            res = search_order(args.examples, args.seed, args.dps, args.save)
        return _emit(res, args, lambda r: [f"best score {r.best[0]['ratio']:.12g}" if r.best
                                                 else "no valid candidate"])

    o.set_defaults(func=run_order)
