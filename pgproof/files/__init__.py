"""Derivation files on disk: bounded reads, line tracking, display chains, the TOML schema.

* :mod:`.errors`   :class:`DerivationFileError` (``file:line:column: step k: message``);
* :mod:`.read`     reading a file as UTF-8 text, with a size cap, refusing what is not a file;
* :mod:`.lines`    where a key or a step sits in the file (for error messages and reports);
* :mod:`.chains`   what a display chain ``a = b = c`` means as one step;
* :mod:`.derivation_file`  the ``*.pgproof.toml`` schema → a ``Derivation``.
"""

from .derivation_file import SUFFIX, derivation_files, load_derivation
from .errors import DerivationFileError

__all__ = ["SUFFIX", "DerivationFileError", "derivation_files", "load_derivation"]
