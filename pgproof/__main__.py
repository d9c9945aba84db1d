"""``python -m pgproof``: the same as the ``pgproof`` command."""

import sys

from pgproof.cli import main

sys.exit(main())
