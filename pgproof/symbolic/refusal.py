"""A rule's refusal (it lives in the kernel: :mod:`pgproof.kernel.refusal`)."""

from pgproof.kernel.refusal import Refusal

__all__ = ["Refusal"]
