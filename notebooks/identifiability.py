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
# 2. recover `A` from the two models through `L, L'` and, independently, through `N, N'`, at float64
#    and at 50 digits;
# 3. show that the distribution alone fixes the embeddings up to that map: the log-odds
#    `ℓ(y_i|x) − ℓ(y_0|x)` read off `p` equal `Lᵀf(x)`;
# 4. break diversity (unembeddings on a line) and watch two models with *equal* distributions whose
#    embeddings are not linearly related.
#
# Claims: `closeness verify --claim def2.1 --claim thm2.2` (ids in the README table).

# %% tags=["parameters"]
seed = 0
n = 40  # inputs
K = 5  # labels
M = 2  # representation dimension
dps = 50  # digits for the high-precision recovery

# %%
# ruff: noqa: E402 - the parameters cell comes before the imports
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from theory.distances import m_cca
from theory.identifiability import diversity, equivalent_model_arrays, input_matrix, label_matrix
from theory.model import Model, log_probs
from theory.precision import MP

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
# ## 2. Recover `A` from `L, L'` and from `N, N'`
# With the witnessing labels `y_0..y_M` and inputs `x_0..x_M` of diversity:
# `A = L^{-T} L'^{T}` and `A^{-T} = N^{-T} N'^{T}`.

# %%
y0, ys = div.labels[0], tuple(div.labels[1:])
x0, xs = div.inputs[0], tuple(div.inputs[1:])
L, L2 = label_matrix(g, y0, ys), label_matrix(g2, y0, ys)
N, N2 = input_matrix(f, x0, xs), input_matrix(f2, x0, xs)
A_from_L = np.linalg.solve(L.T, L2.T)
A_invT_from_N = np.linalg.solve(N.T, N2.T)
print("A used:\n", A)
print("A = L^{-T} L'^T:\n", A_from_L)
print("max error via L:", np.max(np.abs(A_from_L - A)))
print("max error via N (A^{-T}):", np.max(np.abs(A_invT_from_N - np.linalg.inv(A).T)))

# %% [markdown]
# The same at `dps` digits (mpmath, through the one `Arithmetic` interface): the error drops to the
# working precision, so the identity is exact, not a float64 coincidence.

# %%
P = MP(dps)
with P.active():
    f2_mp, g2_mp = equivalent_model_arrays(f, g, A, shift, P)
    L_mp, L2_mp = label_matrix(g, y0, ys, P), label_matrix(g2_mp, y0, ys, P)
    A_mp = P.solve(L_mp.T, L2_mp.T)
    err = max(abs(v) for v in (A_mp - P.array(A)).ravel())
print(f"max error of A = L^(-T) L'^T at {dps} digits:", P.ctx.nstr(err, 5))

# %% [markdown]
# ## 3. The distribution alone fixes `f` up to `L^{-T}`
# The log-odds against the pivot label are read off `p`; they equal `Lᵀ f(x)` for model 1 and
# `L'ᵀ f'(x)` for model 2, so `f = L^{-T}(log-odds) = A f'`.

# %%
ell = log_probs(p1)
log_odds = ell[:, list(ys)] - ell[:, [y0]]
print("max |log-odds − Lᵀf| =", np.max(np.abs(log_odds - f @ L)))
print("max |log-odds − L'ᵀf'| =", np.max(np.abs(log_odds - np.asarray(f2, float) @ L2)))
print("m_CCA(f, f') =", float(m_cca(f, np.asarray(f2, float))), "(1: linearly related)")

# %% [markdown]
# ## 4. Without diversity, equal distributions do not imply `~_L`
# Put every unembedding on the line through `v`: `g(y) = c_y v`. The logits `c_y vᵀf(x)` see only
# the projection of `f` on `v`, so moving each embedding along `w ⊥ v` by a *non-linear* amount
# `t(x)` leaves `p` unchanged, while no invertible `A` maps `f'` to `f`.

# %%
v, w = np.array([1.0, 0.0]), np.array([0.0, 1.0])
g_line = rng.standard_normal(K)[:, None] * v[None, :]
f_line = rng.standard_normal((n, M))
t = 0.8 * f_line[:, 0] ** 2 - f_line[:, 1]  # any non-linear function of x
f_bent = f_line + t[:, None] * w[None, :]
q1, q2 = Model(f_line, g_line), Model(f_bent, g_line)
print("diversity of (f, g):", diversity(f_line, g_line).holds)
print("max |ℓ − ℓ'| =", np.max(np.abs(log_probs(q1) - log_probs(q2))))
coef, res, *_ = np.linalg.lstsq(f_bent, f_line, rcond=None)
print("best linear fit f ≈ A f': relative residual",
      np.sqrt(res.sum()) / np.linalg.norm(f_line), "(0 for ~_L-related models)")
print("m_CCA(f, f') =", float(m_cca(f_line, f_bent)))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
panels = [(f, np.asarray(f2, float), "diverse: f' = A⁻¹f"), (f_line, f_bent, "g on a line: f' = f + t(x)w")]
for ax, (a, b, title) in zip(axes, panels, strict=True):
    ax.scatter(a[:, 0], a[:, 1], s=12, label="f")
    ax.scatter(b[:, 0], b[:, 1], s=12, marker="x", label="f'")
    ax.set_title(title)
    ax.legend()
fig.tight_layout()
fig.savefig("identifiability.png")
plt.close(fig)
