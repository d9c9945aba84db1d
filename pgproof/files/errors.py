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


class DerivationFileErrors(DerivationFileError):
    """Every error found in one file (or more): ``errors`` in file order; ``str()`` is one
    line per error.  The attributes of the first error are this exception's own."""

    def __init__(self, errors: list[DerivationFileError]) -> None:
        if not errors:
            raise ValueError("no errors")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.path, first.message, first.line, first.column, first.step)

    def __str__(self) -> str:
        return "\n".join(DerivationFileError.__str__(e) for e in self.errors)


class ErrorList:
    """Collects the errors of one file, so that one run reports all of them."""

    #: errors kept per file (the rest are counted in a last line)
    LIMIT = 100

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[DerivationFileError] = []

    def add(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        step: int | None = None,
        path: str | None = None,
    ) -> DerivationFileError:
        error = DerivationFileError(path or self.path, message, line, column, step)
        self.append(error)
        return error

    def append(self, error: DerivationFileError) -> None:
        if isinstance(error, DerivationFileErrors):
            for e in error.errors:
                self.append(e)
            return
        if all(str(e) != str(error) for e in self.errors):
            self.errors.append(error)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def raise_if_any(self) -> None:
        """Raise the errors, in the order of the file (lines, then columns), if any."""
        if not self.errors:
            return
        ordered = sorted(
            self.errors,
            key=lambda e: (e.path == self.path, e.line or 0, e.column or 0),
        )
        if len(ordered) > self.LIMIT:
            more = len(ordered) - self.LIMIT
            ordered = ordered[: self.LIMIT] + [
                DerivationFileError(self.path, f"… and {more} more error(s) not shown")
            ]
        if len(ordered) == 1:
            raise ordered[0]
        raise DerivationFileErrors(ordered)
