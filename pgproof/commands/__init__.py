"""The ``pgproof`` subcommands, one module each.

A command module only declares its arguments (``add_parser``) and, in its ``run_*``
function, calls the library and prints the result types' own text or JSON.  Everything
heavy (SymPy, NumPy, the grammar) is imported inside ``run_*``, so ``pgproof --help`` and
``pgproof --version`` start at once.
"""
