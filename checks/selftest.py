"""The checks checked: planted bugs in ``theory/`` that ``closeness verify`` must catch.

Each :class:`Mutant` is one small named change to the source of one function (or method) of
``theory/``: its edits replace text that must occur exactly once in that function's current
source.  :func:`applied` compiles the changed source in the function's own module and installs it
wherever the original is looked up -- for a module-level function every module attribute that *is*
the original object (so ``from theory.distances import d_fg`` copies are patched too) and every
default argument of a ``theory``/``checks`` function that is it (``def check(…, bound=kl_bound)``),
for a method the attribute of the named class -- and restores everything afterwards.

:func:`run_mutant` runs the mutant's claims (ids or prefixes, as ``closeness verify --claim``
takes them) with the mutant applied, every method but ``formal`` (Coq proofs do not run the
Python of ``theory/``).  The mutant is **killed** when some claim that is verified
without any mutant is not verified with it (refuted, undecided or error); it **survives** when all
of them stay verified; it is **stale** when its edits no longer match the source (the function was
rewritten: the catalogue must follow).  A claim that is not verified without the mutant (see
:class:`Baseline`) never counts as a kill.  Cached results (``functools`` caches of ``theory`` and
``checks``) are cleared before and after each mutant, so no value computed with or without it
leaks across; warnings are ignored, as ``closeness verify`` never turns one into a verdict.
"""

from __future__ import annotations

import __future__

import importlib
import inspect
import linecache
import sys
import textwrap
import time
import types
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from checks.registry import METHODS, Context, all_claims
from checks.runner import run_claims
from theory.errors import ClosenessError

__all__ = [
    "Mutant",
    "MutantResult",
    "Baseline",
    "StaleMutantError",
    "CATALOGUE",
    "by_name",
    "mutated_function",
    "applied",
    "run_mutant",
    "SCHEMA",
]

SCHEMA = "closeness-selftest/1"

#: Packages whose module attributes may hold copies of a target and whose caches are cleared.
PACKAGES = ("theory", "checks")

#: The methods run under a mutant: all but ``formal``, whose kernel-checked proofs never execute
#: the Python of ``theory/`` (a mutant cannot change them) and whose first run compiles the Coq project.
MUTABLE_METHODS = tuple(m for m in METHODS if m != "formal")


class StaleMutantError(ClosenessError):
    """A mutant's edits no longer match its target's source."""


@dataclass(frozen=True)
class Mutant:
    """A planted bug: ``edits`` (old, new) applied to the source of ``target``
    (``"module:function"`` or ``"module:Class.method"``), expected to break ``claims``."""

    name: str
    description: str
    target: str
    edits: tuple[tuple[str, str], ...]
    claims: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "target": self.target,
            "edits": [{"old": old, "new": new} for old, new in self.edits],
            "claims": list(self.claims),
        }


# --------------------------------------------------------------------------------------------
# the catalogue
# --------------------------------------------------------------------------------------------
CATALOGUE: tuple[Mutant, ...] = (
    Mutant(
        "msvd-top-singular-value",
        "m_SVD is the largest singular value of Cov(ũ, ũ') instead of their mean",
        "theory.distances:m_svd",
        (("return P.nuclear_norm(cross_covariance(u, v, P, w, ddof=ddof)) / P.scalar(u.shape[1])",
          "return P.max(P.svdvals(cross_covariance(u, v, P, w, ddof=ddof)))"),),
        ("sec1-", "sec4-msvd-range", "impl-similarity-exact"),
    ),
    Mutant(
        "llv-unstandardised",
        "a_y and b_y of d_LLV compare ℓ and ℓ' without dividing by σ_y, σ'_y",
        "theory.distances:label_terms",
        (("a = sd(P.divide(ell[:, sy], sigma) - P.divide(ell2[:, sy], sigma2),", "a = sd(ell[:, sy] - ell2[:, sy],"),
         ("b = sd(P.divide(ell[:, [y0]], sigma) - P.divide(ell2[:, [y0]], sigma2),",
          "b = sd(ell[:, [y0]] - ell2[:, [y0]],")),
        ("sec4-bound-sd-difference", "sec4-bound-tight", "sec4-invariance"),
    ),
    Mutant(
        "log-odds-unpivoted",
        "the log-odds shared by d_LLV's σ_y and d_{f,g}'s f side are ℓ(y|x), without subtracting ℓ(y_0|x)",
        "theory.distances:label_log_odds",
        (("return log_odds(ell[:, list(labels)] - ell[:, [pivot]], P, w, ddof)",
          "return log_odds(ell[:, list(labels)], P, w, ddof)"),),
        ("impl-streamed-path", "sec4-bound-tight"),
    ),
    Mutant(
        "llv-lambda-dropped",
        "d_LLV (max mode) takes T3 and T4 without the factor λ",
        "theory.distances:d_llv",
        (("np.array([t1, t2, lam_p * t3, lam_p * t4], dtype=object)", "np.array([t1, t2, t3, t4], dtype=object)"),),
        ("sec4-llv-lambda-needed", "sec4-kl-llv-incomparable"),
    ),
    Mutant(
        "fg-min-over-subsets",
        "d_{f,g} takes the minimum of d_SVD over the M-subsets of S_Y instead of the maximum (in memory)",
        "theory.distances:d_fg",
        (("sides = np.array([d for _, d in f_side] + [g_side], dtype=object)",
          "sides = np.array([min((d for _, d in f_side), key=float), g_side], dtype=object)"),),
        ("sec4-bound-sharp", "sec4-bound-tight-every-M", "sec4-bound"),
    ),
    Mutant(
        "stream-fg-min-over-subsets",
        "the streamed d_{f,g} takes the minimum of d_SVD over the M-subsets of S_Y instead of the maximum",
        "theory.streaming:_fg_from_moments",
        (("sides = [d for _, d in f_side] + [g_side]", "sides = [min(d for _, d in f_side), g_side]"),),
        ("impl-streamed-path",),
    ),
    Mutant(
        "fg-sample-covariance",
        "the f side of d_{f,g} divides the cross-covariance by n − 1 (sample) while the SDs stay population",
        "theory.distances:fg_label_side",
        (("cov = cov / P.scalar(uc.shape[0])", "cov = cov / P.scalar(uc.shape[0] - 1)"),),
        ("sec4-bound-tight", "sec4-bound-tight-every-M", "sec3-scale-invariance"),
    ),
    Mutant(
        "log-softmax-unnormalised",
        "log_softmax returns the max-shifted logits without subtracting log Σ e^z",
        "theory.model:log_softmax",
        (("return d - P.log1p(e.sum(axis=1))[:, None]", "return d"),),
        ("thm2.2-if", "thm3.1-kl-bound", "sec4-bound-logratio", "sec4-kl-llv-incomparable"),
    ),
    Mutant(
        "softmax-probs-unnormalised",
        "the probabilities that compare's d_KL weighs by are e^{z − z_max} without the division by their sum",
        "theory.model:log_softmax_and_probs",
        (("p = e * r[:, None]", "p = e"),),
        ("impl-streamed-path",),
    ),
    Mutant(
        "kl-directions-swapped",
        "d_kl(ℓ, ℓ') computes KL(p'‖p) instead of KL(p‖p')",
        "theory.distances:d_kl",
        (("p = P.exp(ell) if probs is None else probs", "p = P.exp(ell2)"),
         ("return _expected_log_ratio(p, ell - ell2, P, w)", "return _expected_log_ratio(p, ell2 - ell, P, w)")),
        ("thm3.1-kl-bound", "sec4-kl-llv-incomparable"),
    ),
    Mutant(
        "kl-reverse-unsigned",
        "compare's d_KL(p', p), taken from the shared ℓ − ℓ', forgets the sign of ℓ' − ℓ = −(ℓ − ℓ')",
        "theory.distances:d_kl_pair",
        (("-_expected_log_ratio(probs[1], diff, P, w)", "_expected_log_ratio(probs[1], diff, P, w)"),),
        ("impl-streamed-path",),
    ),
    Mutant(
        "divide-by-scale-product",
        "the high-precision arithmetics divide by a row of scales by multiplying by the scales themselves",
        "theory.precision:_ObjectArithmetic.divide",
        (("return x * (np.full(s.shape, self.scalar(1), dtype=object) / s)", "return x * s"),),
        ("sec4-bound-tight",),
    ),
    Mutant(
        "kl-weighted-by-p2",
        "d_KL weights the log-ratio ℓ − ℓ' by p' instead of p",
        "theory.distances:d_kl",
        (("p = P.exp(ell) if probs is None else probs", "p = P.exp(ell2)"),),
        ("thm3.1-kl-bound", "sec4-kl-llv-incomparable"),
    ),
    Mutant(
        "mp-at-float64",
        "MP(dps) reports dps digits but its context computes at 15 (float64's precision)",
        "theory.precision:MP.__init__",
        (("self.ctx.dps = self.dps", "self.ctx.dps = 15"),),
        ("thm2.2-if", "thm3.1-kl-bound", "table1-float-precision", "sec4-bound-tight"),
    ),
    Mutant(
        "ball-radii-dropped",
        "Ball's elementwise results (conversions, exp, log, sqrt, abs) keep only their midpoints",
        "theory.precision:Ball._map",
        (("return np.asarray(out, dtype=object)",
          "return np.asarray(np.frompyfunc(lambda v: v.mid(), 1, 1)(out), dtype=object)"),),
        ("thm2.2-if", "thm3.1-kl-bound", "sec3-uncorrelated", "sec4-bound-tight"),
    ),
    Mutant(
        "ball-scalar-unsigned",
        "Ball.scalar drops the sign of an mpf (encloses |x| instead of x)",
        "theory.precision:Ball.scalar",
        (("return arb((-int(man) if sign else int(man), int(exp)))", "return arb((int(man), int(exp)))"),),
        ("sec4-bound-cov-identity",),
    ),
    Mutant(
        "stream-block-off-by-one",
        "the streamed block loop stops one short: the last input (and the last label of the tiles) is dropped",
        "theory.streaming:_blocks",
        (("return [(lo, min(lo + size, n)) for lo in range(0, n, size)]",
          "return [(lo, min(lo + size, n - 1)) for lo in range(0, n, size)]"),),
        ("impl-streamed-path",),
    ),
    Mutant(
        "sec3-permutation-inverted",
        "the Section 3 pair permutes the unembeddings by σ⁻¹ where the embeddings use σ",
        "theory.counterexample:KLConstruction.arrays",
        (("g2 = g[perm]", "g2 = g[np.argsort(perm)]"),),
        ("thm3.1-kl-bound", "thm3.1-kl-bound-sharp", "cor3.2-nll"),
    ),
    Mutant(
        "paper-pivot-argmax",
        "the paper's label selection picks the pivot maximising T1 instead of minimising it",
        "theory.selection:paper_labels",
        (("best: tuple[float, int, int] = (np.inf, -1, -1)", "best: tuple[float, int, int] = (-np.inf, -1, -1)"),
         ("if t1 < best[0]:", "if t1 > best[0]:")),
        ("sec4-llv-paper-selection-not-metric", "table1-shape"),
    ),
    Mutant(
        "cca-squared",
        "m_CCA averages the squared canonical correlations instead of the correlations",
        "theory.distances:m_cca",
        (("value = P.nuclear_norm(k) / P.scalar(min(x.shape[1], y.shape[1]))",
          "value = (P.svdvals(k) ** 2).sum() / P.scalar(min(x.shape[1], y.shape[1]))"),),
        ("impl-similarity-exact", "sec3-uncorrelated"),
    ),
    # the follow-up paper: d_logit, d_rep and the bounds (theory/logit.py, theory/derivations/logit.py)
    Mutant(
        "logit-labels-uncentred",
        "d_logit uses the raw unembeddings G in place of Ĝ (not centred over labels)",
        "theory.logit:centred_unembeddings",
        (("return gg - gg.sum(axis=0) / P.scalar(gg.shape[0])", "return gg"),),
        ("followup-logit-metric",),
    ),
    Mutant(
        "logit-centred-over-inputs",
        "d_logit's logits are built from embeddings centred over inputs, f(x) − E_x f",
        "theory.logit:centred_logits",
        (("return P.array(model.f) @",
          "return (P.array(model.f) - P.array(model.f).sum(axis=0) / P.scalar(model.n)) @"),),
        ("followup-logit-metric",),
    ),
    Mutant(
        "logit-clr-uncentred",
        "the clr form of d²_logit (the one compare reports) takes ℓ₁ − ℓ₂ without centring it over labels",
        "theory.logit:d_logit_sq_clr",
        (("diff = clr(ell - ell2 if diff is None else diff, P)", "diff = ell - ell2 if diff is None else diff"),),
        ("followup-logit-metric", "impl-streamed-path"),
    ),
    Mutant(
        "logit-mean-over-labels",
        "the direct d²_logit averages the squared logit differences over labels instead of summing them",
        "theory.logit:d_logit_sq",
        (("(diff * diff).sum(axis=1), P", "(diff * diff).sum(axis=1) / P.scalar(diff.shape[1]), P"),),
        ("followup-logit-moment-form",),
    ),
    Mutant(
        "logit-direct-unweighted",
        "the direct d²_logit averages over inputs uniformly, ignoring the weights of p_D",
        "theory.logit:d_logit_sq",
        (("P, input_weights(a, P))", "P, None)"),),
        ("followup-logit-moment-form",),
    ),
    Mutant(
        "logit-moments-unweighted",
        "the moment form of d²_logit takes unweighted second moments, ignoring the weights of p_D",
        "theory.logit:d_logit_sq_moments",
        (("P, input_weights(a, P))", "P, None)"),),
        ("followup-logit-moment-form",),
    ),
    Mutant(
        "logit-cross-moment-swapped",
        "second_moments returns Σ₁₂ = E f₁f₂ᵀ where the moment form needs Σ₂₁ = E f₂f₁ᵀ",
        "theory.logit:second_moments",
        (("return s[:m, :m], s[m:, m:], s[m:, :m]", "return s[:m, :m], s[m:, m:], s[:m, m:]"),),
        ("followup-logit-moment-form",),
    ),
    Mutant(
        "stream-logit-block-skipped",
        "the streamed d²_logit starts its block loop one block in: the first block of inputs is dropped",
        "theory.logit:stream_d_logit_sq",
        (("for lo in range(0, a.n, chunk):", "for lo in range(chunk, a.n, chunk):"),),
        ("followup-logit-moment-form",),
    ),
    Mutant(
        "stream-logit-overwritten",
        "the streamed d²_logit assigns the cross moment of each block instead of adding it (only the last block stays)",
        "theory.logit:stream_d_logit_sq",
        (("s21 += wf2.T @ f1", "s21 = wf2.T @ f1"),),
        ("followup-logit-moment-form",),
    ),
    Mutant(
        "tau-lipschitz-power",
        "the constant of d²_logit ≤ C·d_KL via the Lipschitz route is 1/τ instead of 1/τ²",
        "theory.derivations.logit:kl_tau_constant",
        (('"lipschitz": 1 / tau**2', '"lipschitz": 1 / tau'),),
        ("followup-kl-tau",),
    ),
    Mutant(
        "tau-sharp-sign",
        "the sharp τ-constant has 1 − τ − τ log τ in its denominator instead of 1 − τ + τ log τ",
        "theory.derivations.logit:kl_tau_constant",
        (("(1 - tau + tau * sp.log(tau))", "(1 - tau - tau * sp.log(tau))"),),
        ("followup-kl-tau-sharp",),
    ),
    Mutant(
        "rep-map-inverted",
        "each d_rep term uses A = L₂⁻¹L₁ instead of L₁⁻¹L₂",
        "theory.logit:rep_terms",
        (("amat = P.solve_many(l1, l2)", "amat = P.solve_many(l2, l1)"),),
        ("followup-rep-bound",),
    ),
    Mutant(
        "rep-code-normalisation",
        "d²_rep divides the sum of its terms by their number twice (the normalisation of the follow-up's code)",
        "theory.logit:d_rep_sq",
        (("/ P.scalar(len(terms))", "/ P.scalar(len(terms)) ** 2"),),
        ("followup-rep-bound",),
    ),
    Mutant(
        "rep-sampled-pivot-never-last",
        "the sampled d²_rep draws its pivot from the first K − 1 labels only (a biased estimate)",
        "theory.logit:_sampled_pivot_sets",
        (("y0 = int(rng.integers(k))", "y0 = int(rng.integers(k - 1))"),),
        ("followup-rep-bound",),
    ),
    Mutant(
        "rep-sampled-stderr",
        "the sampled d²_rep reports SD/N as its standard error instead of SD/√N",
        "theory.logit:d_rep_sq",
        (("/ math.sqrt(len(mids))", "/ len(mids)"),),
        ("followup-rep-bound",),
    ),
    Mutant(
        "bound-rho-unsquared",
        "the eigenvalue-CCA bound takes the canonical correlations ρ in place of ρ² (Σ λ(1 − ρ))",
        "theory.logit:eigen_cca_bound",
        (("rho2 = P.svdvals(c @ c.T)", "rho2 = P.svdvals(c)"),),
        ("followup-bound",),
    ),
    Mutant(
        "bound-middle-centring",
        "the bound's middle step is centred (an intercept) when either λ or ρ is, not when both are",
        "theory.logit:eigen_cca_bound",
        (("both = lam_centred and rho_centred", "both = lam_centred or rho_centred"),),
        ("followup-bound",),
    ),
    Mutant(
        "kl-bound-drops-rho-term",
        "the d_KL bound of Theorem 3.1 drops the 2ρ r_max tail term (checkers bind it as a default argument)",
        "theory.counterexample:kl_bound",
        (("tails[c.perm[k]] + 2 * rp * rmax * tails[k]", "tails[c.perm[k]]"),),
        ("thm3.1-kl-bound",),
    ),
    # Section 2: L, N, the transforms by A and Theorem 2.2's recovery of A (theory/identifiability.py)
    Mutant(
        "label-matrix-transposed",
        "L has the displaced unembeddings g_0(y_i) as rows instead of columns (Lᵀ where L is meant)",
        "theory.identifiability:label_matrix",
        (("return (gg[list(labels)] - gg[[pivot]]).T", "return gg[list(labels)] - gg[[pivot]]"),),
        ("thm2.2-only-if", "sec4-bound-logratio", "sec4-bound-sharp"),
    ),
    Mutant(
        "input-matrix-unpivoted",
        "N holds the embeddings f(x_1..x_M) without subtracting the pivot input's f(x_0)",
        "theory.identifiability:input_matrix",
        (("return (ff[list(inputs)] - ff[[pivot]]).T", "return ff[list(inputs)].T"),),
        ("thm2.2-only-if", "sec4-bound-logratio", "sec4-bound-sharp"),
    ),
    Mutant(
        "recover-A-anchor-transposed",
        "Theorem 2.2's A = N D⁻¹ D' N'⁻¹ is recovered with Dᵀ in place of D = LᵀN",
        "theory.identifiability:recover_A",
        (("return P.array(n) @ P.solve(d, right)", "return P.array(n) @ P.solve(d.T, right)"),),
        ("thm2.2-only-if",),
    ),
    Mutant(
        "equivalent-embeddings-by-inverse",
        "the ~_L-equivalent model takes F' = F A⁻¹ (f' = A⁻ᵀf) instead of F' = F A⁻ᵀ (f' = A⁻¹f)",
        "theory.identifiability:equivalent_model_arrays",
        (("f2 = P.solve(aa, P.array(f).T).T", "f2 = P.solve(aa.T, P.array(f).T).T"),),
        ("sec4-invariance", "followup-logit-metric", "followup-llv-link"),
    ),
    # closeness compare: which value goes where (theory/compare.py)
    Mutant(
        "compare-odds-copy-paste",
        "compare's in-memory path takes model 1's log-odds for both models (d_LLV's σ' and d_{f,g}'s f side)",
        "theory.compare:in_memory_values",
        (("label_log_odds(ell2, sets.pivot_label, sets.labels, B, w))",
          "label_log_odds(ell, sets.pivot_label, sets.labels, B, w))"),),
        ("impl-streamed-path",),
    ),
    Mutant(
        "compare-kl-directions-swapped",
        "compare reports d_KL(p', p) under the key of d_KL(p, p') and the other way round",
        "theory.compare:in_memory_values",
        (('"d_kl_ab": kl_ab,', '"d_kl_ab": kl_ba,'), ('"d_kl_ba": kl_ba,', '"d_kl_ba": kl_ab,')),
        ("impl-streamed-path",),
    ),
    # the symbolic derivations (theory/derivations/)
    Mutant(
        "sym-paper-A-untransposed",
        "the symbolic Theorem 2.2 takes A = L⁻¹L'ᵀ instead of L⁻ᵀL'ᵀ",
        "theory.derivations.identifiability:paper_A",
        (("return lab.inv().T * lab2.T", "return lab.inv() * lab2.T"),),
        ("thm2.2-only-if",),
    ),
    Mutant(
        "sym-covariance-uncentred",
        "the symbolic covariance of the bound's proof is the raw second moment E[uv] (no centring)",
        "theory.derivations.bound:_cov",
        (("cu, cv = _centre(u, w), _centre(v, w)", "cu, cv = u, v"),),
        ("sec4-bound-cov-identity", "sec4-bound-sd-difference", "sec4-msvd-range", "sec1-"),
    ),
    Mutant(
        "sym-margin-alpha-half-angle",
        "the symbolic step δ_kl ≥ Δ writes h_α − h_α_min with sin(α − α_min) for sin((α − α_min)/2)",
        "theory.derivations.kl:margin_in_alpha",
        (("* sp.sin((alpha - amin) / 2),", "* sp.sin(alpha - amin),"),),
        ("thm3.1-kl-bound",),
    ),
    Mutant(
        "sym-rho-threshold-peak",
        "the symbolic peak of the Theorem 3.1 bound is 1/Δ + 1/(2r_max) instead of 1/Δ − 1/(2r_max)",
        "theory.derivations.kl:rho_eps_steps",
        (("peak = 1 / delta - 1 / (2 * r_max)", "peak = 1 / delta + 1 / (2 * r_max)"),),
        ("thm3.1-rho-eps",),
    ),
    Mutant(
        "sym-best-constant-point",
        "√2's optimality is tested at ε = 1 instead of ε = 1/√2",
        "theory.derivations.bound:best_linear_constant",
        (("e0 = 1 / sp.sqrt(2)", "e0 = sp.Integer(1)"),),
        ("sec4-bound-implies-paper",),
    ),
    Mutant(
        "logit-grams-cross-once",
        "the moment form of d²_logit from Gram matrices subtracts tr(Ĝ₁ᵀĜ₂Σ₂₁) once, not twice",
        "theory.logit:moment_form_of_grams",
        (("- P.scalar(2) * _trace(h12 @ s21, P))", "- _trace(h12 @ s21, P))"),),
        ("followup-logit-moment-form", "followup-logit-metric", "impl-streamed-path"),
    ),
    Mutant(
        "sym-kl-bound-rho-factor",
        "the symbolic Theorem 3.1 bound is (K−1)e^{−ρΔ}(1 + ρ r_max) instead of (1 + 2ρ r_max)",
        "theory.derivations.kl:kl_bound_expr",
        (("(1 + 2 * rho * r_max)", "(1 + rho * r_max)"),),
        ("thm3.1-kl-bound", "thm3.1-rho-eps"),
    ),
    Mutant(
        "sym-llv-sample-sd",
        "the exact T1..T4 of the metric derivations take sample SDs (n − 1) where d_LLV's are population SDs",
        "theory.derivations.metric:_exact_terms",
        (("return sp.sqrt(sp.simplify(sp.expand(_var(v))))",
          "return sp.sqrt(sp.simplify(sp.expand(_var(v) * len(v) / (len(v) - 1))))"),),
        ("sec4-llv-lambda-needed", "sec4-kl-llv-incomparable"),
    ),
    # the Section 4 families (theory/families.py)
    Mutant(
        "flip-embedding-half",
        "the M-dimensional sign flip subtracts log Σ e^{f_j} once instead of twice",
        "theory.families:flip_embedding",
        (("return ff - (P.scalar(2) * lse)[:, None]", "return ff - lse[:, None]"),),
        ("sec4-bound-tight-every-M",),
    ),
    Mutant(
        "tie-perturbation-sign",
        "the tie-perturbation pair adds +β at input 4 where −β keeps SD(z + δ) = SD(z)",
        "theory.families:tie_perturbation_pair",
        (("d = np.array([P.scalar(0), beta, cc, -cc, -beta, P.scalar(0)], dtype=object)",
          "d = np.array([P.scalar(0), beta, cc, -cc, beta, P.scalar(0)], dtype=object)"),),
        ("sec4-kl-llv-incomparable",),
    ),
    # the selection of sets (theory/selection.py)
    Mutant(
        "default-labels-off-by-one",
        "the default S_Y starts at label 2: label 1 is left out beside the pivot",
        "theory.selection:default_sets",
        (("return Sets(0, tuple(range(1, a.K)), 0, inputs)", "return Sets(0, tuple(range(2, a.K)), 0, inputs)"),),
        ("followup-llv-link", "sec1-", "impl-streamed-path"),
    ),
    Mutant(
        "pivot-choices-pivot-scale",
        "the batched pivot scan divides model 2's pivot column by model 1's σ_y (b_y with σ for σ')",
        "theory.selection:pivot_choices",
        (("q -= columns[b_idx, piv][:, :, None] / s2[:, None, :]",
          "q -= columns[b_idx, piv][:, :, None] / s1[:, None, :]"),),
        ("sec5-bound-trained", "sec5-width-trend"),
    ),
    # the batched Section 5 pair tables (theory/experiments.py)
    Mutant(
        "pair-table-variance-copy-paste",
        "the batched f side standardises model 2's coordinates Lᵀf' by model 1's variances",
        "theory.experiments:_distances",
        (("var_b = np.einsum(\"bym,bmk,byk->by\", lb, stack.cov[ib, :, ib, :], lb)",
          "var_b = np.einsum(\"bym,bmk,byk->by\", la, stack.cov[ia, :, ia, :], la)"),),
        ("sec5-bound-trained", "sec5-width-trend"),
    ),
)


def by_name(names: Iterable[str] | None) -> list[Mutant]:
    """The mutants named (all when ``names`` is empty or None); an unknown name is a usage error."""
    wanted = list(names or [])
    known = {m.name: m for m in CATALOGUE}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ClosenessError(f"unknown mutant(s) {', '.join(unknown)}; `closeness selftest --list` shows them")
    return [known[n] for n in wanted] if wanted else list(CATALOGUE)


# --------------------------------------------------------------------------------------------
# applying a mutant
# --------------------------------------------------------------------------------------------
def _resolve(target: str) -> tuple[types.ModuleType, Any, str, types.FunctionType]:
    """``(module, owner, attribute, original function)`` for ``"module:name"`` or ``"module:Class.name"``."""
    module_name, _, path = target.partition(":")
    module = importlib.import_module(module_name)
    *owners, attr = path.split(".")
    owner: Any = module
    for name in owners:
        owner = getattr(owner, name)
    original = getattr(owner, attr)
    if not isinstance(original, types.FunctionType):
        raise StaleMutantError(f"{target} is not a plain function ({type(original).__name__})")
    return module, owner, attr, original


def _compile(source: str, filename: str, module: types.ModuleType, attr: str) -> types.FunctionType | None:
    """The function ``attr`` defined by ``source`` with ``module``'s globals (and its future
    imports), None if the source defines no such function."""
    code = compile(source, filename, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True)
    namespace: dict[str, Any] = {}
    exec(code, module.__dict__, namespace)
    fn = namespace.get(attr)
    return fn if isinstance(fn, types.FunctionType) else None


def _shape(code: types.CodeType) -> tuple[Any, ...]:
    """Names, variables and constants of a code object and of those nested in it (not the bytecode,
    which the interpreter specialises in place); strings up to their indentation, which dedenting a
    method's source changes in its docstring."""
    consts = tuple(_shape(c) if isinstance(c, types.CodeType) else inspect.cleandoc(c) if isinstance(c, str)
                   else repr(c) for c in code.co_consts)
    return code.co_name, code.co_names, code.co_varnames, consts


def mutated_function(mutant: Mutant) -> types.FunctionType:
    """The target compiled from its source with the mutant's edits, in the target's module globals.

    The source is read from disk; when it no longer compiles to the loaded function (the file was
    edited since it was imported) the mutant is stale rather than applied to the wrong text."""
    module, _, attr, original = _resolve(mutant.target)
    source = textwrap.dedent(inspect.getsource(original))
    if "super()" in source:
        raise StaleMutantError(f"{mutant.target} uses super(): it cannot be recompiled outside its class")
    unchanged = _compile(source, inspect.getfile(original), module, attr)
    if unchanged is None or _shape(unchanged.__code__) != _shape(original.__code__):
        raise StaleMutantError(f"{mutant.target} was edited on disk since it was imported: rerun")
    for old, new in mutant.edits:
        count = source.count(old)
        if count != 1:
            raise StaleMutantError(
                f"mutant {mutant.name}: {old!r} occurs {count} times in {mutant.target}, expected once"
            )
        source = source.replace(old, new)
    filename = f"<mutant {mutant.name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    fn = _compile(source, filename, module, attr)
    if fn is None:
        raise StaleMutantError(f"mutant {mutant.name}: the edited source no longer defines {attr}")
    fn.__qualname__ = original.__qualname__
    return fn


def _sites(owner: Any, attr: str, original: types.FunctionType) -> list[tuple[Any, str]]:
    """Where ``original`` is looked up: the class attribute of a method, or every module attribute
    of ``theory``/``checks`` (and the defining module) bound to the function itself."""
    if isinstance(owner, type):
        return [(owner, attr)]
    sites: list[tuple[Any, str]] = []
    for name, module in list(sys.modules.items()):
        if module is owner or name.split(".")[0] in PACKAGES:
            sites.extend((module, key) for key, value in list(vars(module).items()) if value is original)
    return sites


def _functions() -> Iterator[types.FunctionType]:
    """Every function defined at module level in ``theory``/``checks`` or as a method of a class there."""
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in PACKAGES:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, types.FunctionType):
                yield value
            elif isinstance(value, type) and value.__module__ == name:
                yield from (v for v in vars(value).values() if isinstance(v, types.FunctionType))


def _rebind_defaults(old: types.FunctionType, new: types.FunctionType) -> None:
    """Replace ``old`` by ``new`` among the default arguments of every function of :func:`_functions`
    (``def check(…, bound=kl_bound)`` binds the function once, at definition)."""
    for fn in _functions():
        if fn.__defaults__ and any(d is old for d in fn.__defaults__):
            fn.__defaults__ = tuple(new if d is old else d for d in fn.__defaults__)
        if fn.__kwdefaults__ and any(d is old for d in fn.__kwdefaults__.values()):
            fn.__kwdefaults__ = {k: new if d is old else d for k, d in fn.__kwdefaults__.items()}


def clear_caches() -> None:
    """Empty every ``functools`` cache held at module level in ``theory`` and ``checks``."""
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in PACKAGES:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "__wrapped__"):
                value.cache_clear()


@contextmanager
def applied(mutant: Mutant) -> Iterator[types.FunctionType]:
    """Install the mutant everywhere its target is looked up; restore the original on exit (also
    where a module imported meanwhile copied the mutant)."""
    all_claims()  # import every claim module first, so that their copies of the target are patched
    _, owner, attr, original = _resolve(mutant.target)
    replacement = mutated_function(mutant)
    sites = _sites(owner, attr, original)
    saved = [(obj, key, key in vars(obj)) for obj, key in sites]  # a class may inherit the method
    clear_caches()
    try:
        for obj, key in sites:
            setattr(obj, key, replacement)
        _rebind_defaults(original, replacement)
        yield replacement
    finally:
        _rebind_defaults(replacement, original)
        for obj, key, own in saved:
            if own:
                setattr(obj, key, original)
            else:
                delattr(obj, key)
        if not isinstance(owner, type):
            for obj, key in _sites(owner, attr, replacement):
                setattr(obj, key, original)
        clear_caches()


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
def _verdicts(ctx: Context, ids: Iterable[str] | None) -> dict[str, str]:
    """Claim verdicts of ``closeness verify`` for these ids (all when None) and the methods a mutant
    can affect (:data:`MUTABLE_METHODS`), warnings ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_claims(ctx, ids, MUTABLE_METHODS)
    return {c["id"]: c["verdict"] for c in report.claims}


class Baseline:
    """Verdicts without any mutant, computed on demand (only for claims a mutant makes fail) and kept."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.verdicts: dict[str, str] = {}

    def verified(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` (exact claim ids) verified without any mutant."""
        ids = list(ids)
        missing = [i for i in ids if i not in self.verdicts]
        if missing:
            clear_caches()
            self.verdicts.update(_verdicts(self.ctx, missing))
        return {i for i in ids if self.verdicts[i] == "verified"}


@dataclass
class MutantResult:
    """The outcome of one mutant: killed / survived / stale, the killing verdicts, the time taken."""

    mutant: Mutant
    status: str
    seconds: float
    killers: dict[str, str] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    #: Claims not verified under the mutant that are not verified without it either (no kill).
    ignored: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def explain(self) -> str:
        """One line: what happened and why."""
        if self.status == "stale":
            return f"{self.mutant.name}: stale -- {self.message}"
        if self.status == "killed":
            by = ", ".join(f"{c} ({v})" for c, v in self.killers.items())
            return f"{self.mutant.name}: killed by {by}"
        verified = ", ".join(c for c, v in self.verdicts.items() if v == "verified")
        text = f"{self.mutant.name}: SURVIVED ({self.mutant.description}); verified: {verified}"
        if self.ignored:
            others = ", ".join(f"{c} ({v})" for c, v in self.ignored.items())
            text += f"; not verified without the mutant either: {others}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.mutant.as_dict(),
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "killed_by": self.killers,
            "verdicts": self.verdicts,
            "ignored": self.ignored,
            "message": self.message,
        }


def run_mutant(mutant: Mutant, ctx: Context, baseline: Baseline, all_claims_run: bool = False) -> MutantResult:
    """Run the mutant's claims (every claim with ``all_claims_run``) with the mutant applied."""
    start = time.perf_counter()
    try:
        with applied(mutant):
            verdicts = _verdicts(ctx, None if all_claims_run else mutant.claims)
    except StaleMutantError as err:
        return MutantResult(mutant, "stale", time.perf_counter() - start, message=str(err))
    seconds = time.perf_counter() - start
    failing = {c: v for c, v in verdicts.items() if v != "verified"}
    reference = baseline.verified(failing)
    killers = {c: v for c, v in failing.items() if c in reference}
    ignored = {c: v for c, v in failing.items() if c not in reference}
    return MutantResult(mutant, "killed" if killers else "survived", seconds, killers, verdicts, ignored)
