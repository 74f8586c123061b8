"""sec1-ddof-invariance: verified, and refuted when a ddof-dependent quantity is claimed invariant."""

from __future__ import annotations

from checks.registry import Context, general_given
from checks.claims.sec1 import INVARIANT, check_ddof_numeric, check_ddof_symbolic

CTX = Context(dps=30)


def test_ddof_invariance_is_verified() -> None:
    assert check_ddof_symbolic().verdict == "verified"
    assert check_ddof_numeric(CTX).verdict == "verified"


def test_claiming_t3_invariant_is_refuted() -> None:
    """T3 does change with ddof (by √(n/(n−1))): claiming it invariant must fail."""
    assert check_ddof_numeric(CTX, invariant=(*INVARIANT, "T3")).verdict == "refuted"


def test_a_wrong_scale_factor_is_refuted() -> None:
    """Var_1 = (n−1)/n · Var_0 (the factor upside down) must be refuted by the symbolic check."""
    import sympy as sp

    out = check_ddof_symbolic(kappa_squared=lambda n: (sp.sympify(n) - 1) / n)
    assert out.verdict == "refuted" and "symbolic n" in out.evidence["witness"]


def test_ddof_lemmas_hold_for_symbolic_n_and_state_their_scope() -> None:
    out = check_ddof_symbolic(sizes=(2,))
    # the lemmas are general; the step from them to each quantity is prose here (Ddof.v proves it)
    assert out.verdict == "verified" and out.evidence["scope"] == general_given(out.evidence["not encoded"])
    assert set(out.evidence["symbolic_n"].values()) == {"0"}
    assert check_ddof_numeric(CTX).evidence["scope"].startswith("instances (")
