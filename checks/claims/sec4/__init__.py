"""Claims of Section 4 of the paper.

One module per result, imported in the order the claims are registered:

- :mod:`.bound_steps`: the steps of the proof of the bound ``d_{f,g} ≤ 2Mε`` (``sec4-bound-*``,
  ``sec4-msvd-range``), each with a symbolic certificate from :mod:`theory.derivations.bound`;
- :mod:`.bound`: the bound itself, in the paper's form and the sharper ``2ε²``, and its hypotheses;
- :mod:`.tightness`: the bound is attained;
- :mod:`.metric`: ``d^λ_LLV`` is a metric (:mod:`theory.derivations.metric`), the role of ``λ``,
  and the paper's per-pair selection;
- :mod:`.incomparable`: ``d_KL`` and ``d_LLV`` bound neither the other;
- :mod:`.invariance`: the distances are invariant under ``~_L``;
- :mod:`.common`: the test pairs and bound checkers several of them share.

Every method is a thin wrapper around a parameterised checker (``check_*``) that the tests feed
a deliberately false variant.
"""

# one import a line, in the order the claims are registered (the order of the report)
from checks.claims.sec4 import bound_steps
from checks.claims.sec4 import bound
from checks.claims.sec4 import tightness
from checks.claims.sec4 import metric
from checks.claims.sec4 import incomparable
from checks.claims.sec4 import invariance

__all__ = ["bound_steps", "bound", "tightness", "metric", "incomparable", "invariance"]
