"""Numbers as each language writes them, in texts, in the views' own figures and in charts."""

import numpy as np

from ui.numbers import chart_locale, french, percent, whole
from ui.texts import text

NARROW = "\u202f"


def test_french_groups_thousands_writes_a_decimal_comma_and_spaces_the_percent_sign():
    assert french("1,234.5%") == f"1{NARROW}234,5{NARROW}%"
    assert french("0.0312") == "0,0312"
    assert french("7") == "7"


def test_whole_numbers_and_percentages_in_each_language():
    assert whole("en", 225034) == "225,034" and whole("fr", 225034) == f"225{NARROW}034"
    assert whole("fr", np.int64(1135)) == f"1{NARROW}135"
    assert percent("en", 0.9964, 2) == "99.64%" and percent("fr", 0.9964, 2) == f"99,64{NARROW}%"
    assert percent("fr", np.float32(0.5)) == f"50,0{NARROW}%"


def test_a_french_text_writes_its_numbers_the_french_way_and_leaves_words_alone():
    assert text("fr", "confidence", p=0.967) == f"sûr à 96,7{NARROW}%"
    assert text("en", "confidence", p=0.967) == "96.7% sure"
    assert text("fr", "time_left", seconds=75.4) == "encore environ 75 s"
    # A file name with a dot and a comma is a word, not a number.
    done = text("fr", "done", accuracy=0.99, path="a,b.keras")
    assert "a,b.keras" in done and f"99,00{NARROW}%" in done


def test_french_charts_carry_the_french_number_locale_and_english_ones_none():
    spec = {"mark": "bar", "config": {"view": {"stroke": None}}}
    french_spec = chart_locale("fr", spec)
    assert french_spec["config"]["locale"]["number"]["decimal"] == ","
    assert french_spec["config"]["view"] == {"stroke": None}, "the chart's own config is kept"
    assert chart_locale("en", spec) is spec and "locale" not in spec["config"]
