"""What the paper defines and derives: the model family, its distances, the constructions.

Nielsen, Marconato, Dittadi, Gresele, *When Does Closeness in Distribution Imply
Representational Similarity? An Identifiability Perspective*, NeurIPS 2025 (arXiv:2506.03784).
Nothing here imports :mod:`checks`.
"""

__version__ = "0.1.0"
