"""Reports of what a model reads (confusion, per digit, misread images, two models compared), on
hand-made probabilities whose answers can be worked out by hand."""

import numpy as np
import pytest

from mnist_core.evaluation.test_report import (batched_probabilities, compare, confusion_matrix,
                                   confusion_table, make_report, per_digit_accuracy)


def one_hot_rows(digits, sure):
    """Probabilities that read each image as `digits[i]` with probability `sure[i]`."""
    rows = np.full((len(digits), 10), 0.0, dtype=np.float32)
    for i, (digit, p) in enumerate(zip(digits, sure)):
        rows[i] = (1 - p) / 9
        rows[i, digit] = p
    return rows


# Six images: true 0 0 1 1 1 2; read 0 1 1 1 7 2, with the confidences below.
LABELS = [0, 0, 1, 1, 1, 2]
READ = [0, 1, 1, 1, 7, 2]
SURE = [0.9, 0.6, 0.99, 0.5, 0.95, 0.8]


def report():
    return make_report(one_hot_rows(READ, SURE), LABELS)


def test_confusion_counts_each_true_and_predicted_pair():
    counts = confusion_matrix(LABELS, READ)
    assert counts.shape == (10, 10) and counts.sum() == 6
    assert counts[0, 0] == 1 and counts[0, 1] == 1 and counts[1, 1] == 2 and counts[1, 7] == 1
    assert counts[2, 2] == 1
    assert "true\\pred" in confusion_table(counts)


def test_report_gives_accuracy_and_accuracy_per_digit():
    result = report()
    assert result.accuracy == pytest.approx(4 / 6)
    per_digit = result.per_digit
    assert per_digit[0] == pytest.approx(0.5) and per_digit[1] == pytest.approx(2 / 3)
    assert per_digit[2] == 1.0
    assert np.isnan(per_digit[3:]).all(), "a digit with no image has no accuracy, not 0 %"
    assert result.confidence.tolist() == pytest.approx(SURE)


def test_misclassified_images_come_surest_first():
    # Wrong: image 1 (0 read 1, 60 %) and image 4 (1 read 7, 95 %).
    assert report().misclassified().tolist() == [4, 1]


def test_a_cell_holds_its_images_surest_first():
    result = report()
    assert result.cell(1, 1).tolist() == [2, 3]  # 99 % before 50 %
    assert result.cell(1, 7).tolist() == [4]
    assert result.cell(5, 3).tolist() == []


def test_ties_keep_the_images_order():
    result = make_report(one_hot_rows([1, 1, 1], [0.7, 0.7, 0.7]), [0, 0, 0])
    assert result.misclassified().tolist() == [0, 1, 2]


def test_comparison_finds_what_one_model_reads_right_and_the_other_wrong():
    first = report()
    # The second reads image 1 right (0) and image 2 wrong (1 read as 4, 70 %), image 5 wrong
    # too (2 read as 3, 90 %).
    second = make_report(one_hot_rows([0, 0, 4, 1, 7, 3], [0.9, 0.8, 0.7, 0.9, 0.9, 0.9]), LABELS)
    comparison = compare(first, second)
    assert comparison.only_first.tolist() == [5, 2]  # the second model's surest mistakes first
    assert comparison.only_second.tolist() == [1]
    assert comparison.per_digit[0, 0] == pytest.approx(0.5)
    assert comparison.per_digit[1, 0] == pytest.approx(1.0)
    assert comparison.per_digit[1, 2] == 0.0


def test_comparison_refuses_reports_of_different_images():
    other = make_report(one_hot_rows(READ, SURE), [0, 0, 1, 1, 1, 3])
    with pytest.raises(ValueError, match="same labelled images"):
        compare(report(), other)


@pytest.mark.parametrize("probabilities, labels", [
    (np.zeros((3, 9)), [0, 1, 2]),  # not ten classes
    (np.zeros((3, 10)), [0, 1]),  # fewer labels than rows
    (np.zeros((2, 10)), [0, 10]),  # a label that is not a digit
])
def test_report_refuses_mismatched_arrays(probabilities, labels):
    with pytest.raises(ValueError):
        make_report(probabilities, labels)


def test_per_digit_accuracy_of_an_empty_matrix_is_nan():
    assert np.isnan(per_digit_accuracy(np.zeros((10, 10)))).all()


def test_batched_probabilities_prepares_every_image_once_in_bounded_batches():
    calls = []

    def probabilities(images):
        calls.append(images.shape)
        assert images.dtype == np.float32 and images.max() <= 1.0
        return np.repeat(images.reshape(len(images), -1)[:, :10], 1, axis=1)

    x = np.zeros((7, 28, 28), dtype=np.uint8)
    x[:, 0, :10] = np.arange(7)[:, None] * 36
    out = batched_probabilities(probabilities, x, batch_size=3)
    assert [shape[0] for shape in calls] == [3, 3, 1]
    assert calls[0][1:] == (28, 28, 1)
    assert out.shape == (7, 10) and out[6, 0] == pytest.approx(216 / 255)


def test_batched_probabilities_calls_before_batch_before_each_batch():
    # The server's reports let the strokes' readings pass there (inference.let_readings_pass).
    order = []
    x = np.zeros((7, 28, 28), dtype=np.uint8)
    batched_probabilities(lambda images: order.append(len(images)) or np.zeros((len(images), 10)),
                          x, batch_size=3, before_batch=lambda: order.append("pass"))
    assert order == ["pass", 3, "pass", 3, "pass", 1]


def test_the_servers_reports_read_in_small_batches_letting_strokes_pass(monkeypatch):
    import ui.test_reports
    from mnist_core.reading.inference import let_readings_pass

    seen = {}

    def report_of(probabilities, x, labels, **batching):
        seen.update(batching)
        raise RuntimeError("enough")

    monkeypatch.setattr(ui.test_reports, "report_of", report_of)

    class Predictor:
        probabilities = None

    with pytest.raises(RuntimeError):
        ui.test_reports._evaluate("uploaded", None, Predictor(), 0.5, None, None,
                                  ui.test_reports._Shared())
    assert seen == {"batch_size": ui.test_reports.SERVER_BATCH, "before_batch": let_readings_pass}
    assert ui.test_reports.SERVER_BATCH <= 100
