"""``python -m sctforecast`` is the ``sctforecast`` command."""

import sys

from sctforecast.cli import main

sys.exit(main())
