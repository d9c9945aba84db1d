"""pgproof: check derivations of the policy-gradient theorem, symbolically and numerically."""

__version__ = "0.1.0"
