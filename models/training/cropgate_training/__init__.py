"""cropgate-training: the recipe that makes cropgate's embedder, reference and test vectors."""
__version__ = "0.1.0"
