"""``python -m sctforecast.cli`` is the ``sctforecast`` command."""

import sys

from sctforecast.cli import main

sys.exit(main())
