# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Identifiability (Section 2): recover `A`, then break diversity
#
# Nielsen et al., NeurIPS 2025, **Theorem 2.2**: if `(f, g)` satisfies the diversity condition
# (**Def 2.1**), then `p_{f,g} = p_{f',g'}` iff `f(x) = A f'(x)` and `g_0(y) = A^{-T} g'_0(y)` for one
# invertible `A`; the proof gives `A = L^{-T} L'^{T}` and `A^{-T} = N^{-T} N'^{T}`.
#
# 1. transform a random model by a known `A` and check that the distribution does not move;
# 2. recover `A` through `L, L'` and through `N, N'`, and from the two distributions plus `M + 1`
#    anchor embeddings, at float64 and at 50 digits;
# 3. show that the distribution alone fixes the embeddings up to that map: the log-odds
#    `ℓ(y_i|x) − ℓ(y_0|x)` read off `p` equal `Lᵀf(x)`, and every distance of the paper is 0;
# 4. break diversity (unembeddings on a line) and watch two models with *equal* distributions whose
#    embeddings are not linearly related.
#
# Claims: `closeness verify --claim def2.1 --claim thm2.2 --claim sec2` (ids in the README table).

# %% tags=["parameters"]
seed = 0
n = 40  # inputs
K = 5  # labels
M = 2  # representation dimension
dps = 50  # digits for the high-precision recovery

# %%
# ruff: noqa: E402 - the parameters cell comes before the imports
import matplotlib.pyplot as plt
import numpy as np

from theory.compare import compare
from theory.distances import Sets, m_cca
from theory.identifiability import (
    diversity,
    embeddings_from_distribution,
    equivalent_model_arrays,
    exact_affine_rank,
    exact_equal_distributions,
    exact_linear_relation,
    input_matrix,
    inverse_transpose,
    label_log_ratios,
    label_matrix,
    recover_A,
)
from theory.model import Model, log_probs
from theory.precision import FLOAT64, MP
from theory.selection import default_sets

rng = np.random.default_rng(seed)

# %% [markdown]
# ## 1. A model and its image under `A`
# `equivalent_model_arrays` builds `f' = A^{-1} f` and `g' = Aᵀ g + b` (a common shift `b` of all
# unembeddings changes no probability), so that `f = A f'` and `g_0 = A^{-T} g'_0`.

# %%
f = rng.standard_normal((n, M))
g = rng.standard_normal((K, M))
A = rng.standard_normal((M, M)) + 2 * np.eye(M)
shift = rng.standard_normal(M)
f2, g2 = equivalent_model_arrays(f, g, A, shift)
p1, p2 = Model(f, g), Model(f2, g2)
print("max |ℓ − ℓ'| =", np.max(np.abs(log_probs(p1) - log_probs(p2))))
div = diversity(f, g)
print("diversity (Def 2.1):", div.holds, "labels y_0..y_M =", div.labels, "inputs x_0..x_M =", div.inputs)

# %% [markdown]
# ## 2. Recover `A`
# With the witnessing labels `y_0..y_M` and inputs `x_0..x_M` of diversity, the proof gives
# `A = L^{-T} L'^{T}` and `A^{-T} = N^{-T} N'^{T}`.

# %%
sets = Sets(div.labels[0], tuple(div.labels[1:]), div.inputs[0], tuple(div.inputs[1:]))
L, L2 = label_matrix(g, sets.pivot_label, sets.labels), label_matrix(g2, sets.pivot_label, sets.labels)
N, N2 = input_matrix(f, sets.pivot_input, sets.inputs), input_matrix(f2, sets.pivot_input, sets.inputs)
print("A used:\n", A)
print("max error of L^{-T} L'^T:", np.max(np.abs(np.linalg.solve(L.T, L2.T) - A)))
print("max error of N^{-T} N'^T against A^{-T}:", np.max(np.abs(np.linalg.solve(N.T, N2.T) - inverse_transpose(A))))

# %% [markdown]
# **From the distributions alone.** The log-probability tables determine the anchor matrix
# `D = LᵀN` (`D[i,j] = ℓ(y_i|x_j) − ℓ(y_0|x_j) − ℓ(y_i|x_0) + ℓ(y_0|x_0)`), so `A = N D^{-1} D' N'^{-1}`
# needs only `ℓ, ℓ'` and the `M + 1` anchor embeddings of each model, and every other embedding then
# follows from the distribution: `f(x) = N D^{-1} R(x)` with the log-odds `R(x) = ℓ(y_i|x) − ℓ(y_0|x)`.
# The same at `dps` digits (mpmath) shows the identities are exact, not a float64 coincidence.

# %%
for P in (FLOAT64, MP(dps)):
    with P.active():
        f2_p, g2_p = equivalent_model_arrays(f, g, A, shift, P)  # the image under A, at precision P
        lp, lp2 = log_probs(p1, P), log_probs(Model(f2_p, g2_p), P)
        n_anchor = input_matrix(f, sets.pivot_input, sets.inputs, P)
        n_anchor2 = input_matrix(f2_p, sets.pivot_input, sets.inputs, P)
        A_rec = recover_A(lp, lp2, sets, n_anchor, n_anchor2, P)
        f_rec = embeddings_from_distribution(lp, sets, n_anchor, P)
        err_a = max(abs(v) for v in (A_rec - P.array(A)).ravel())
        err_f = max(abs(v) for v in (f_rec - P.array(f)).ravel())
    print(f"{P.kind:>8} ({P.dps} digits): |A_recovered − A| = {float(err_a):.2e}, "
          f"|f from p − f| = {float(err_f):.2e}")

# %% [markdown]
# ## 3. The distribution alone fixes `f` up to `L^{-T}`
# The log-odds against the pivot label are read off `p`; they equal `Lᵀ f(x)` for model 1 and
# `L'ᵀ f'(x)` for model 2, so `f = L^{-T}(log-odds) = A f'`.

# %%
log_odds = label_log_ratios(log_probs(p1), sets.pivot_label, sets.labels)
print("max |log-odds − Lᵀf| =", np.max(np.abs(log_odds - f @ L)))
print("max |log-odds − L'ᵀf'| =", np.max(np.abs(log_odds - np.asarray(f2, float) @ L2)))
print("m_CCA(f, f') =", float(m_cca(f, np.asarray(f2, float))), "(1: linearly related)")

# %% [markdown]
# Every distance of the paper sees the two models as one (`sec4-invariance`): `d_KL`, `d_LLV` and
# `d_{f,g}` vanish and `m_CCA = 1`.

# %%
same = compare(p1, p2, default_sets(p1, p2)).values
print(f"d_KL = {float(same['d_kl_ab']):.1e}, d_LLV = {float(same['d_llv']):.1e}, "
      f"d_fg = {float(same['fg'].value):.1e}, m_CCA = {float(same['m_cca']):.12f}")

# %% [markdown]
# ## 4. Without diversity, equal distributions do not imply `~_L`
# Put every unembedding on the line through `v`: `g(y) = c_y v`. The logits `c_y vᵀf(x)` see only
# the projection of `f` on `v`, so moving each embedding along `w ⊥ v` by a *non-linear* amount
# `t(x)` leaves `p` unchanged, while no matrix `A` at all maps `f'` to `f`. Both facts are decided
# exactly over the rationals (every float is an exact binary fraction).

# %%
v, w = np.array([1.0, 0.0]), np.array([0.0, 1.0])
g_line = rng.standard_normal(K)[:, None] * v[None, :]
f_line = rng.standard_normal((n, M))
t = 0.8 * f_line[:, 0] ** 2 - f_line[:, 1]  # any non-linear function of x
f_bent = f_line + t[:, None] * w[None, :]
print("diversity of (f, g):", diversity(f_line, g_line).holds, "| affine rank of g:", exact_affine_rank(g_line))
print("equal distributions (exact):", exact_equal_distributions(f_line, g_line, f_bent, g_line)[0])
relation = exact_linear_relation(f_line, g_line, f_bent, g_line)
print(f"linear system for A: rank {relation.rank}, augmented rank {relation.augmented_rank} "
      f"→ ~_L related: {relation.related}")
print("m_CCA(f, f') =", float(m_cca(f_line, f_bent)))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
panels = [(f, np.asarray(f2, float), "diverse: f' = A⁻¹f"), (f_line, f_bent, "g on a line: f' = f + t(x)w")]
for ax, (a, b, title) in zip(axes, panels, strict=True):
    ax.scatter(a[:, 0], a[:, 1], s=12, label="f")
    ax.scatter(b[:, 0], b[:, 1], s=12, marker="x", label="f'")
    ax.set_title(title)
    ax.set_xlabel("f(x)₁")
    ax.set_ylabel("f(x)₂")
    ax.legend()
fig.tight_layout()
plt.show()
