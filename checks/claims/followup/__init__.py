"""Claims of the follow-up paper (*Logit Distance Bounds Representational Similarity*, the same
authors): the logit distance ``d_logit``, its bound on representational dissimilarity, and why KL
cannot give it.  Its text is not available here, so every claim is tagged by where it comes from:
``follow-up`` (its abstract states it), ``follow-up-code`` (only its experiment code shows it) or
``new`` (derived here), and decided by derivation.  The distances are in :mod:`theory.logit`, the
sympy derivations in :mod:`theory.derivations.logit`.

One module per result, imported in the order the claims are registered:

- :mod:`.metric`: ``d_logit`` depends only on p and is a metric on conditionals; its moment form;
- :mod:`.bound`: ``Σ λ↓(1 − ρ↓²) ≤ d²_logit`` under consistent centring, and the figure code's
  conventions that break it;
- :mod:`.rep`: ``d²_rep ≤ (M+1)·mean‖L₁⁻¹‖₂²·d²_logit``;
- :mod:`.links`: ``d_logit = 0 ⇔ d^λ_LLV = 0``, and small ``d_logit`` does not bound ``d_{f,g}``;
- :mod:`.kl`: KL bounds ``d_logit`` only with probabilities bounded below by τ;
- :mod:`.examples`: the two appendix examples;
- :mod:`.code`: the normalisation of ``d_rep`` in the authors' code;
- :mod:`.common`: scoped methods, the random pairs and the search pieces several of them share.

Every method is a thin wrapper around a parameterised checker (``check_*``) that the tests feed a
deliberately false variant (tests/test_followup_claims.py).
"""

# one import a line, in the order the claims are registered (the order of the report)
from checks.claims.followup import metric
from checks.claims.followup import bound
from checks.claims.followup import rep
from checks.claims.followup import links
from checks.claims.followup import kl
from checks.claims.followup import examples
from checks.claims.followup import code

__all__ = ["metric", "bound", "rep", "links", "kl", "examples", "code"]
