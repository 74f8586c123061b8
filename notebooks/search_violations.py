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
# # Searching for violations: run, inspect, save, replay
#
# Every search of the suite is a seeded hypothesis search (no example database, so a run is
# replayable): it maximises a score whose value above 1 violates the statement under test, shrinks a
# violation to a small witness, re-verifies it at `dps` and `2·dps` digits, and saves it as two `.npz`
# models plus a JSON of the sets, replayable with `closeness compare`.
#
# 1. **"KL-closeness implies similarity"** (false by Theorem 3.1): `closeness search kl` finds small
#    pairs with `d_KL ≤ ε` and `d_{f,g} ≥ τ`, well beyond the paper's construction.
# 2. **A deliberately false bound** `d_{f,g} ≤ F·2ε²` with `F < 1`: `closeness search bound` must find a
#    violation (the sharp bound is attained), and the saved witness replays with `closeness compare`.
# 3. **The true bound** (`F = 1`): no violation; the largest ratios measure how tight it is.

# %% tags=["parameters"]
seed = 0
kl_examples = 10  # candidates of the KL search (the CLI default: 100)
keep = 3  # best KL pairs reported and re-verified
bound_examples = 20  # candidates of the bound searches (the CLI default: 200)
eps = 1e-3  # KL budget
tau = 0.5  # d_fg at or above τ counts as dissimilar
false_factor = 0.1  # F of the deliberately false bound d_fg ≤ F·2ε²
dps = 30  # digits of the re-verification (re-checked at 2·dps)
out = "search_out"  # where witnesses are saved

# %%
# ruff: noqa: E402 - the parameters cell comes before the imports
import contextlib
import io
import json
import shlex
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from checks.cli import main as closeness
from checks.search.kl import save_pairs, search_pairs
from checks.search.sec4 import search_bound


def run_cli(*argv: str) -> tuple[int, str]:
    """``closeness ARGV`` in this kernel: exit status and standard output."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = closeness(list(argv))
    return status, buf.getvalue()


# %% [markdown]
# ## 1. Small KL, dissimilar representations
# Same as `closeness search kl --eps 1e-3 --examples 10 --keep 3 --seed 0 --dps 30`.

# %%
result, best = search_pairs(eps, tau, kl_examples, seed, dps, keep=keep)
print(f"{'#':>2} {'K':>2} {'M':>2} {'ρ':>6} {'d_KL':>10} {'d_fg':>7} {'m_CCA':>7}  re-verified")
for i, b in enumerate(result.best):
    print(f"{i:>2} {b['K']:>2} {b['M']:>2} {b['rho']:>6g} {b['d_kl']:>10.3e} {b['d_fg']:>7.4f} "
          f"{b['m_cca']:>7.4f}  {b['high_precision']['confirmed']}")
print("violations of 'd_KL ≤ ε ⇒ d_fg < τ' (shrunk, re-verified):", len(result.violations))

# %% [markdown]
# ### The worst case
# Its embeddings and unembedding directions (first two coordinates), coloured by class: the second
# model sends the classes to permuted directions, which no linear map undoes.

# %%
worst, rho = best[0]
a, b = worst.models(rho)
classes = np.repeat(np.arange(worst.v.shape[0]), worst.per_class)
colours = plt.get_cmap("tab10")(np.arange(worst.v.shape[0]) % 10)
fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
for ax, model, title in ((axes[0], a, "model A"), (axes[1], b, "model B")):
    f, g = np.asarray(model.f, float), np.asarray(model.g, float)
    ax.scatter(f[:, 0], f[:, 1], color=colours[classes], s=25)
    scale = np.abs(f).max() / np.abs(g).max()
    for k, gk in enumerate(g):
        ax.plot([0, scale * gk[0]], [0, scale * gk[1]], "--", color=colours[k])
    ax.set_aspect("equal")
    ax.set_xlabel("f(x)₁ (dots); g(y) direction (dashed)")
    ax.set_ylabel("f(x)₂")
    ax.set_title(f"{title}: ρ = {rho:g}")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Save it and replay it with `closeness compare`
# The replay recomputes every distance from the saved files; `d_KL` and `d_{f,g}` must match the
# search's record.

# %%
saved = save_pairs(out, best[:1], result.best[:1])
print("saved:", saved)
status, text = run_cli("compare", *saved)
print(f"$ closeness compare {' '.join(saved)}   (exit {status})\n{text}")
status, text = run_cli("compare", *saved, "--json")
replay = json.loads(text)
record = result.best[0]
print("d_KL: search", record["d_kl"], "replay", max(replay["d_kl"]["ab"], replay["d_kl"]["ba"]))
print("d_fg: search", record["d_fg"], "replay", replay["d_fg"])
assert np.isclose(record["d_fg"], replay["d_fg"], rtol=1e-9)

# %% [markdown]
# ## 2. A deliberately false bound must be caught
# `d_{f,g} ≤ F·2ε²` with `F = false_factor` is false (the sign-flip pairs attain `d_{f,g} = 2ε²`).
# Same as `closeness search bound --form 2eps2 --factor 0.1 --examples 20 --dps 30 --save search_out`.

# %%
false = search_bound(examples=bound_examples, seed=seed, factor=false_factor, form="2eps2", dps=dps, save=out)
print("confirmed violations:", len(false.violations), "| dropped by the high-precision re-check:", false.dropped)
for v in false.violations:
    print(f"ratio {v['ratio_decimal'][:14]} at {v['dps']}/{v['check_dps']} digits: "
          f"M = {v['M']}, K = {v['K']}, n = {v['n']}, ε = {v['eps']:.4g}, d_fg = {v['d_fg']:.4g}")
assert false.violations, "a false bound went undetected"

# %% [markdown]
# Each witness is saved with the command that replays it. The search only considers pairs meeting
# the hypotheses of the bound (`L`, `L'`, `N`, `N'` invertible for the saved sets), which is also
# what `closeness compare` checks, so every witness replays in full.

# %%
replayed = 0
for i in range(len(false.violations)):
    witness = json.loads(Path(out, f"violation{i}.json").read_text())
    command = witness["pairs"][0]["replay"]
    with contextlib.redirect_stderr(io.StringIO()) as err:
        status, text = run_cli(*shlex.split(command)[1:])
    print(f"$ {command}\n(exit {status}) {err.getvalue()}{text}")
    replayed += status == 0
print(f"{replayed} of {len(false.violations)} witnesses replayed")
assert replayed == len(false.violations), "a saved witness could not be replayed"

# %% [markdown]
# ## 3. The true bound holds, and how tight it is

# %%
honest = search_bound(examples=bound_examples, seed=seed, factor=1.0, form="2eps2", dps=dps)
print("violations of d_fg ≤ 2ε²:", len(honest.violations))
for m, v in honest.extra["per_M"].items():
    print(f"M = {m}: max d_fg/(2Mε) = {v['max_ratio_2Meps']:.4f}, max d_fg/(2ε²) = {v['max_ratio_2eps2']:.4f}")
