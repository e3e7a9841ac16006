"""`python -m mnist_core predict MODEL IMAGE...`: the digit, or the number written left to right,
in each image file, one line per file or one JSON list."""

import json

from mnist_core.errors import BlankImageError


def add_parser(command):
    """Registers `predict` through commands.py's `command(name, function, help)`."""
    sub = command("predict", cmd_predict,
                  "Print the digit, or the number written left to right, in each image "
                  "(PNG/JPEG of any size, either polarity).")
    sub.add_argument("model", metavar="MODEL", help="a .keras or .h5 model file")
    sub.add_argument("images", metavar="IMAGE", nargs="+", help="image files")
    sub.add_argument("--json", action="store_true",
                     help='print one JSON list of {"file", "digit", "probabilities", "number", '
                          '"unsure", "not_a_digit", "not_digit_score", "digits"}: "digit" reads '
                          'the whole image as one digit, "number" the digits left to right, each '
                          'in "digits" with its own "not_a_digit" and "not_digit_score"; '
                          '"not_a_digit" is true when any of them looks like no digit')


def cmd_predict(args):
    """Prints the digit in each image file."""
    from mnist_core.reading.image_files import blank_file_error, load_image
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.loader import load_untrusted

    predictor = Predictor(load_untrusted(args.model).model)
    answers = []
    for name in args.images:
        try:
            image = load_image(name)
            prediction, number = predictor.predict(image), predictor.predict_number(image)
        except BlankImageError:  # its own text speaks of the page's canvas
            raise blank_file_error(name) from None
        answers.append({"file": name, "digit": prediction.digit,
                        "probabilities": _rounded(prediction.probabilities),
                        **_number_fields(number)})
        if not args.json:
            print(f"{name}: {_number_line(number)}")
    if args.json:
        print(json.dumps(answers))


def _rounded(probabilities):
    return [round(float(p), 6) for p in probabilities]


def _number_fields(number):
    """JSON fields of a `NumberPrediction`: "digit" and "probabilities" stay the whole image's."""
    return {"number": number.number, "unsure": number.unsure,
            "not_a_digit": number.not_a_digit,
            "not_digit_score": max(_score(p) for p in number.digits),
            "digits": [{"digit": p.digit, "probabilities": _rounded(p.probabilities),
                        "not_a_digit": p.not_a_digit, "not_digit_score": _score(p),
                        "box": list(box)} for p, box in zip(number.digits, number.boxes)]}


def _score(prediction):
    return round(float(prediction.not_digit_score or 0.0), 6)


def _number_line(number):
    """'7 (99.1%)' for one digit; '2024 (2 99.0%, 0 98.1%, 2 97.7%, 4 99.9%)' for several;
    'not a digit (best guess 8 36.0%)'; '2?4 (2 99.0%, ? not a digit: best guess 8 40.2%, ...)'."""
    if len(number.digits) == 1 and number.not_a_digit:
        p = number.digits[0]
        return f"not a digit (best guess {p.digit} {p.confidence:.1%})"
    each = ", ".join(f"? not a digit: best guess {p.digit} {p.confidence:.1%}" if p.not_a_digit
                     else f"{p.digit} {p.confidence:.1%}" for p in number.digits)
    if len(number.digits) == 1:
        each = each[2:]  # one digit: '7 (99.1%)', as before numbers were read
    read = "".join("?" if p.not_a_digit else str(p.digit) for p in number.digits)
    return f"{read} ({each})" + (", unsure how to split" if number.unsure else "")
