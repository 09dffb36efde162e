"""One place for the library's constants."""

#: Default central interval probability (passed explicitly to ArviZ, never its default).
DEFAULT_CI_PROB = 0.9
#: Second interval shown in fan charts.
INNER_CI_PROB = 0.5
#: Dimension names.
DRAW_DIM = "draw"
MONTH_DIM = "month"
TYPE_DIM = "placement_type"
YEAR_DIM = "financial_year"
#: Days in a week, for weekly unit costs.
DAYS_PER_WEEK = 7


def interval_bounds(ci_prob: float = DEFAULT_CI_PROB) -> tuple[float, float]:
    """Lower and upper quantiles of a central interval: 0.9 gives (0.05, 0.95).

    The one place intervals are turned into quantiles; raises ``ValueError``
    (a :class:`sctforecast.ConfigError`) for a probability outside (0, 1).
    """
    if not isinstance(ci_prob, int | float) or not 0 < ci_prob < 1:
        from sctforecast.errors import ConfigError

        raise ConfigError(f"ci_prob must be between 0 and 1, got {ci_prob!r}")
    tail = (1.0 - float(ci_prob)) / 2.0
    return tail, 1.0 - tail
