"""sec1-ddof-invariance: verified, and refuted when a ddof-dependent quantity is claimed invariant."""

from __future__ import annotations

from checks.registry import Context
from checks.sec1 import INVARIANT, check_ddof_numeric, check_ddof_symbolic

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

    assert check_ddof_symbolic(kappa_squared=lambda n: sp.Rational(n - 1, n)).verdict == "refuted"
