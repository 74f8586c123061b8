"""Closeness-proofs derivations (sympy), one module per result."""
