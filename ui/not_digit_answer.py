"""What the Draw view says of a drawing that does not look like a digit (issue 21).

The gate (`mnist_core.reading.not_a_digit`) flags a drawing, or a piece of a number, that looks
like no digit at all: a letter, a shape, a scribble. The digit model still answers a digit for
it, so the page never shows that answer bare: a headline says "That does not look like a
digit" with the model's best guesses below it as guesses, and a number shows "?" in the
flagged piece's place and says which piece it is. A digit the model merely doubts (a sloppy 4
or 9) is not flagged: it is shown as a digit, its doubt in its confidence.
"""

import numpy as np
import streamlit as st

from ui.numbers import percent
from ui.texts import text

UNKNOWN = "?"
"""Shown in place of a digit for a piece that does not look like one."""
GUESSES = 3  # the model's best guesses shown under the headline
NAMED_PIECES = 3
"""Flagged pieces of a number named one by one; more are counted ("5 of the 49 marks")."""


def shown_digit(prediction):
    """The digit as the page shows it: '7', or '?' when it does not look like a digit."""
    return UNKNOWN if prediction.not_a_digit else str(prediction.digit)


def shown_number(reading):
    """A `NumberPrediction`'s digits as the page shows them, '?' for a flagged piece: '2?4'."""
    return "".join(shown_digit(p) for p in reading.digits)


def best_guesses(language, prediction, count=GUESSES):
    """The model's likeliest digits, up to `count`, each with its probability: '8 (36%)'.

    Those that would show as 0% are left out (a first guess of 100% stands alone).
    """
    probabilities = np.asarray(prediction.probabilities)
    order = np.argsort(-probabilities, kind="stable")[:count]
    shown = [d for k, d in enumerate(order)
             if k == 0 or format(float(probabilities[d]), ".0%") != "0%"]
    return [f"{int(d)} ({percent(language, probabilities[d], 0)})" for d in shown]


def guesses_line(language, prediction):
    """'Best guesses: 8 (36%), 0 (20%), 3 (9%)', or 'Best guess: 8 (100%)'."""
    guesses = best_guesses(language, prediction)
    return text(language, "best_guesses" if len(guesses) > 1 else "best_guess",
                guesses=", ".join(guesses))


def ordinal(language, n):
    """`n` (1-based) as an ordinal for a mark (feminine in French): '2nd', '2e', '1re'."""
    if language == "fr":
        return "1re" if n == 1 else f"{n}e"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def pieces_sentence(language, reading):
    """Which marks of a number do not look like digits, counted from the left.

    Args:
        language: 'en' or 'fr'.
        reading: a `NumberPrediction` with at least one flagged piece.

    Returns:
        'The 2nd mark from the left does not look like a digit.' for one, the marks named for
        a few, counted for more.
    """
    pieces = reading.not_digit_pieces
    if len(pieces) == 1:
        return text(language, "not_digit_piece", nth=ordinal(language, pieces[0] + 1))
    if len(pieces) > NAMED_PIECES:
        return text(language, "not_digit_count", count=len(pieces), total=len(reading.digits))
    named = [ordinal(language, i + 1) for i in pieces]
    return text(language, "not_digit_pieces", first=", ".join(named[:-1]), last=named[-1])


def piece_caption(language, prediction):
    """A number's piece under its image: '7 · 98%', or '? · maybe 8' when flagged (short, to
    fit a quarter of the column; its chart below gives the probabilities)."""
    if prediction.not_a_digit:
        return text(language, "not_digit_caption", digit=prediction.digit)
    return text(language, "digit_caption", digit=prediction.digit, p=prediction.confidence)


def phone_line(language, reading):
    """The one-line answer above the canvas on a phone, for a reading with a flagged piece."""
    if len(reading.digits) == 1:
        return text(language, "phone_not_digit", digit=reading.digits[0].digit)
    return text(language, "phone_number_not_digit", number=shown_number(reading))


def show_headline(language, prediction):
    """In place of the big digit: 'That does not look like a digit', then the best guesses."""
    st.subheader(text(language, "not_digit"), anchor=False)
    st.markdown(guesses_line(language, prediction))
