"""pgproof's trusted kernel: binders, substitution and (to come) the judge.

It imports only the standard library, SymPy and itself."""
