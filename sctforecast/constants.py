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
