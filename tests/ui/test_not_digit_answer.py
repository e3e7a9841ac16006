"""The words for a drawing that does not look like a digit (ui/not_digit_answer.py), on hand-made
readings: ordinals, which marks of a number, the best guesses in each language."""

import numpy as np
import pytest

from mnist_core.reading.inference import NumberPrediction, Prediction
from ui.not_digit_answer import guesses_line, ordinal, pieces_sentence, shown_number


def reading(flags):
    """A number of len(flags) pieces, each read 3, those flagged True not digits."""
    probabilities = np.eye(10, dtype=np.float32)[3]
    image = np.zeros((28, 28), np.float32)
    digits = [Prediction(3, probabilities, image, 1.0 if flag else 0.0, flag) for flag in flags]
    return NumberPrediction(digits, [(0, 0, 1, 1)] * len(flags), False, [])


@pytest.mark.parametrize("n, english, french", [
    (1, "1st", "1re"), (2, "2nd", "2e"), (3, "3rd", "3e"), (4, "4th", "4e"), (11, "11th", "11e"),
    (12, "12th", "12e"), (13, "13th", "13e"), (21, "21st", "21e"), (22, "22nd", "22e")])
def test_ordinals_are_written_as_each_language_writes_them(n, english, french):
    assert ordinal("en", n) == english and ordinal("fr", n) == french


def test_the_marks_that_are_not_digits_are_named_from_the_left_and_counted_when_many():
    assert shown_number(reading([False, True, False, True])) == "3?3?"
    assert pieces_sentence("en", reading([True, False, True])) == (
        "The 1st and 3rd marks from the left do not look like digits.")
    assert pieces_sentence("fr", reading([False, True, True, False, True])) == (
        "Les 2e, 3e et 5e marques en partant de la gauche ne ressemblent pas à des chiffres.")
    many = reading([True] * 5 + [False] * 44)
    assert pieces_sentence("en", many) == "5 of the 49 marks do not look like digits (shown as ?)."
    assert pieces_sentence("fr", many) == (
        "5 des 49 marques ne ressemblent pas à des chiffres (notées «\u00a0?\u00a0»).")


def test_best_guesses_are_the_three_likeliest_digits_in_the_pages_number_format():
    probabilities = np.array([0.2, 0, 0, 0.09, 0, 0, 0, 0.35, 0.36, 0], np.float32)
    guess = Prediction(8, probabilities, np.zeros((28, 28), np.float32), 0.9, True)
    assert guesses_line("en", guess) == "Best guesses: 8 (36%), 7 (35%), 0 (20%)"
    assert guesses_line("fr", guess) == (
        "Meilleures hypothèses\u00a0: 8 (36\u202f%), 7 (35\u202f%), 0 (20\u202f%)")


def test_a_guess_that_would_read_0_percent_is_left_out():
    probabilities = np.array([0.004, 0, 0, 0, 0, 0, 0, 0, 0.994, 0.002], np.float32)
    guess = Prediction(8, probabilities, np.zeros((28, 28), np.float32), 0.9, True)
    assert guesses_line("en", guess) == "Best guess: 8 (99%)"
    assert guesses_line("fr", guess) == "Meilleure hypothèse\u00a0: 8 (99\u202f%)"
