"""Prediction: from a drawing or image to a digit and ten probabilities, fast enough for every stroke.

`model.predict` spends tens of milliseconds setting up a data pipeline for what is well under a
millisecond of arithmetic; a traced `tf.function` with a fixed signature skips that set-up.
"""

import dataclasses
import threading

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NOT_A_DIGIT, NUM_CLASSES
from mnist_core.reading.not_a_digit import SEVERAL_DIGITS


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One image's answer.

    Attributes:
        digit: the most probable class, 0..9.
        probabilities: float32 array (10,), summing to 1.
        image: the float32 (28, 28) array in [0, 1] that the model saw.
        not_digit_score: the gate's score that this is no digit at all, in [0, 1]
            (`mnist_core.reading.not_a_digit`); None when read without a gate.
        not_a_digit: True when that score is at or above the gate's threshold: the page says
            "that does not look like a digit" and shows `digit` only as a guess.
        several_digits_score: the gate's score that this is several digits touching, in
            [0, 1]; None when read without the shipped kind of gate.
    """

    digit: int
    probabilities: np.ndarray
    image: np.ndarray
    not_digit_score: float = None
    not_a_digit: bool = False
    several_digits_score: float = None

    @property
    def confidence(self):
        """Probability of the predicted digit, in [0, 1]."""
        return float(self.probabilities[self.digit])


@dataclasses.dataclass(frozen=True)
class NumberPrediction:
    """A drawing of one or several digits, read left to right.

    Attributes:
        digits: list of `Prediction`, one per digit, left to right (each with the 28x28 image
            the model saw).
        boxes: list of `(x0, y0, x1, y1)`, each digit's ink in the drawing's pixels.
        unsure: True when the digits touched and had to be cut apart, or one may be two digits.
        ignored: list of `(x0, y0, x1, y1)`: marks left out as too small to be digits.
    """

    digits: list
    boxes: list
    unsure: bool
    ignored: list

    @property
    def not_a_digit(self):
        """True when any piece is not a digit (see `not_digit_pieces`)."""
        return any(p.not_a_digit for p in self.digits)

    @property
    def not_digit_pieces(self):
        """Positions (0-based, left to right) of the pieces that are not digits."""
        return [i for i, p in enumerate(self.digits) if p.not_a_digit]

    @property
    def number(self):
        """The digits read, left to right, as a string ("2024"); `str(digit)` for one digit."""
        return "".join(str(p.digit) for p in self.digits)


class _Readings:
    """The strokes' readings under way in this process (`Predictor.read`), counted, so that a
    batch computed in the same process can let them pass (`let_readings_pass`)."""

    def __init__(self):
        self._count = 0
        self._none = threading.Condition()

    def __enter__(self):
        with self._none:
            self._count += 1

    def __exit__(self, *exc):
        with self._none:
            self._count -= 1
            if not self._count:
                self._none.notify_all()

    def wait_for_none(self, timeout):
        with self._none:
            return self._none.wait_for(lambda: not self._count, timeout)


_READINGS = _Readings()

YIELD_SECONDS = 0.2
"""Longest a batch waits at its start for the strokes' readings under way: under a constant
stream of strokes it still goes on, a batch at a time."""


def let_readings_pass(timeout=YIELD_SECONDS):
    """Waits until no stroke is being read in this process, at most `timeout` seconds.

    TensorFlow runs a process's calls on one thread of kernels (the server's setting,
    `ui.runtime.one_thread_per_model_call`): a stroke's reading that arrives during a batch of
    500 test images takes turns with the batch's kernels, each up to tens of milliseconds, and
    its ~80 kernels wait ~90 ms where they alone take ~1 ms (bench/README.md). Batch work in the
    server (a model's test-set report) calls this before each of its small batches.

    Returns:
        True when no reading was under way by the end.
    """
    return _READINGS.wait_for_none(timeout)


NOT_YET = object()
"""A `Predictor`'s compiled read before its first use."""

COMPILED_BATCH = 8
"""A stroke's pieces (a number's digits, a wide blob read whole and cut) that a compiled
predictor reads one by one through LiteRT rather than as one TensorFlow batch: up to 8 that
costs less CPU on both hosts measured, and no work on TensorFlow's kernel thread
(bench/README.md)."""

DEFAULT_GATE = object()
"""`Predictor(model)`'s gate: the shipped one (`mnist_core.reading.not_a_digit.default_gate`)."""


def _gate_scores(gated):
    """The gate's outputs (N, K) -> its "not a digit" scores (N,) float32, and its "several
    digits" scores as a list (None each where the gate has no such class)."""
    gated = np.asarray(gated, np.float32)
    several = (gated[:, SEVERAL_DIGITS].tolist() if gated.shape[1] > SEVERAL_DIGITS
               else [None] * len(gated))
    return gated[:, NOT_A_DIGIT], several


class Predictor:
    """Wraps a loaded Keras model for low-latency prediction of one or a few images.

    Args:
        model: a Keras model taking (N, 28, 28, 1) float32 in [0, 1], returning (N, 10).
        gate: a `mnist_core.reading.not_a_digit.DigitGate` that says which images are no digit,
            None for none (every answer a digit); by default the shipped gate.
        compiled: True for a predictor that reads many single images (a server's strokes):
            one image with the gate (and a stroke's pieces, up to `COMPILED_BATCH`, one by one)
            then goes through LiteRT, at about half the CPU, where it is installed and the model
            compiles (`mnist_core.reading.compiled_read`). The compilation runs on the first
            such read, ~0.3 s of CPU for the shipped models and longer for bigger ones, mostly
            holding Python's lock: for the server's own models, not for a visitor's upload.
            False: always TensorFlow.

    Example:

    ```python
    predictor = Predictor(untrusted.load_model("models/tutorial.keras").model)
    predictor.predict(canvas_rgba).digit
    ```
    """

    def __init__(self, model, gate=DEFAULT_GATE, compiled=False):
        import tensorflow as tf

        from mnist_core.reading.compute_precision import for_this_cpu, in_float32
        from mnist_core.reading.not_a_digit import DigitGate, default_gate

        self.model = model
        self.gate = default_gate() if gate is DEFAULT_GATE else gate
        self._compute = for_this_cpu(model)  # float32 where bfloat16 would be emulated
        # A stroke's few images: float32 everywhere, faster than even native bfloat16 on so
        # small a batch (mnist_core.reading.compute_precision).
        self._read_few = in_float32(self._compute)
        signature = [tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32)]
        self._forward = tf.function(self._call, input_signature=signature,
                                    autograph=False, reduce_retracing=True)
        # The model and the gate in one call: each call of a traced function costs ~1 ms of
        # Python and dispatch, as much as the tutorial's network itself (bench/visitors.py).
        self._forward_with_gate = None
        self._traced = None  # its concrete function, once traced (`_with_gate_traced`)
        self._tensor = tf.constant
        if isinstance(self.gate, DigitGate):
            self._forward_with_gate = tf.function(
                self._call_with_gate, input_signature=signature, autograph=False,
                reduce_retracing=True)
        # One image (a stroke's) through both, compiled for LiteRT on first use.
        self._compiled = NOT_YET if compiled and self._forward_with_gate is not None else None
        self._compiling = threading.Lock()

    def _with_gate_traced(self):
        """`_forward_with_gate`'s one traced graph, called directly: a `tf.function` call
        first binds and checks its arguments against its signature and looks its graph up,
        ~0.6 ms of CPU a stroke, for a signature that never changes (bench/README.md)."""
        traced = self._traced
        if traced is None:
            traced = self._traced = self._forward_with_gate.get_concrete_function()
        return traced

    def _one_compiled(self):
        """The compiled read of one image (`compiled_read.compile_read`), made on first use;
        None where LiteRT is missing or cannot compile this model."""
        if self._compiled is NOT_YET:
            from mnist_core.reading.compiled_read import compile_read

            with self._compiling:
                if self._compiled is NOT_YET:
                    self._compiled = compile_read(self._call_with_gate, self)
        return self._compiled

    def _call(self, images):
        return self._compute(images, training=False)

    def _call_with_gate(self, images):
        return self._read_few(images, training=False), self.gate.model(images, training=False)

    def probabilities(self, images):
        """Class probabilities for MNIST-style input.

        Args:
            images: float32 array (N, 28, 28) or (N, 28, 28, 1), values in [0, 1].

        Returns:
            float32 array (N, 10).
        """
        batch = np.asarray(images, dtype=np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
        return self._forward(batch).numpy().reshape(-1, NUM_CLASSES)

    def predict_prepared(self, image):
        """Predicts one already-prepared (28, 28) float32 image in [0, 1]."""
        image = np.asarray(image, dtype=np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
        return self.read(image[None])[0]

    def read(self, images):
        """One `Prediction` per prepared image, each with the gate's verdict.

        One image (a stroke's) is read compiled, where this predictor is; several (a score,
        a comparison) by TensorFlow, so that a model only scored never compiles.

        Args:
            images: float32 (N, 28, 28) in [0, 1], as `to_mnist_input` makes.
        """
        return self._read(images, strokes=False)

    def _read(self, images, strokes):
        """`read`, where `strokes` says the images are one stroke's pieces: up to
        `COMPILED_BATCH` of them are then read compiled too, one by one."""
        images = np.asarray(images, dtype=np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        if self.gate is None:
            return [Prediction(int(np.argmax(p)), p, image)
                    for p, image in zip(self.probabilities(images), images)]
        few = len(images) == 1 or (strokes and 0 < len(images) <= COMPILED_BATCH)
        compiled = self._one_compiled() if few else None
        several = [None] * len(images)  # read by a gate of another kind
        if compiled is not None:
            with _READINGS:
                outputs = [compiled(image) for image in images]
            probabilities = np.concatenate([read for read, _ in outputs])
            scores, several = _gate_scores(np.concatenate([gated for _, gated in outputs]))
        elif self._forward_with_gate is not None and len(images):
            with _READINGS:
                read, gated = self._with_gate_traced()(self._tensor(images[..., None]))
            probabilities = read.numpy().reshape(-1, NUM_CLASSES)
            scores, several = _gate_scores(gated.numpy())
        else:
            probabilities, scores = self.probabilities(images), self.gate.scores(images)
        flags = self.gate.flags(scores)
        return [Prediction(int(np.argmax(p)), p, image, float(score), bool(flag), more)
                for p, image, score, flag, more in zip(probabilities, images, scores, flags,
                                                       several)]

    def predict(self, drawing):
        """Predicts the digit in any drawing or image, after MNIST-style preprocessing.

        Args:
            drawing: array (H, W), (H, W, 3) or (H, W, 4), uint8 0..255 or float 0..1, light-on-dark
                or dark-on-light (see `mnist_core.reading.preprocess.to_mnist_input`).

        Returns:
            A `Prediction`.

        Raises:
            BlankImageError: the drawing has no ink.
            ImageError: the image is too large or unusable.
        """
        from mnist_core.reading.preprocess import to_mnist_input

        return self.predict_prepared(to_mnist_input(drawing))

    def _is_mark(self, reading):
        """The gate's `is_mark` of a blob read whole, from that read's own scores where it has
        them (a second call of the gate cost a stroke ~10 ms of TensorFlow on Zen 1)."""
        if reading.several_digits_score is None:
            return self.gate.is_mark(reading.image)
        return self.gate.says_mark(reading.not_digit_score, reading.several_digits_score)

    def predict_number(self, drawing):
        """Reads one or several digits written side by side, left to right.

        A drawing of one digit with no stray mark gives exactly `predict(drawing)`; otherwise each
        digit is cut out (`mnist_core.reading.segment.split_digits`) and read on its own, all in one
        batch. A blob wide enough to be one wide digit or several touching ones is read in each of
        the ways `split_digits` offers, and the way whose digits' confidences have the largest
        product is taken, unless the blob read whole is no digit at all (an X is not "76").

        Args:
            drawing: as for `predict()`.

        Returns:
            A `NumberPrediction`.

        Raises:
            BlankImageError: the drawing has no ink.
            ImageError: the image is too large or unusable.
        """
        from mnist_core.reading.ink import ink_map, work_factor
        from mnist_core.reading.preprocess import from_ink, to_mnist_input
        from mnist_core.reading.segment import ink_groups, split_ink

        # The drawing's ink, read once (a third of the reading's time on a 280x280 canvas):
        # the cut and the digit read whole both start from it.
        ink = ink_map(drawing)
        factor = work_factor(*np.shape(drawing)[:2])
        groups = ink_groups(ink)
        if groups.one_digit:  # what the cut would give, without cutting out its one piece
            return NumberPrediction([self.predict_prepared(from_ink(ink))], [groups.box(0, factor)],
                                    False, [])
        cut = split_ink(ink, factor, groups)
        whole = len(cut.options) == 1 and not cut.ignored  # maybe one digit alone
        # One batch: every piece of every way to cut every blob.
        pieces = [piece for ways in cut.options for way in ways for piece, _ in way]
        images = np.stack([to_mnist_input(piece) for piece in pieces])
        readings = iter(self._read(images, strokes=True))
        chosen, digits, marks = [], [], []
        for ways in cut.options:
            read = [[next(readings) for _ in way] for way in ways]
            # Each way scores the product of its digits' confidences: cutting a blob in more
            # digits must make every one of them surer, not just some.
            best = int(np.argmax([np.prod([p.confidence for p in way]) for way in read]))
            one_piece = [i for i, way in enumerate(read) if len(way) == 1]
            whole_blob = read[one_piece[0]][0] if one_piece else None
            if (len(ways) > 1 and whole_blob is not None and whole_blob.not_a_digit
                    and self._is_mark(whole_blob)):
                # Read whole, the blob is no digit: a letter or a shape, not digits that touch
                # (the gate knows those apart), however surely its halves read as digits.
                best = one_piece[0]
            marks.append(whole_blob is not None and best == one_piece[0]
                         and whole_blob.not_a_digit)
            chosen.append(best)
            if len(read[best]) > 1:
                # Cut out of touching ink that the gate did not call a mark: the cut leaves
                # stubs of the neighbour's ink that its verdict on each piece cannot be trusted
                # with, so each piece is a digit (perhaps misread: the answer is unsure).
                read[best] = [dataclasses.replace(p, not_a_digit=False) for p in read[best]]
            digits += read[best]
        cut = cut.choose(chosen)
        if whole and len(digits) == 1:  # read whole, exactly as `predict()` does
            digits = [self.predict_prepared(from_ink(ink))]
        # A mark that is no digit is not "unsure where one digit ends": it is no digit.
        unsure = any(len(ways[i]) > 1 or len(ways[0]) > 1
                     for ways, i, mark in zip(cut.options, cut.choice, marks) if not mark)
        return NumberPrediction(digits, cut.boxes, unsure, cut.ignored)
