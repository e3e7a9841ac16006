"""Numbers as each language writes them: 1,135 and 96.7% in English, 1 135 and 96,7 % in French.

French groups thousands with a narrow no-break space, writes a decimal comma, and sets a
narrow no-break space before the percent sign (as "10 000 images" in the page's titles).
`ui.texts.text` formats every number of a French text this way; the views use `whole` and
`percent` for the numbers they show outside a text.
"""

import numbers
import string

NARROW_SPACE = "\u202f"  # narrow no-break space: never a line break inside a number


def french(formatted):
    """An English-formatted number written the French way: '1,234.5%' -> '1 234,5 %'."""
    formatted = formatted.replace(",", NARROW_SPACE).replace(".", ",")
    return formatted[:-1] + NARROW_SPACE + "%" if formatted.endswith("%") else formatted


def localised(language, value, spec):
    """`format(value, spec)` as `language` writes numbers ('en' or 'fr')."""
    formatted = format(value, spec)
    return french(formatted) if language == "fr" else formatted


def whole(language, n):
    """A whole number with its thousands grouped: 225,034 or 225 034."""
    return localised(language, int(n), ",")


def percent(language, share, digits=1):
    """A share in [0, 1] as a percentage: 96.7% or 96,7 %."""
    return localised(language, float(share), f".{digits}%")


class FrenchNumbers(string.Formatter):
    """`str.format` that writes every number field the French way; text fields as they are."""

    def format_field(self, value, format_spec):
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            return french(format(value, format_spec))
        return super().format_field(value, format_spec)


VEGA_FRENCH = {"number": {"decimal": ",", "thousands": NARROW_SPACE, "grouping": [3],
                          "currency": ["", "\u00a0€"], "percent": NARROW_SPACE + "%"}}
"""d3-format's French number locale, with the narrow no-break spaces used above."""


def chart_locale(language, spec):
    """A Vega-Lite `spec` whose axes and tooltips write numbers as `language` does."""
    if language != "fr":
        return spec
    config = spec.get("config", {})
    return {**spec, "config": {**config, "locale": VEGA_FRENCH}}
