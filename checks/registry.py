"""The single registry of claims: id, statement, paper reference, provenance, and the methods
that verify each one.  The CLI, the tests and the report all read it.

A section module declares a claim once and attaches its methods::

    THM22_IF = claim("thm2.2-if", "Equivalent models have equal distributions.",
                     r"(f,g) \\sim_L (f',g') \\Rightarrow p_{f,g} = p_{f',g'}",
                     "Theorem 2.2", "paper")

    @THM22_IF.method("numeric")
    def _(ctx: Context) -> Outcome: ...

Every method returns an :class:`Outcome`: verified (with evidence), refuted (with a witness),
or undecided (with the reason).  A method that raises is reported as ``error`` by the runner.

**Premises.** ``depends_on`` names the claims a claim's proof rests on (its lemmas).  The runner
runs them first and a ``symbolic`` or ``formal`` verdict of the claim stands only when every
premise is verified (see :func:`checks.runner.compose_with_premises`).

**Scope.** Every outcome states its scope in ``evidence["scope"]``: ``"general"`` only for a
derivation for general dimensions, every step of it encoded, or a kernel-checked proof;
``"general, given: …"`` (:func:`general_given`) for a derivation for general dimensions that takes
some steps on trust (a cited theorem, a step argued in prose), naming them; ``"instances (…)"`` for
a check at fixed sizes or on finitely many examples (what they are, e.g. ``"instances (n = 3, 4)"``).
The runner fills in ``"instances"`` when a method does not say (numeric, certified and search checks
are always on instances).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Claim",
    "Context",
    "Outcome",
    "METHODS",
    "GENERAL",
    "GIVEN",
    "RESTS_ON",
    "general_given",
    "instances",
    "PROVENANCES",
    "VERDICTS",
    "REGISTRY",
    "claim",
    "all_claims",
]

METHODS = ("symbolic", "numeric", "certified", "search", "formal")

#: Scope of a check proved for general dimensions (a derivation or a kernel-checked proof).
GENERAL = "general"
PROVENANCES = ("paper", "paper-code", "new", "follow-up", "follow-up-code")
VERDICTS = ("verified", "refuted", "undecided", "error", "skipped")

#: ``skipped``: the method could not run here (e.g. Coq is not installed); it says why and does not
#: count towards the claim's verdict, which then rests on its other methods.
Verdict = Literal["verified", "refuted", "undecided", "error", "skipped"]


@dataclass(frozen=True)
class Context:
    """Run settings every method receives: working precision, depth, seed."""

    dps: int = 50
    deep: bool = False
    seed: int = 0

    @property
    def check_dps(self) -> int:
        """The higher precision every numeric result is re-checked at."""
        return 2 * self.dps

    def examples(self, default: int, deep: int) -> int:
        """Number of search examples: ``default`` normally, ``deep`` with ``--deep``."""
        return deep if self.deep else default


@dataclass(frozen=True)
class Outcome:
    """A method's verdict and its evidence (margins, digits, enclosures, examples, witnesses)."""

    verdict: Verdict
    evidence: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def verified(cls, **evidence: Any) -> Outcome:
        return cls("verified", evidence)

    @classmethod
    def refuted(cls, witness: Any, **evidence: Any) -> Outcome:
        return cls("refuted", {"witness": witness, **evidence})

    @classmethod
    def undecided(cls, reason: str, **evidence: Any) -> Outcome:
        return cls("undecided", {"reason": reason, **evidence})

    @classmethod
    def skipped(cls, reason: str, **evidence: Any) -> Outcome:
        return cls("skipped", {"reason": reason, **evidence})

    def with_scope(self, scope: str) -> Outcome:
        """Set ``evidence["scope"]`` (``general`` or ``instances (…)``); returns this outcome."""
        self.evidence["scope"] = scope
        return self

    @property
    def scope(self) -> str:
        """``general`` or ``instances (…)`` (see the module docstring)."""
        return str(self.evidence.get("scope", "instances"))

    @classmethod
    def combine(cls, parts: dict[str, Outcome]) -> Outcome:
        """Several sub-checks as one: refuted if any is, else undecided if any is, else verified."""
        for verdict in ("refuted", "error", "undecided"):
            if any(o.verdict == verdict for o in parts.values()):
                return cls(verdict, {k: {"verdict": o.verdict, **o.evidence} for k, o in parts.items()})
        return cls("verified", {k: o.evidence for k, o in parts.items()})


MethodFn = Callable[[Context], Outcome]


@dataclass
class Claim:
    """One statement of the paper (or of this project), and how it is checked."""

    id: str
    statement: str
    latex: str
    paper_ref: str
    provenance: str
    section: str
    depends_on: tuple[str, ...] = ()
    methods: dict[str, MethodFn] = field(default_factory=dict)

    def method(self, name: str) -> Callable[[MethodFn], MethodFn]:
        """Decorator attaching a verification method (one of :data:`METHODS`)."""
        if name not in METHODS:
            raise ValueError(f"unknown method {name!r}; expected one of {METHODS}")

        def attach(fn: MethodFn) -> MethodFn:
            if name in self.methods:
                raise ValueError(f"claim {self.id} already has a {name} method")
            self.methods[name] = fn
            return fn

        return attach


REGISTRY: dict[str, Claim] = {}


#: The prefix of :func:`general_given` scopes.
GIVEN = "general, given: "

#: The evidence key of a check that states only part of its claim and leaves the rest to the claim's
#: premises: the runner composes it with their verdicts (:func:`checks.runner.compose_with_premises`).
RESTS_ON = "rests on premises"


def general_given(steps: str) -> str:
    """The scope of a derivation for general dimensions with steps it does not encode (cited theorems,
    steps argued in prose): ``general_given('Pinsker')`` → ``'general, given: Pinsker'``.  Never
    :data:`GENERAL`: a claim is general only through a check that takes nothing on trust."""
    return GIVEN + steps


def instances(description: str) -> str:
    """The scope of a check at fixed sizes: ``instances('n = 3, 4')`` → ``'instances (n = 3, 4)'``."""
    return f"instances ({description})"


def _section_of(module: str) -> str:
    """``sec4`` for ``checks.claims.sec4.bound`` or ``checks.claims.sec4``; the last component of
    any other module name."""
    prefix = "checks.claims."
    if module.startswith(prefix):
        return module[len(prefix):].split(".", 1)[0]
    return module.rsplit(".", 1)[-1]


def claim(
    id: str,
    statement: str,
    latex: str,
    paper_ref: str,
    provenance: str,
    section: str = "",
    depends_on: tuple[str, ...] = (),
) -> Claim:
    """Declare a claim once; its id must be new and its provenance one of :data:`PROVENANCES`.

    ``section`` defaults to the declaring module's section: the component after ``checks.claims``
    (``sec3`` for ``checks/claims/sec3/table1.py``, ``sec1`` for ``checks/claims/sec1.py``);
    ``depends_on`` lists the ids of its premises (checked to exist by :func:`all_claims`).
    """
    if provenance not in PROVENANCES:
        raise ValueError(f"claim {id}: provenance must be one of {PROVENANCES}, got {provenance!r}")
    if id in REGISTRY:
        raise ValueError(f"claim {id} is registered twice")
    caller = sys._getframe(1).f_globals.get("__name__", "")
    c = Claim(id, statement, latex, paper_ref, provenance, section or _section_of(caller), tuple(depends_on))
    REGISTRY[id] = c
    return c


def all_claims() -> dict[str, Claim]:
    """Every registered claim, in registration order (imports the section modules)."""
    from checks.claims import SECTIONS, load

    load()

    rank = {name: i for i, name in enumerate(SECTIONS)}
    order = sorted(REGISTRY.values(), key=lambda c: rank.get(c.section, len(rank)))  # stable
    for c in order:
        unknown = [d for d in c.depends_on if d not in REGISTRY]
        if unknown:
            raise ValueError(f"claim {c.id} depends on unregistered claims {unknown}")
    return {c.id: c for c in order}


def scoped_method(c: Claim, name: str, scope: str) -> Callable[[Callable[[Context], Outcome]], Any]:
    """Attach a method to claim ``c`` whose outcome states ``scope`` unless it states its own."""
    def attach(fn: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        def run(ctx: Context) -> Outcome:
            out = fn(ctx)
            out.evidence.setdefault("scope", scope)
            return out

        run.__doc__ = fn.__doc__
        c.method(name)(run)
        return fn

    return attach
