"""The placement vocabulary: twelve placement types in four categories.

==============================  ===========  =====================================
placement type                  category     what it is
==============================  ===========  =====================================
residential_in_house            residential  the authority's or trust's own children's homes
residential_external            residential  private and voluntary children's homes
residential_secure              residential  secure children's homes
foster_in_house                 foster       the trust's mainstream foster carers
foster_kinship                  foster       connected persons (family and friends) carers
foster_ifa                      foster       independent fostering agencies
supported_accommodation         supported    supported accommodation / semi-independent, 16-17
supported_accommodation_uasc    supported    the same for unaccompanied asylum-seeking children
placed_with_parents             other        placed with parents or a person with parental responsibility
adoption_placement              other        placed for adoption
parent_and_child                other        parent and child placements, family centres
other_settings                  other        health settings, custody, residential schools, other
==============================  ===========  =====================================

A ground-floor module: the SSDA903 reader, the demand models and the cost model
all speak this vocabulary, and it imports nothing of the library but errors.
The mapping from SSDA903 codes to these types is :mod:`sctforecast.ssda903.codes`.
"""

from __future__ import annotations

import numpy as np

from sctforecast.errors import DataValidationError

__all__ = ["PLACEMENT_TYPES", "CATEGORIES", "CATEGORY_OF", "check_placement_types"]

PLACEMENT_TYPES: tuple[str, ...] = (
    "residential_in_house",
    "residential_external",
    "residential_secure",
    "foster_in_house",
    "foster_kinship",
    "foster_ifa",
    "supported_accommodation",
    "supported_accommodation_uasc",
    "placed_with_parents",
    "adoption_placement",
    "parent_and_child",
    "other_settings",
)
CATEGORY_OF: dict[str, str] = {
    t: (
        "residential"
        if t.startswith("residential")
        else "foster"
        if t.startswith("foster")
        else "supported"
        if t.startswith("supported")
        else "other"
    )
    for t in PLACEMENT_TYPES
}
CATEGORIES: tuple[str, ...] = ("residential", "foster", "supported", "other")


def check_placement_types(types: object, *, where: str = "") -> list[str]:
    """Return ``types`` as a list, raising if any is not a known placement type."""
    items = [str(t) for t in np.atleast_1d(np.asarray(types, dtype=object))]
    unknown = sorted({t for t in items if t not in PLACEMENT_TYPES})
    if unknown:
        loc = f"{where}: " if where else ""
        raise DataValidationError(
            f"{loc}unknown placement type(s) {', '.join(map(repr, unknown))}; "
            f"known types are {', '.join(PLACEMENT_TYPES)}"
        )
    return items
