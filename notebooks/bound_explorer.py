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
# # The bound explorer (Section 4): `d_{f,g}` against `d_LLV`
#
# The paper's main bound: with fixed sets making `L, L', N, N'` invertible, `d^λ_LLV ≤ ε` implies
# `d_{f,g} ≤ 2Mε`. This suite proves the sharper `[new]` bound `d_{f,g} ≤ 2ε²` (each side's
# `d_SVD ≤ 2ε²`), which implies the paper's for every `ε ≥ 0` (`2ε² ≤ 2Mε` when `ε ≤ M`, and
# `d_{f,g} ≤ 1` otherwise).
#
# Below: the constructed family of the paper's bound figure (one noise sweep per `K`), random
# diverse pairs at several distances and dimensions, and the pairs at which the quadratic bound is
# attained (sign flips for `M = 1`, permutation flips for `M = 2, 3, 4`), all against the lines `2Mε`
# and `2ε²` (the paper's Figure 16 picture).
#
# Claims: `closeness verify --claim sec4-bound --claim sec4-msvd-range` (ids in the README table);
# search for a violation with `closeness search bound --form 2Meps` or `--form 2eps2`.

# %% tags=["parameters"]
seed = 0
steps = 8  # noise levels per K in the constructed family
label_counts = (4, 5, 6, 10, 18)  # K of the constructed family (the paper's figure)
random_pairs = 40  # random diverse pairs per dimension M
dimensions = (2, 3)  # M of the random pairs
tight_dimensions = (2, 3, 4)  # M of the permutation-flip pairs attaining 2ε²
dps = 50  # digits for the exact tight pair

# %%
# ruff: noqa: E402 - the parameters cell comes before the imports
import matplotlib.pyplot as plt
import numpy as np

from theory.families import (
    TIGHT_LINEAR,
    TIGHT_QUADRATIC,
    bound_figure_family,
    evaluate_bound,
    permutation_flip_pair,
    random_diverse_pair,
    sign_flip_pair,
)
from theory.precision import MP

# %% [markdown]
# ## The points
# `evaluate_bound` gives `ε = d^λ_LLV` (λ = 1e-5, the paper's `max` form) and `d_{f,g}` of a pair with
# its fixed sets.

# %%
rows = []  # (family, M, parameter, eps, d_fg)
for K in label_counts:
    for noise, pair in bound_figure_family(K, steps=steps, seed=seed):
        s = evaluate_bound(pair)
        rows.append((f"figure family K={K}", pair.M, noise, float(s.eps), float(s.d_fg)))
rng = np.random.default_rng(seed)
for M in dimensions:
    for _ in range(random_pairs):
        closeness = float(10 ** rng.uniform(-3, 0.3))
        pair = random_diverse_pair(rng, n=20, K=M + 3, M=M, closeness=closeness)
        s = evaluate_bound(pair)
        rows.append((f"random M={M}", M, closeness, float(s.eps), float(s.d_fg)))
for name, spec in (("tight ε = 1/√5", TIGHT_QUADRATIC), ("tight ε = 1/√2", TIGHT_LINEAR)):
    pair = sign_flip_pair(*spec)
    s = evaluate_bound(pair)
    rows.append((name, pair.M, 0.0, float(s.eps), float(s.d_fg)))
for M in tight_dimensions:
    pair = permutation_flip_pair(M)
    s = evaluate_bound(pair)
    rows.append(("tight permutation flips", M, 0.0, float(s.eps), float(s.d_fg)))
print(len(rows), "pairs")

# %% [markdown]
# ## How tight is each bound?
# A ratio above 1 would refute the bound; the tight pairs reach `d_{f,g}/(2ε²) = 1`.

# %%
families = list(dict.fromkeys(r[0] for r in rows))
print(f"{'family':22s} {'pairs':>5s} {'max d_fg/(2Mε)':>15s} {'max d_fg/(2ε²)':>15s}")
for fam in families:
    sel = [r for r in rows if r[0] == fam and r[3] > 0]
    lin = max(r[4] / (2 * r[1] * r[3]) for r in sel)
    quad = max(r[4] / (2 * r[3] ** 2) for r in sel)
    print(f"{fam:22s} {len(sel):5d} {lin:15.4g} {quad:15.4g}")
assert all(r[4] <= 2 * r[3] ** 2 * (1 + 1e-9) + 1e-12 for r in rows), "a pair above 2ε²"

# %% [markdown]
# The tight pair exactly, at `dps` digits: `ε = 1/√5` and `d_{f,g} = 2/5 = 2ε²`.

# %%
P = MP(dps)
exact = evaluate_bound(sign_flip_pair(*TIGHT_QUADRATIC), P)
with P.active():
    print("ε² =", P.to_str(exact.eps**2))
    print("d_fg − 2ε² =", P.ctx.nstr(exact.d_fg - 2 * exact.eps**2, 5))

# %% [markdown]
# ## The picture

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
xmax = max(r[3] for r in rows) * 1.05
for ax, log in zip(axes, (False, True), strict=True):
    for i, fam in enumerate(families):
        sel = [r for r in rows if r[0] == fam and (not log or (r[3] > 0 and r[4] > 0))]
        marker = "*" if fam.startswith("tight") else "x" if fam.startswith("random") else "o"
        ax.scatter([r[3] for r in sel], [r[4] for r in sel], s=60 if marker == "*" else 14,
                   marker=marker, color=f"C{i % 10}", label=fam)
    eps = np.geomspace(1e-4, xmax, 200) if log else np.linspace(0, xmax, 200)
    for M, style in zip(sorted({r[1] for r in rows}), ("-.", "--", ":", "-"), strict=False):
        ax.plot(eps, 2 * M * eps, "k" + style, lw=1, label=f"2Mε, M={M}")
    ax.plot(eps, 2 * eps**2, color="crimson", lw=1.2, label="2ε² [new]")
    if log:
        ax.set(xscale="log", yscale="log", ylim=(1e-8, 2), title="log–log")
    else:
        ax.set(ylim=(0, 1.05), title="linear")
    ax.set_xlabel("d_LLV (λ = 1e-5)")
    ax.set_ylabel("d_{f,g}")
axes[1].legend(fontsize=6, loc="lower right", ncol=2)
fig.tight_layout()
plt.show()
