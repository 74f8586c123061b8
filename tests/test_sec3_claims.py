"""Every Section 3 claim verifies, and every checker refutes a deliberately false variant."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from checks.claims.sec3 import common as sec3_common
from checks.claims.sec3.common import check_certificates, check_uncorrelated_numeric, leq_via_upper
from checks.claims.sec3.construction import (
    check_affine_classification,
    check_grid_uncorrelated,
    check_root_sums,
    check_scale_invariance,
    check_scale_symbolic,
    check_uncorrelated_certified,
)
from checks.claims.sec3.cor32 import check_nll, check_nll_symbolic
from checks.claims.sec3.kl_bound import (
    _sharp,
    check_bound_matches_construction,
    check_kl_bound,
    check_kl_bound_sharp,
    check_kl_identity_numeric,
    check_rho_eps,
    check_rho_eps_symbolic,
    check_sign_factors,
)
from checks.claims.sec3.table1 import TABLE1_REFERENCE, check_float_accuracy, check_table1
from checks.claims.sec3.thm31 import check_theorem31, check_theorem31_every_eps, check_theorem31_numeric
from checks.cli import main
from checks.registry import GENERAL, Context, all_claims
from checks.search.kl import phenomenon_outcome, search_kl_bound
from theory.counterexample import (
    KLConstruction, affine_permutation, grid, margin, nll_bound, paper_random, rho_for_eps,
)
from theory.derivations import kl as dkl
from theory.distances import Sets
from theory.io import load_model
from theory.precision import FLOAT64, MP, Ball, Float

CTX = Context(dps=30, seed=0)
FAST = ("thm3.1-", "cor3.2-", "sec3-root", "sec3-uncorrelated", "sec3-scale")


def _too_steep(factor: float):
    """``(K−1)e^{−factor·ρΔ}(1+2ρ r_max)``: the KL bound with a too-large exponent."""

    def bound(c, rho, P):
        with P.active():
            d, r = margin(c, P), P.scalar(rho)
            x = np.array([-factor * r * d], dtype=float if isinstance(P, Float) else object)
            return (c.K - 1) * P.exp(x)[0] * (1 + 2 * r * P.scalar(c.r_max))

    return bound


@pytest.mark.parametrize("cid", [c for c in all_claims() if c.startswith(("thm3.1-", "cor3.2-", "sec3-"))])
def test_claim_methods_verify(cid: str) -> None:
    claim = all_claims()[cid]
    for name, fn in claim.methods.items():
        if cid == "sec3-not-one-construction":
            continue  # exercised below with its own parameters
        out = fn(CTX)
        assert out.verdict == "verified", (cid, name, out.evidence)


def test_provenances_match_claims_md() -> None:
    c = all_claims()
    assert c["thm3.1-small-kl-dissimilar"].provenance == "paper"
    assert c["cor3.2-nll"].provenance == "paper"
    assert c["table1-shape"].provenance == "paper-code"
    assert c["thm3.1-kl-bound"].provenance == "new" and c["sec3-uncorrelated"].provenance == "new"


def test_kl_bound_with_too_large_exponent_is_refuted() -> None:
    c = grid(4)
    assert check_kl_bound(c, [20, 50], Ball(30), bound=_too_steep(2.0)).verdict == "refuted"
    assert check_kl_bound(c, [20], MP(30), bound=_too_steep(2.0), ctx=CTX).verdict == "refuted"
    assert check_kl_bound(c, [20, 50], Ball(30)).verdict == "verified"


def test_kl_bound_search_refutes_a_false_bound() -> None:
    out = search_kl_bound(30, 0, 30, bound=_too_steep(3.0))
    assert out.verdict == "refuted", out.evidence


def test_kl_identity_numeric_refutes_a_dropped_term() -> None:
    _, syms = dkl.kl_identity(3)
    assert check_kl_identity_numeric(syms, 0, 30).verdict == "verified"
    w = syms["w"]
    s2 = sp.exp(w[1] - w[0]) + sp.exp(w[2] - w[0])
    dropped = lambda sy: sy["rhs"] - sp.log(1 + s2)  # noqa: E731
    assert check_kl_identity_numeric(syms, 0, 30, rhs=dropped).verdict == "refuted"


def test_inequality_certificates_refute_false_steps() -> None:
    steps = dkl.kl_inequality_steps()
    assert check_certificates(steps).verdict == "verified"
    s = sp.Symbol("s", nonnegative=True)
    # the reversed step "S' <= log(1+S')": its certificate -s/(1+s) is not nonnegative
    reversed_step = {"S' <= log(1+S')": {"residuals": {}, "certificates": {"-s/(1+s)": -s / (1 + s)}}}
    assert check_certificates(reversed_step).verdict == "refuted"
    # "d_l - d'_l <= rho r_max" (factor 2 dropped): the certificate identity fails
    rr, rh, ds = sp.symbols("r rho s_r", positive=True)
    ph, psi = sp.symbols("phi psi", real=True)
    gap = rh * (rr + ds) - rh * rr * (sp.cos(ph) - sp.cos(psi))
    cert = rh * ds + 2 * rh * rr * sp.sin(ph / 2) ** 2 + 2 * rh * rr * sp.cos(psi / 2) ** 2
    raw = gap - cert
    reduced = sp.expand(sp.powsimp(sp.expand(raw.rewrite(sp.exp))))
    halved = {"halved": {"residuals": {"gap - certificate": (raw, reduced)},
                         "certificates": {"cert": cert}}}
    assert check_certificates(halved).verdict == "refuted"


def test_margin_certificate_refutes_wider_domains() -> None:
    assert check_sign_factors(dkl.margin_monotone()).verdict == "verified"
    # labels further apart than pi: the cosine factor's argument leaves [-pi/2, pi/2]
    assert check_sign_factors(dkl.margin_monotone(alpha_max=2 * sp.pi)).verdict == "refuted"
    # jitter up to the label gap: h(phi_max) > 0 is lost (sin(alpha/2 - phi_max) argument < 0)
    assert check_sign_factors(dkl.margin_monotone(jitter_ratio=1)).verdict == "refuted"


def test_grid_uncorrelated_refuted_for_bad_constructions() -> None:
    c = grid(3)
    assert check_grid_uncorrelated(c).verdict == "verified"
    assert check_grid_uncorrelated(c.with_perm(tuple(range(7)))).verdict == "refuted"  # E f f'^T = (r^2/2) I
    assert check_grid_uncorrelated(c.with_perm(affine_permutation(1, 1, 7))).verdict == "refuted"
    assert check_grid_uncorrelated(paper_random(0, per_class=3)).verdict == "refuted"  # per-class jitter


def test_rho_eps_halved_is_refuted() -> None:
    half = lambda e, k, d, r, P: rho_for_eps(e, k, d, r, P) / 4  # noqa: E731
    assert check_rho_eps(grid(4), ("1e-10",), Ball(30), rho_fn=half).verdict == "refuted"


def test_theorem31_variants_are_refuted() -> None:
    c = grid(4)
    # the identity permutation: equivalent models, d_fg = 0 and m_CCA = 1
    out = check_theorem31(c.with_perm(tuple(range(7))), ("1e-3",), Ball(30))
    assert out.verdict == "refuted"
    # too small a ρ: d_KL ≤ ε fails
    out = check_theorem31(c, ("1e-10",), Ball(30), rho_of=lambda c, e, P: 5)
    assert out.verdict == "refuted"


def test_theorem31_for_every_eps_holds_and_its_variants_are_refuted() -> None:
    """The every-ε argument: verified (and general) on the grid; refuted on equivalent models (identity
    permutation: d_fg = 0) and on a construction outside the family (jitter ≥ π/K)."""
    c = grid(4)
    out = check_theorem31_every_eps(c, Ball(30))
    assert out.verdict == "verified" and out.scope == GENERAL
    assert check_theorem31_every_eps(c.with_perm(tuple(range(7))), Ball(30)).verdict == "refuted"
    wide = KLConstruction(c.turns, np.full_like(c.jitter, 1.01 * np.pi / c.K), c.radii, c.perm)
    refuted = check_theorem31_every_eps(wide, Ball(30))
    assert refuted.verdict == "refuted"
    assert refuted.evidence["in the family of thm3.1-kl-bound"]["verdict"] == "refuted"


def test_nll_variants_are_refuted() -> None:
    c = grid(4)
    steep = lambda c, rho, P: nll_bound(c, rho, P) * P.exp(np.array([-2 * P.scalar(rho)], dtype=object))[0]  # noqa: E731
    assert check_nll(c, ("1e-3",), Ball(30), bound=steep).verdict == "refuted"
    wrong = (c.classes + 1) % c.K
    assert check_nll(c, ("1e-3",), Ball(30), classes=wrong).verdict == "refuted"


def test_scale_invariance_fails_when_rho_enters_the_embeddings() -> None:
    c = paper_random(0, per_class=5)

    def drifting(rho, P):
        """A false family: model 2's embedding drifts towards model 1's as ρ grows."""
        f, g, f2, g2 = c.arrays(rho, P)
        w = P.scalar(rho) / P.scalar(10)
        return f, g, f2 + w * f, g2

    sets = Sets(0, (1, 2, 3, 4, 5), 0, (1, 5))
    assert check_scale_invariance(drifting, [1, 3], sets, CTX).verdict == "refuted"
    assert check_scale_invariance(c.arrays, [1, 3], sets, CTX).verdict == "verified"


def test_root_sums_refuted_for_bad_permutations() -> None:
    assert check_root_sums(tuple(range(7))).verdict == "refuted"
    assert check_root_sums(affine_permutation(6, 3, 7)).verdict == "refuted"
    assert check_root_sums(affine_permutation(3, 1, 7)).verdict == "verified"


def test_uncorrelated_refuted_for_bad_permutations() -> None:
    c = grid(3)
    out = check_uncorrelated_certified(c.with_perm(affine_permutation(1, 1, 7)), Ball(30), input_sets=3)
    assert out.verdict == "refuted", out.evidence
    r = paper_random(0, per_class=10)
    # a rotation of the classes (not the identity, whose pair is exactly equal and so exactly m_CCA = 1)
    assert check_uncorrelated_numeric(r.with_perm(affine_permutation(1, 1, 7)), CTX).verdict == "refuted"


def test_leq_via_upper_never_refutes_from_a_bound_alone() -> None:
    P = Ball(30)
    with P.active():
        big, small, nan = P.scalar(2), P.scalar("0.1"), P.scalar(0) / P.scalar(0)
        assert leq_via_upper(big, lambda: small, P.scalar(1)).verdict == "verified"
        assert leq_via_upper(big, lambda: nan, P.scalar(1)).verdict == "undecided"
        assert leq_via_upper(big, lambda: big, P.scalar(1)).verdict == "refuted"


def test_table1_variants_are_refuted() -> None:
    c = paper_random(0, per_class=10)  # the draw of the default check
    ctx = Context(dps=20, seed=0)
    rhos = [1, 2, 10, 20]
    assert check_table1(c, rhos, ctx).verdict == "verified"
    assert check_table1(c, rhos, ctx, decreasing_from=1).verdict == "refuted"  # rises 1 → 2
    assert check_table1(c, rhos, ctx, rise=(2, 10)).verdict == "refuted"  # falls 2 → 10
    assert check_table1(c, rhos, ctx, kl_at=(20, 5e-5, 0.05)).verdict == "refuted"
    assert check_table1(c, rhos, ctx, llv_near=(1.5, 0.01)).verdict == "refuted"
    assert check_table1(c, [2, 10], ctx, llv_min=2.0).verdict == "refuted"
    assert check_table1(c, [2, 10, 20], ctx).verdict == "undecided"  # the rise needs rho = 1


def test_float_accuracy_variants_are_refuted() -> None:
    c = paper_random(0, per_class=4)
    ok = check_float_accuracy(c, [1, 20], 30, sweep=[60, 120, 150, 200])
    assert ok.verdict == "verified", ok.evidence
    assert check_float_accuracy(c, [1, 20], 30, tol32=1e-10, underflow_rho=None).verdict == "refuted"
    assert check_float_accuracy(c, [1], 30, sweep=[120], tol32_normal=1e-8,
                                     underflow_rho=None).verdict == "refuted"
    assert check_float_accuracy(c, [1], 30, underflow_rho=30).verdict == "refuted"  # no underflow yet
    assert check_float_accuracy(c, [1], 30, underflow_range=(1e-50, 1e-49)).verdict == "refuted"


def test_phenomenon_search_finds_pairs_and_cannot_beat_one() -> None:
    assert phenomenon_outcome(1e-3, 0.5, 8, 0, 20).verdict == "verified"
    assert phenomenon_outcome(1e-3, 1.01, 4, 0, 20).verdict == "undecided"  # d_fg ≤ 1 always


def test_search_kl_cli_json_and_save(tmp_path, capsys) -> None:
    assert main(["search", "kl", "--eps", "1e-3", "--examples", "6", "--keep", "2", "--dps", "20", "--json",
                 "--save", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "closeness-search/1" and out["target"] == "kl" and out["seed"] == 0
    assert {"best", "violations", "examples"} <= set(out)
    for rec in out["best"]:
        assert rec["d_kl"] <= 1e-3 and "high_precision" in rec
    a = load_model(tmp_path / "pair0_a.npz")
    assert a.K <= 8 and a.M in (2, 3)
    assert main(["compare", str(tmp_path / "pair0_a.npz"), str(tmp_path / "pair0_b.npz"), "--json"]) == 0
    cmp = json.loads(capsys.readouterr().out)
    assert float(cmp["d_fg"]) == pytest.approx(out["best"][0]["d_fg"], rel=1e-9)


def _kl_weighted_by_p2(ell, ell2, P=FLOAT64, w=None):
    """False variant of d_KL: weighted by p' instead of p (``= −KL(p'‖p) ≤ 0``)."""
    with P.active():
        per_input = (P.exp(ell2) * (ell - ell2)).sum(axis=1)
        return per_input.sum() / P.scalar(ell.shape[0])


def test_theorem31_refutes_a_negative_d_kl(monkeypatch: pytest.MonkeyPatch) -> None:
    """A d_KL weighted by p' is negative, hence ≤ ε: only the certified 0 ≤ d_KL catches it."""
    monkeypatch.setattr(sec3_common, "d_kl", _kl_weighted_by_p2)
    out = check_theorem31(grid(4), ("1e-3",), Ball(30))
    assert out.verdict == "refuted"
    assert out.evidence["eps=1e-3"]["0 <= kl_ab"]["verdict"] == "refuted"
    assert out.evidence["eps=1e-3"]["kl_ab <= eps"]["verdict"] == "verified"
    num = check_theorem31_numeric(paper_random(0, per_class=10), CTX)
    assert num.verdict == "refuted" and num.evidence["0 <= d_kl"]["verdict"] == "refuted"


def test_theorem31_numeric_refutes_too_small_a_rho() -> None:
    c = paper_random(0, per_class=10)
    assert check_theorem31_numeric(c, CTX).verdict == "verified"
    out = check_theorem31_numeric(c, CTX, rho=5)
    assert out.verdict == "refuted" and out.evidence["d_kl <= 1e-10"]["verdict"] == "refuted"


def test_rho_eps_symbolic_checks_the_convexity_of_q() -> None:
    tan = dkl.tangent_inequality()
    assert check_rho_eps_symbolic(tan).verdict == "verified"
    concave = check_rho_eps_symbolic({**tan, "d2q": -tan["d2q"]})  # u ≥ e^{u−1} would follow
    assert concave.verdict == "refuted" and concave.evidence["q'' > 0"]["verdict"] == "refuted"
    unknown = check_rho_eps_symbolic({**tan, "d2q": sp.cos(dkl.u)})
    assert unknown.verdict == "undecided"


def test_rho_eps_symbolic_checks_each_threshold_step() -> None:
    """Every step from ρ(ε) and ρ*(ε) to 'for every larger ρ' is computed: a wrong derivative of A
    (so A would not decrease) or a ρ* before the peak of B is refuted."""
    steps = dkl.rho_eps_steps()
    assert all(v == 0 for v in steps.values())
    wrong_a = {**steps, "A' + (Delta/2) A": sp.diff(dkl.kl_bound_expr(), dkl.rho)}
    assert check_rho_eps_symbolic(steps=wrong_a).verdict == "refuted"
    early = {**steps, "rho* - rho_p + (W + 1)/(2 b r_max)": 1 / dkl.delta}
    assert check_rho_eps_symbolic(steps=early).verdict == "refuted"


def test_table1_reports_where_its_reference_values_come_from() -> None:
    claim = all_claims()["table1-shape"]
    assert "authors' code" in claim.statement and "not from the printed Table 1" in claim.statement
    assert "500 inputs per class" in TABLE1_REFERENCE and "seed 0" in TABLE1_REFERENCE


def test_assembly_ties_the_constant_to_step_3() -> None:
    """With the bracket built from the step-3 certificate, the assembly fails for any constant but 2."""
    out = check_certificates(dkl.kl_inequality_steps(tail_factor=1))
    assert out.verdict == "refuted"
    assert out.evidence["KL <= S' + 2 rho r_max S"]["verdict"] == "refuted"
    assert out.evidence["d_l - d'_l <= 2 rho r_max"]["verdict"] == "verified"


def _wrong_margin(c, P=FLOAT64):
    """A wrong margin: 1.5 Δ."""
    with P.active():
        return margin(c, P) * P.scalar("1.5")


@pytest.mark.parametrize("name", ["margin", "kl_bound"])
def test_kl_bound_symbolic_notices_a_wrong_delta_or_bound(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    import theory.counterexample as cx

    symbolic = all_claims()["thm3.1-kl-bound"].methods["symbolic"]
    check = check_bound_matches_construction
    assert check(grid(4), [1, 20], 30).verdict == "verified"
    wrong = _wrong_margin if name == "margin" else _too_steep(1.01)
    monkeypatch.setattr(cx, name, wrong)
    assert check(grid(4), [1, 20], 30).verdict == "refuted"
    assert symbolic(CTX).verdict != "verified"


def test_kl_bound_sharp_refutes_a_too_sharp_bound() -> None:
    c = grid(4)
    assert check_kl_bound_sharp(c, [5, 20], Ball(30)).verdict == "verified"
    halved = lambda c, rho, P: _sharp(c, rho, P) / 100  # noqa: E731
    out = check_kl_bound_sharp(c, [5, 20], Ball(30), sharp=halved)
    assert out.verdict == "refuted" and out.evidence["d_kl <= sharp"]["verdict"] == "refuted"


def test_nll_symbolic_refutes_a_growing_bound() -> None:
    assert check_nll_symbolic().verdict == "verified"
    assert check_nll_symbolic(dkl.limits_to_zero(exponent_factor=-1)).verdict == "refuted"


def test_scale_symbolic_refutes_centring_only() -> None:
    assert check_scale_symbolic(grid(2).arrays).verdict == "verified"
    out = check_scale_symbolic(grid(2).arrays, normalise=False)
    assert out.verdict == "refuted" and "standardise(s v) - standardise(v), symbolic n" in out.evidence["witness"]


def test_scale_symbolic_refutes_embeddings_that_move_with_rho() -> None:
    c = grid(2)

    def drifting(rho, P):
        f, g, f2, g2 = c.arrays(rho, P)
        return f * rho, g, f2, g2

    assert check_scale_symbolic(drifting).verdict == "refuted"


def test_affine_classification_refutes_a_wrong_list() -> None:
    assert check_affine_classification().verdict == "verified"
    assert check_affine_classification(vanishing_a=(2, 3, 4, 5, 6)).verdict == "refuted"


def test_section3_claims_state_premises_and_scope() -> None:
    claims = all_claims()
    assert set(claims["thm3.1-small-kl-dissimilar"].depends_on) >= {
        "thm3.1-kl-bound", "thm3.1-rho-eps", "sec3-scale-invariance"}
    assert "thm3.1-kl-bound" in claims["cor3.2-nll"].depends_on
    for cid in ("thm3.1-rho-eps", "cor3.2-nll", "sec3-root-of-unity", "sec3-scale-invariance"):
        out = claims[cid].methods["symbolic"](CTX)
        assert "scope" in out.evidence, cid
    assert claims["thm3.1-rho-eps"].methods["symbolic"](CTX).evidence["scope"] == "general"
    assert claims["sec3-root-of-unity"].methods["symbolic"](CTX).evidence["scope"].startswith("instances (K = 7")
