"""The exit codes of the ``sctforecast`` command (see :mod:`sctforecast.cli`)."""

EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
