"""ITA categories and Fitzpatrick types at their published bounds, and their errors."""

import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.imaging.ita import ita_category, ita_to_fitzpatrick


def test_categories_and_types_at_the_bounds():
    # Chardon / Del Bino bounds: > 55 very light, > 41 light, > 28 intermediate, > 10 tan, > -30 brown
    assert [ita_category(a) for a in (56, 55, 42, 29, 11, -29, -31)] == [
        "very_light", "light", "light", "intermediate", "tan", "brown", "dark"]
    assert ita_to_fitzpatrick(60.0) == 1 and ita_to_fitzpatrick(-45.0) == 6
    assert ita_category(np.float32(30.0)) == "intermediate"  # numpy numbers are numbers


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "30", np.array([30.0, 40.0]), None])
def test_an_angle_that_is_not_one_finite_number_is_named(bad):
    with pytest.raises(DataError, match="ITA must be one finite number of degrees"):  # was a ValueError / TypeError
        ita_category(bad)
    with pytest.raises(DataError, match="ITA must be one finite number of degrees"):
        ita_to_fitzpatrick(bad)


def test_an_unknown_scheme_is_a_configuration_error():
    with pytest.raises(ConfigError, match="unknown Fitzpatrick scheme 'other'"):
        ita_to_fitzpatrick(30.0, "other")
