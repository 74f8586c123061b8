"""Claims of Section 5 of the paper: trained models ("wider networks are closer", and the Section 4
bound on trained pairs), decided on the models shipped with the package (:mod:`theory.shipped`).

One module per result, imported in the order the claims are registered:

- :mod:`.reproducible`: retraining a shipped model reproduces it (``sec5-shipped-reproducible``);
- :mod:`.bound`: the bound ``d_{f,g} ≤ 2M·d_LLV`` on every trained pair (``sec5-bound-trained``);
- :mod:`.trend`: wider networks are closer, the trend test (``sec5-width-trend``);
- :mod:`.digits`: the bound and the trend on real data, digit classifiers (``sec5-digits-*``);
- :mod:`.common`: the shipped models, their pair table and the grid the claims state; every claim
  reads the models through :func:`.common.shipped` (:func:`.common.stand_ins` replaces them).

The checkers (``check_*``, :func:`.trend.trend_outcome`) take the pairs or grid as arguments; the
tests feed them false variants (a too-small constant, a reversed trend, perturbed outputs).
"""

# one import a line, in the order the claims are registered (the order of the report)
from checks.claims.sec5 import reproducible
from checks.claims.sec5 import bound
from checks.claims.sec5 import trend
from checks.claims.sec5 import digits

__all__ = ["reproducible", "bound", "trend", "digits"]
