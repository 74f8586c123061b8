"""Claims of Section 2 of the paper: Definition 2.1, Theorem 2.2, and the necessity of diversity.

One module per result, imported in the order the claims are registered:

- :mod:`.thm22_if`: Theorem 2.2, "if" (``thm2.2-if``);
- :mod:`.thm22_only_if`: Theorem 2.2, "only if" (``thm2.2-only-if``);
- :mod:`.diversity_necessary`: Theorem 2.2 fails without Definition 2.1 (``sec2-diversity-necessary``);
- :mod:`.def21_diversity`: Definition 2.1, the diversity test (``def2.1-diversity``);
- :mod:`.cases`: the exact test pairs and the seeded search both directions of Theorem 2.2 use.

Each method is a thin wrapper around a parameterised checker (``check_…``) that the tests feed
deliberately false variants (``A⁻¹`` in place of ``A⁻ᵀ``, a singular ``A``, a perturbed witness).
"""

# one import a line, in the order the claims are registered (the order of the report)
from checks.claims.sec2 import thm22_if
from checks.claims.sec2 import thm22_only_if
from checks.claims.sec2 import diversity_necessary
from checks.claims.sec2 import def21_diversity

__all__ = ["thm22_if", "thm22_only_if", "diversity_necessary", "def21_diversity"]
