"""The one error type for unusable derivation files."""

from __future__ import annotations


class DerivationFileError(ValueError):
    """Unusable input: ``file:line:column: step k: what is wrong``."""

    def __init__(
        self,
        path: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        step: int | None = None,
    ) -> None:
        self.path, self.message = path, message
        self.line, self.column, self.step = line, column, step
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        step = f" step {self.step}:" if self.step is not None else ""
        return f"{where}:{step} {self.message}"
