"""``closeness verify``: run the registered claims, print a table, write the JSON report.

The report (schema ``closeness-verify/1``) is rewritten atomically after every check, so a
crash or an interrupt never loses what was already computed.  A method that raises is recorded
as ``error`` for its claim and the run goes on.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import IO, Any

from checks.canaries import ARITHMETIC_METHODS, Canary, run_canaries
from checks.registry import (
    GENERAL, GIVEN, METHODS, RESTS_ON, VERDICTS, Claim, Context, Outcome, all_claims, general_given,
)
from theory import __version__
from theory.errors import ClosenessError
from theory.io import atomic_write_text
from theory.blas import single_threaded_blas

__all__ = ["VerifyReport", "run_claims", "exit_status", "environment", "SCHEMA", "HYPOTHESIS_SETTINGS"]

SCHEMA = "closeness-verify/1"

#: The hypothesis settings every search uses (also recorded in the report).
HYPOTHESIS_SETTINGS = {"database": None, "deadline": None, "derandomize": False, "seeded_by": "--seed"}


def environment(ctx: Context) -> dict[str, Any]:
    """Package versions, platform, precision, seed and hypothesis settings of this run."""
    versions: dict[str, str | None] = {}
    for pkg in ("numpy", "sympy", "mpmath", "hypothesis", "python-flint"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "closeness_proofs": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "dps": ctx.dps,
        "check_dps": ctx.check_dps,
        "seed": ctx.seed,
        "deep": ctx.deep,
        "hypothesis": HYPOTHESIS_SETTINGS,
    }


@dataclass
class VerifyReport:
    """Results so far; ``as_json`` is the ``closeness-verify/1`` object."""

    ctx: Context
    claims: list[dict[str, Any]] = field(default_factory=list)
    #: False until every selected check has run: a report written before that is partial.
    complete: bool = False
    #: The canaries run before the claims (:mod:`checks.canaries`).
    canaries: list[Canary] = field(default_factory=list)

    @property
    def arithmetic_broken(self) -> bool:
        return any(not c.ok for c in self.canaries)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for c in self.claims:
            counts[c["verdict"]] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "complete": self.complete,
            "arithmetic": {"ok": not self.arithmetic_broken, "canaries": [c.as_dict() for c in self.canaries]},
            "environment": environment(self.ctx),
            "claims": self.claims,
            "summary": self.summary(),
        }


def worst_verdict(verdicts: Iterable[str]) -> str:
    """Refuted if any is, else error, else undecided, else verified; ``skipped`` checks do not
    count (only skipped: skipped; nothing checked: undecided)."""
    seen = set(verdicts)
    for v in ("refuted", "error", "undecided"):
        if v in seen:
            return v
    if "verified" in seen:
        return "verified"
    return "skipped" if seen else "undecided"


def claim_verdict(checks: list[dict[str, Any]]) -> str:
    """A claim is refuted if any check refutes it, else error, else undecided, else verified."""
    return worst_verdict(c["verdict"] for c in checks)


def run_method(fn: Any, ctx: Context) -> tuple[Outcome, float]:
    """Run one method, turning an exception into an ``error`` outcome with its message."""
    start = time.perf_counter()
    try:
        outcome = fn(ctx)
        if not isinstance(outcome, Outcome):
            outcome = Outcome("error", {"message": f"method returned {type(outcome).__name__}, not an Outcome"})
    except Exception as err:  # any failure of one method is that method's `error`; the run goes on
        tb = traceback.extract_tb(err.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        outcome = Outcome("error", {"message": f"{type(err).__name__}: {err}", "where": where})
    return outcome, time.perf_counter() - start


def select(
    claims: dict[str, Claim], ids: Iterable[str] | None, methods: Iterable[str] | None
) -> list[tuple[Claim, list[str]]]:
    """The claims and methods to run, each claim after its premises (``depends_on``, included
    transitively even when not asked for); unknown ids or methods are a usage error."""
    ids = list(ids or [])
    methods = list(methods or [])
    for m in methods:
        if m not in METHODS:
            raise ClosenessError(f"unknown method {m!r}; choose from {', '.join(METHODS)}")
    for cid in ids:
        if not cid.strip():
            raise ClosenessError("an empty claim id matches every claim; omit --claim to run them all")
        if cid not in claims and not any(k.startswith(cid) for k in claims):
            raise ClosenessError(f"unknown claim {cid!r}; `closeness verify --list` shows them")
    wanted = [cid for cid in claims if not ids or any(cid == i or cid.startswith(i) for i in ids)]
    ordered: list[str] = []

    def visit(cid: str, path: tuple[str, ...]) -> None:
        if cid in path:
            raise ValueError(f"the premises of {cid} form a cycle: {' -> '.join((*path, cid))}")
        if cid in ordered:
            return
        for dep in claims[cid].depends_on:
            visit(dep, (*path, cid))
        ordered.append(cid)

    for cid in wanted:
        visit(cid, ())
    chosen = []
    for cid in ordered:
        c = claims[cid]
        ms = [m for m in c.methods if not methods or m in methods]
        if not ms and cid not in wanted:
            ms = list(c.methods)  # a premise none of whose methods was asked for: all of them decide it
        if ms:
            chosen.append((c, ms))
    if not chosen:
        raise ClosenessError(
            f"no check matches claims {ids or 'all'} with methods {methods}; `closeness verify --list` shows them"
        )
    return chosen


#: Methods whose verdict is a proof assembled from the premises' verdicts.
COMPOSED_METHODS = ("symbolic",)


def compose_with_premises(check: dict[str, Any], premises: dict[str, str],
                          premise_scopes: dict[str, str] | None = None) -> dict[str, Any]:
    """A ``symbolic`` verification stands only when every premise is verified; otherwise it becomes
    undecided, naming the premises that are not (a kernel-checked ``formal`` proof carries its own
    lemmas and is not composed, unless it states only part of its claim and the premises the rest:
    evidence :data:`checks.registry.RESTS_ON`, :attr:`checks.formal.Proof.rests_on`).  Its scope is no wider
    than its premises': a general derivation resting on a premise that is not general
    (``premise_scopes``, the premises' claim scopes) is ``general, given: …`` that premise."""
    composed = check["method"] in COMPOSED_METHODS or RESTS_ON in check["evidence"]
    if not composed or check["verdict"] != "verified":
        return check
    open_premises = {d: v for d, v in premises.items() if v != "verified"}
    if open_premises:
        reason = "rests on premises that are not verified: " + ", ".join(
            f"{d} ({v})" for d, v in open_premises.items())
        return {**check, "verdict": "undecided", "evidence": {"reason": reason, **check["evidence"]}}
    narrow = {d: s for d, s in (premise_scopes or {}).items() if d in premises and s != GENERAL}
    if not narrow or not (check["scope"] == GENERAL or check["scope"].startswith(GIVEN)):
        return check
    steps = [check["scope"].removeprefix(GIVEN)] if check["scope"] != GENERAL else []
    steps += [f"premise {d} ({_short_scope(s)})" for d, s in narrow.items()]
    scope = general_given("; ".join(steps))
    return {**check, "scope": scope, "evidence": {**check["evidence"], "scope": scope}}


def _short_scope(scope: str) -> str:
    """A premise's scope in a few words (its evidence has the details)."""
    if scope.startswith(GIVEN):
        return "general, given steps of its own"
    return "instances only" if scope.startswith("instances") else scope


def run_check(c: Claim, m: str, ctx: Context, broken: str) -> dict[str, Any]:
    """One check (claim ``c``, method ``m``) as its report entry, before composition with premises;
    under a broken arithmetic (``broken`` names the failed canaries) no numeric verdict is given."""
    if broken and m in ARITHMETIC_METHODS:
        outcome, seconds = Outcome("error", {"message": f"broken arithmetic, no verdict given: {broken}"}), 0.0
    else:
        outcome, seconds = run_method(c.methods[m], ctx)
        if broken and outcome.verdict == "refuted" and m != "formal":
            outcome = Outcome("error", {"message": f"refuted only under a broken arithmetic, not a "
                                                   f"refutation of the paper: {broken}", **outcome.evidence})
    return {
        "method": m,
        "verdict": outcome.verdict,
        "scope": outcome.scope,
        "evidence": _jsonable(outcome.evidence),
        "seconds": round(seconds, 4),
    }


Check = tuple[str, str]  # (claim id, method)


def _assemble(report: VerifyReport, plan: list[tuple[Claim, list[str]]], done: dict[Check, dict[str, Any]]) -> None:
    """``report.claims`` from the finished checks, in plan order: each claim with the checks done so
    far, a ``symbolic`` verdict composed with its premises' verdicts (:func:`compose_with_premises`)."""
    verdicts: dict[str, str] = {}
    scopes: dict[str, str] = {}
    report.claims = []
    for c, ms in plan:
        finished = [m for m in ms if (c.id, m) in done]
        if not finished:
            continue
        premises = {d: verdicts.get(d, "not run") for d in c.depends_on}
        checks = [compose_with_premises(done[(c.id, m)], premises, scopes) for m in finished]
        report.claims.append({
            "id": c.id,
            "statement": c.statement,
            "latex": c.latex,
            "paper_ref": c.paper_ref,
            "provenance": c.provenance,
            "section": c.section,
            "depends_on": list(c.depends_on),
            "premises": premises,
            "verdict": claim_verdict(checks),
            "checks": checks,
            "scope": claim_scope(checks),
        })
        if len(finished) == len(ms):
            verdicts[c.id] = report.claims[-1]["verdict"]
            scopes[c.id] = report.claims[-1]["scope"]


def run_claims(
    ctx: Context,
    ids: Iterable[str] | None = None,
    methods: Iterable[str] | None = None,
    json_path: str | Path | None = None,
    progress: Any = None,
    jobs: int = 1,
) -> VerifyReport:
    """Run the selected claims; rewrite ``json_path`` atomically after every check.

    With ``jobs > 1`` the checks run in that many forked worker processes, one section at a time per
    worker (so a section's cached tables are computed once); the report is the same, in the same
    order, as a run in this process (:func:`run_in_workers`).  ``progress`` is a ``tqdm`` bar (or
    anything with ``reset(total)``, ``set_description`` and ``update``): checks done of n, the check
    running, and the rate and ETA tqdm derives."""
    plan = select(all_claims(), ids, methods)
    total = sum(len(ms) for _, ms in plan)
    report = VerifyReport(ctx, canaries=run_canaries(ctx.dps))
    if progress is not None:
        progress.reset(total=total)
    broken = "; ".join(c.detail for c in report.canaries if not c.ok)
    done: dict[Check, dict[str, Any]] = {}

    def finished(key: Check, check: dict[str, Any]) -> None:
        done[key] = check
        if progress is not None:
            progress.update(1)
        _assemble(report, plan, done)
        if json_path is not None:
            atomic_write_text(json_path, json.dumps(report.as_json(), indent=2) + "\n")

    def started(key: Check) -> None:
        if progress is not None:
            progress.set_description(f"{key[0]} ({key[1]})")

    sections = list(dict.fromkeys(c.section for c, _ in plan))
    if jobs > 1 and len(sections) > 1 and "fork" in multiprocessing.get_all_start_methods():
        groups = [[(c.id, m) for c, ms in plan if c.section == s for m in ms] for s in sections]
        run_in_workers(groups, {c.id: c for c, _ in plan}, ctx, broken, jobs, started, finished)
    else:
        for c, ms in plan:
            for m in ms:
                started((c.id, m))
                finished((c.id, m), run_check(c, m, ctx, broken))
    report.complete = True
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(report.as_json(), indent=2) + "\n")
    return report


def _worker(conn: Connection, claims: dict[str, Claim], ctx: Context, broken: str, parent: int) -> None:
    """A forked worker: run the groups of checks sent on ``conn`` until ``None``, saying which check
    it starts, sending each check's entry when done, and ``idle`` after each group.  Ctrl-C is the
    parent's to handle (it stops the workers and keeps what was reported)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    with single_threaded_blas():
        for group in iter(conn.recv, None):
            for key in group:
                conn.send(("start", key, None))
                conn.send(("done", key, run_check(claims[key[0]], key[1], ctx, broken)))
            conn.send(("idle", None, None))


def _die_with_parent(parent: int) -> None:
    """Stop this worker, and what it started (a Coq build), when it is terminated or its parent dies.

    The worker leads a process group of its own, and SIGTERM kills that group; on Linux the kernel
    sends SIGTERM when the parent dies, even by SIGKILL (``PR_SET_PDEATHSIG``), so no orphan goes on
    computing; elsewhere the parent's ``finally`` still terminates the workers."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, lambda signum, frame: os.killpg(0, signal.SIGKILL))
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os.killpg(0, signal.SIGKILL)


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM in the parent: unwind, so that the workers are stopped (the report already written
    after the last finished check stays, as with Ctrl-C); exit status 128 + 15."""
    raise SystemExit(128 + signum)


def _died(key: Check, exitcode: int | None) -> dict[str, Any]:
    """The entry of a check whose worker process died while running it."""
    return {"method": key[1], "verdict": "error", "scope": "instances", "seconds": 0.0,
            "evidence": {"message": f"the worker process running this check died (exit code {exitcode})"}}


def run_in_workers(groups: list[list[Check]], claims: dict[str, Claim], ctx: Context, broken: str, jobs: int,
                   started: Callable[[Check], None], finished: Callable[[Check, dict[str, Any]], None]) -> None:
    """Run ``groups`` of checks in ``jobs`` forked processes, each group in one process, in order.

    Each worker has a pipe of its own (a worker killed mid-write cannot block the others).  A worker
    that dies (killed, out of memory, a crash in C) costs only the check it was running, recorded as
    ``error`` with its exit code; the rest of its group goes to a fresh worker."""
    mp = multiprocessing.get_context("fork")
    pending = deque(groups)
    remaining = {key for g in groups for key in g}
    procs: dict[Connection, Any] = {}
    holding: dict[Connection, list[Check]] = {}
    running: dict[Connection, Check] = {}

    def give(conn: Connection) -> None:
        """Send ``conn`` the next group, or tell it to stop."""
        if pending:
            holding[conn] = pending.popleft()
            conn.send(holding[conn])
        else:
            conn.send(None)
            procs.pop(conn).join()
            conn.close()

    def spawn() -> None:
        ours, theirs = mp.Pipe()
        # not daemonic, so that a check may start processes of its own
        p = mp.Process(target=_worker, args=(theirs, claims, ctx, broken, os.getpid()))
        p.start()
        theirs.close()  # the worker's end lives in the worker only: its death is an EOF here
        procs[ours] = p
        give(ours)

    def bury(conn: Connection) -> None:
        p = procs.pop(conn)
        p.join()
        conn.close()
        key = running.pop(conn, None)
        if key is not None:
            remaining.discard(key)
            finished(key, _died(key, p.exitcode))
        rest = [k for k in holding.pop(conn, []) if k in remaining]
        if rest:
            pending.appendleft(rest)
        if pending:
            spawn()

    in_main = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGTERM, _terminated) if in_main else None
    try:
        for _ in range(min(jobs, len(groups))):
            spawn()
        while remaining and procs:
            for conn in wait(list(procs)):
                try:
                    kind, key, check = conn.recv()
                except EOFError:
                    bury(conn)
                    continue
                if kind == "start":
                    running[conn] = key
                    started(key)
                elif kind == "done":
                    running.pop(conn, None)
                    remaining.discard(key)
                    finished(key, check)
                else:
                    holding.pop(conn, None)
                    give(conn)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        for conn, p in procs.items():
            p.terminate()
            p.join()
            conn.close()


def claim_scope(checks: list[dict[str, Any]]) -> str:
    """``general`` when a verified check is general (a kernel-checked proof or a derivation for
    general dimensions that encodes every step); else the general-given scopes of the verified
    checks (``general, given: …``, the steps taken on trust) if there are any; else their
    ``instances …`` scopes."""
    verified = [c for c in checks if c["verdict"] == "verified"]
    if any(c["scope"] == GENERAL for c in verified):
        return GENERAL
    given = sorted({c["scope"] for c in verified if c["scope"].startswith(GIVEN)})
    return "; ".join(given or sorted({c["scope"] for c in verified})) or "none verified"


#: The exit status of ``closeness verify`` (and ``report``) for the worst claim verdict.
EXIT_STATUS = {"verified": 0, "refuted": 1, "undecided": 3, "error": 4, "skipped": 0}


def exit_status(report: VerifyReport) -> int:
    """0 all verified; 1 something refuted; 4 a check crashed (nothing refuted); 3 undecided."""
    return verdicts_status(c["verdict"] for c in report.claims)


def verdicts_status(verdicts: Iterable[str]) -> int:
    """The exit status for these claim verdicts (all verified, including none at all: 0)."""
    seen = list(verdicts)
    if seen and all(v == "skipped" for v in seen):
        return EXIT_STATUS["undecided"]  # nothing could be checked at all
    return EXIT_STATUS[worst_verdict(seen)] if seen else 0


def _jsonable(x: Any) -> Any:
    """Evidence as JSON: numbers stay numbers, high-precision numbers become decimal strings."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, (int, str)):
        return x
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else str(x)
    if hasattr(x, "item") and not hasattr(x, "mid"):
        return _jsonable(x.item())
    return str(x)


def format_table(report: VerifyReport, width: int = 60) -> str:
    """A compact human table: claim, provenance, method, verdict, evidence, time."""
    rows = [("claim", "prov.", "method", "verdict", "evidence", "time")]
    for c in report.claims:
        for chk in c["checks"]:
            rows.append(
                (c["id"], c["provenance"], chk["method"], chk["verdict"],
                 _short(chk["evidence"], width), f"{chk['seconds']:.2f}s")
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    s = report.summary()
    lines.append("")
    lines.append(", ".join(f"{v} {k}" for k, v in s.items()))
    for canary in report.canaries:
        if not canary.ok:
            lines.append(f"BROKEN ARITHMETIC ({canary.name}): {canary.detail}; numeric, certified and search "
                         "checks gave no verdict")
    return "\n".join(lines)


def _short(evidence: dict[str, Any], width: int) -> str:
    keys = ("reason", "message", "witness", "margin", "digits_agreed", "examples", "enclosure", "max_residual")
    parts = [f"{k}={evidence[k]}" for k in keys if k in evidence]
    if not parts:
        parts = [f"{k}={v}" for k, v in list(evidence.items())[:2]]
    text = "; ".join(str(p) for p in parts).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def next_steps(report: VerifyReport) -> list[str]:
    """For a run that is not all verified: why, claim by claim, and what to run next."""
    lines = []
    for c in report.claims:
        if c["verdict"] not in ("undecided", "error", "refuted"):
            continue
        for k in c["checks"]:
            if k["verdict"] != c["verdict"]:
                continue
            why = _first_reason(k["evidence"])[:160]
            lines.append(f"{c['id']} ({k['method']}) {c['verdict']}: {why}")
            if c["verdict"] == "undecided":
                hint = _hint(why, c["id"], report.ctx)
                if hint:
                    lines.append(f"  next: {hint}")
            break
    return lines


def _first_reason(evidence: Any) -> str:
    """The reason, message or witness of a check, looked up through combined sub-checks."""
    if isinstance(evidence, dict):
        for key in ("reason", "message", "witness"):
            if evidence.get(key):
                return str(evidence[key])
        for name, value in evidence.items():
            found = _first_reason(value)
            if found:
                return f"{name}: {found}"
    return ""


def _hint(why: str, cid: str, ctx: Context) -> str:
    """What to run after an undecided check, from its reason."""
    if "significant" in why:
        return "nothing: an empirical outcome of the shipped data, reported as it is (evidence in --json)"
    if "premises" in why:
        return f"closeness verify --claim {cid}  (the premises run first; see their verdicts)"
    if "precision" in why or "digits" in why or "overlap" in why or "noise" in why:
        return f"closeness verify --claim {cid} --dps {2 * ctx.dps}"
    if not ctx.deep:
        return f"closeness verify --claim {cid} --deep  (the long searches and larger samples)"
    return ""


def print_report(report: VerifyReport, out: IO[str] | None = None) -> None:
    stream = out or sys.stdout
    stream.write(format_table(report) + "\n")
    steps = next_steps(report)
    if steps:
        stream.write("\n" + "\n".join(steps) + "\n")
