"""Claims of Section 3 of the paper: the KL counterexample.

One module per result, imported in the order the claims are registered:

- :mod:`.kl_bound`: Theorem 3.1, quantitative: the bound on ``d_KL``, its sharper form, ``ρ(ε)``;
- :mod:`.thm31`: Theorem 3.1: small ``d_KL``, dissimilar representations;
- :mod:`.cor32`: Corollary 3.2: near-maximal likelihood;
- :mod:`.construction`: the construction: scale invariance, roots of unity, uncorrelated embeddings;
- :mod:`.table1`: Table 1 and the precision of its float32 ``d_KL``;
- :mod:`.not_one_construction`: the phenomenon beyond this construction (a search);
- :mod:`.common`: what several of them share.

Every method is a thin wrapper around a parameterised checker (``check_*``); the tests feed the
checkers false variants (a too-large exponent, a too-small ``ρ``, a permutation for which the
sums do not vanish, ...) and expect ``refuted``.

Default runs certify on the deterministic grid construction (4 inputs per class) and, for
Theorem 3.1 at ε = 1e-100, on the paper's 3500-input random draw (ball arithmetic over it takes
~0.4 s); the mpmath checks and Table 1 (ρ = 1..20; float precision ρ = 1..200) use 10–20 inputs
per class.  ``--deep`` runs every check on the paper's 500 inputs per class.
"""

# one import a line, in the order the claims are registered (the order of the report)
from checks.claims.sec3 import kl_bound
from checks.claims.sec3 import thm31
from checks.claims.sec3 import cor32
from checks.claims.sec3 import construction
from checks.claims.sec3 import table1
from checks.claims.sec3 import not_one_construction

__all__ = ["kl_bound", "thm31", "cor32", "construction", "table1", "not_one_construction"]
