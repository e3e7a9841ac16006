"""Explore over the whole test set through `AppTest` (the model's report, its confusion cells, a
second model beside it) and the parts behind it: reports computed one at a time and kept for a
few models, a click on the heatmap, downloads made on demand and kept for a few files."""

import hashlib
import re
import threading
import time
import types

import keras
import numpy as np
import pytest

import ui.test_reports
import ui.test_set_view
from mnist_core import storage
from tests.app_kit import open_tab, start
from tests.app_kit import upload as send_upload
from tests.conftest import FIXTURES
from ui.downloads import DownloadCache
from ui.session_keys import (CELL_READ, CELL_TRUE, COMPARE_WITH, CONFUSION_CHART, LANGUAGE,
                             MODEL_CHOICE, UPLOADER)
from mnist_core.untrusted.checked_load import load_model


@pytest.fixture
def waits(monkeypatch):
    """The page waits for a report as long as it takes (the machine is shared)."""
    monkeypatch.setattr(ui.test_set_view, "REPORT_WAIT_SECONDS", 300.0)


@pytest.fixture
def grid_labels(monkeypatch):
    """The labels of every grid picture the page draws, in order (cleared by the test)."""
    drawn = []
    draw = ui.test_set_view.image_grid

    def recording(images, labels=None, **kwargs):
        drawn.append(list(labels))
        return draw(images, labels, **kwargs)

    monkeypatch.setattr(ui.test_set_view, "image_grid", recording)
    return drawn


def explore_tab(at):
    return at.tabs[2]


def captions(at):
    return [c.value for c in explore_tab(at).caption]


def test_explore_reports_the_model_over_all_test_images(models, canvas, mnist, waits,
                                                        grid_labels):
    at = open_tab(start(), "explore")
    assert not at.exception, at.exception
    explore = explore_tab(at)
    figures = {m.label: m.value for m in explore.metric}
    assert figures["Test accuracy"] == "99.04%"  # as measured when it was trained
    assert figures["Test images misread"] == "96"
    assert figures["Project's drawn digits"] == "97.5%"  # from its metadata
    table = "\n".join(md.value for md in explore.markdown)
    assert "| 0 | 980 |" in table and "| 9 | 1,009 |" in table, "a row per digit with its images"
    assert ("96 misread images, those the model was surest of first: true digit → digit read, "
            "confidence. The first 48 of 96 are shown.") in captions(at)
    # The first cell shown is the model's most frequent mistake, its images as one picture.
    true, read = (at.selectbox(key=key).value for key in (CELL_TRUE, CELL_READ))
    assert true != read
    cell = next(c for c in captions(at) if c.endswith("surest first."))
    assert re.match(rf"\d+ images of {true} read as {read}, surest first\.", cell)
    assert len(explore.image) == 5  # the tutorial's step, its two curves, the cell, the misread
    at.selectbox(key=CELL_TRUE).set_value(3).run()
    at.selectbox(key=CELL_READ).set_value(3).run()
    right = next(c for c in captions(at) if "read right" in c)
    assert re.match(r"\d+ images of 3 read right, surest first\. The first 48 of \d+ are shown\.",
                    right)
    assert "There is no other model on the server to compare with." in captions(at)
    cell_labels, misread = grid_labels[-2:]
    assert all(re.fullmatch(r"\d{1,3}%", label) for label in cell_labels), cell_labels
    assert all(re.fullmatch(r"\d>\d\|\d{1,3}%", label) for label in misread), misread
    grid_labels.clear()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert any(h.value == "Sur les 10 000 images de test" for h in explore_tab(at).subheader)
    assert any(c.startswith("96 images mal lues") for c in captions(at))
    assert any("| 1 | 1\u202f135 |" in md.value for md in explore_tab(at).markdown)
    # The grids' labels write their percentages the French way too ("98 %"); the picture
    # draws the narrow space as a plain one (tests/test_image_grid.py).
    cell_labels, misread = grid_labels[-2:]
    assert all(re.fullmatch(r"\d{1,3}\u202f%", label) for label in cell_labels), cell_labels
    assert all(re.fullmatch(r"\d>\d\|\d{1,3}\u202f%", label) for label in misread), misread


def save_shifted(models, path, push=10.0):
    """Saves at `path` the tutorial's model with its bias pushed towards 1: it misreads many
    (130 with the default `push`, nearly every image not a 1 with 100)."""
    model = load_model(models / "tutorial.keras").model
    last = model.layers[-1]
    kernel, bias = last.get_weights()
    bias = bias.copy()
    bias[1] += push
    last.set_weights([kernel, bias])
    storage.save_model(model, path, {"recipe": "tutorial", "drawn_accuracy": 0.5})
    return path


@pytest.fixture
def shifted(models):
    """A second model on the server: the shifted one."""
    return save_shifted(models, models / "shifted.keras")


def test_a_second_model_is_compared_digit_by_digit_and_image_by_image(models, canvas, mnist,
                                                                    waits, shifted):
    at = open_tab(start(), "explore")
    assert not at.exception, at.exception
    assert at.selectbox(key=COMPARE_WITH).value == str(shifted)
    table = next(md.value for md in explore_tab(at).markdown if "shifted.keras" in md.value)
    assert table.startswith("| Digit | tutorial.keras | shifted.keras |")
    only = [c for c in captions(at) if " reads right and " in c]
    first, second = (int(c.split()[0]) for c in only)
    assert first > 20, "the shifted model misreads many that the tutorial's reads"
    assert only[0].startswith(f"{first} images tutorial.keras reads right and shifted.keras wrong")
    assert second >= 0
    assert any("drawn digits: 97.5% and 50.0%" in c for c in captions(at))


# ---- A visitor's upload in the comparison -----------------------------------------------------

def upload(at, name, content):
    """Sends `content` as the visitor's upload `name`, runs the page until it is checked;
    returns its model key."""
    send_upload(at, name, content)
    assert not at.exception, at.exception
    return f"upload:{hashlib.sha256(content).hexdigest()}"


def compare_table(at):
    """The comparison's table, the one whose columns are models (not the report's)."""
    return next(md.value for md in explore_tab(at).markdown
                if md.value.startswith("| Digit |") and "| Images |" not in md.value)


@pytest.mark.process
def test_a_saved_model_is_compared_with_this_visitors_upload_and_no_one_elses(models, canvas,
                                                                             mnist, waits):
    at = open_tab(start(), "explore")
    key = upload(at, "mnist_model.h5", (FIXTURES / "tutorial_tf_keras2.h5").read_bytes())
    at.sidebar.selectbox(key=MODEL_CHOICE).set_value(str(models / "tutorial.keras")).run()
    compare = at.selectbox(key=COMPARE_WITH)
    assert compare.options == ["mnist_model.h5 (your upload)"]
    compare.set_value(key).run()
    assert not at.exception, at.exception
    assert compare_table(at).startswith("| Digit | tutorial.keras | mnist_model.h5 (your upload) |")
    assert any("images tutorial.keras reads right and mnist_model.h5 (your upload) wrong" in c
               for c in captions(at))
    stranger = open_tab(start(), "explore")  # another visitor, on the same server
    assert "There is no other model on the server to compare with." in captions(stranger)


@pytest.mark.process
def test_an_upload_is_compared_with_every_saved_model_even_one_of_its_name(models, canvas,
                                                                           mnist, waits, tmp_path,
                                                                           grid_labels):
    shifted = save_shifted(models, tmp_path / "tutorial.keras", push=100.0)  # the visitor's copy
    at = open_tab(start(), "explore")
    upload(at, "tutorial.keras", shifted.read_bytes())
    assert at.sidebar.selectbox(key=MODEL_CHOICE).value == "uploaded"
    compare = at.selectbox(key=COMPARE_WITH)
    assert compare.options == ["tutorial.keras"] and compare.value == str(models / "tutorial.keras")
    assert compare_table(at).startswith("| Digit | tutorial.keras (your upload) | tutorial.keras |")
    only = [c for c in captions(at) if " reads right and " in c]
    second = int(only[1].split()[0])
    assert second > 20, "the saved model reads many that the visitor's shifted copy misreads"
    assert only[1].startswith(f"{second} images tutorial.keras reads right and "
                              "tutorial.keras (your upload) wrong")
    misread = {m.label: m.value for m in explore_tab(at).metric}["Test images misread"]
    assert re.fullmatch(r"\d,\d{3}", misread), "the copy misreads thousands, grouped"
    grid_labels.clear()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    figures = {m.label: m.value for m in explore_tab(at).metric}
    assert figures["Images de test mal lues"] == misread.replace(",", "\u202f")
    assert any(" images que tutorial.keras lit bien et tutorial.keras (votre fichier) mal" in c
               for c in captions(at))
    only_second = grid_labels[-1]  # the comparison's last grid: read right by the saved model
    assert only_second and all(re.fullmatch(r"\d>\d\|\d{1,3}\u202f%", label)
                               for label in only_second), only_second
    at.sidebar.file_uploader(key=UPLOADER).set_value(None).run()  # the chosen model goes
    assert not at.exception, at.exception
    assert "Il n'y a pas d'autre modèle sur le serveur pour comparer." in captions(at)


@pytest.mark.process
def test_a_removed_upload_leaves_the_comparison_for_a_saved_model(models, canvas, mnist, waits,
                                                                  shifted):
    at = open_tab(start(), "explore")
    key = upload(at, "mnist_model.h5", (FIXTURES / "tutorial_tf_keras2.h5").read_bytes())
    at.sidebar.selectbox(key=MODEL_CHOICE).set_value(str(models / "tutorial.keras")).run()
    at.selectbox(key=COMPARE_WITH).set_value(key).run()
    assert "mnist_model.h5 (your upload)" in compare_table(at)
    at.sidebar.file_uploader(key=UPLOADER).set_value(None).run()
    assert not at.exception, at.exception
    compare = at.selectbox(key=COMPARE_WITH)
    assert compare.options == ["shifted.keras"] and compare.value == str(shifted)
    assert compare_table(at).startswith("| Digit | tutorial.keras | shifted.keras |")


# ---- The parts behind the view -----------------------------------------------------------------

class SlowPredictor:
    """Reads every image as 1 after `delay` seconds, and records how many calls overlap."""

    def __init__(self, delay=0.0, record=None):
        self.delay, self.record = delay, record if record is not None else {"now": 0, "most": 0}

    def probabilities(self, images):
        self.record["now"] += 1
        self.record["most"] = max(self.record["most"], self.record["now"])
        time.sleep(self.delay)
        self.record["now"] -= 1
        out = np.zeros((len(images), 10), np.float32)
        out[:, 1] = 1
        return out


def tiny_test_set(n=20):
    return np.zeros((n, 28, 28), np.uint8), np.arange(n) % 10


def test_reports_are_computed_one_at_a_time(monkeypatch):
    import streamlit as st

    st.cache_resource.clear()
    record = {"now": 0, "most": 0}
    x, y = tiny_test_set()
    loads = [ui.test_reports.report_load(f"upload:{i}", SlowPredictor(0.02, record),
                                         {"drawn_accuracy": 0.5}, x, y) for i in range(3)]
    threads = [threading.Thread(target=load.get, kwargs={"wait": 30}) for load in loads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reports = [load.get() for load in loads]
    assert record["most"] == 1, "two reports were computed at once"
    assert all(r.test.accuracy == pytest.approx(0.1) and r.drawn == 0.5 for r in reports)
    st.cache_resource.clear()


def test_reports_are_kept_for_a_bounded_number_of_models():
    import streamlit as st

    st.cache_resource.clear()
    x, y = tiny_test_set()
    kept = ui.test_reports.REPORTS_KEPT
    first = ui.test_reports.report_load("upload:first", SlowPredictor(), {}, x, y)
    for i in range(kept):  # strangers' uploads, each a new model
        ui.test_reports.report_load(f"upload:{i}", SlowPredictor(), {}, x, y)
    again = ui.test_reports.report_load("upload:first", SlowPredictor(), {}, x, y)
    assert again is not first, f"more than {kept} models' reports were kept"
    st.cache_resource.clear()


def test_a_model_without_the_figure_is_scored_on_the_drawn_digits(monkeypatch):
    import streamlit as st

    st.cache_resource.clear()
    shared = ui.test_reports._shared()
    shared.drawn_set = (np.zeros((4, 28, 28), np.float32), np.array([1, 1, 1, 2]))
    x, y = tiny_test_set()
    report = ui.test_reports.report_load("upload:x", SlowPredictor(), {"drawn_accuracy": "99"},
                                         x, y).get(wait=30)
    assert report.drawn == pytest.approx(0.75), "a figure that is not a number is not trusted"
    st.cache_resource.clear()


def test_a_model_replaced_on_disk_gets_a_new_report_key(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"one")
    before = ui.test_reports.report_key(str(path))
    time.sleep(0.01)
    path.write_bytes(b"two, later")
    assert ui.test_reports.report_key(str(path)) != before
    assert ui.test_reports.report_key("upload:abc") == "upload:abc"


def test_grid_labels_write_their_percentages_as_the_visitors_language_does():
    truth = types.SimpleNamespace(labels=np.array([7, 3, 5]))
    reader = types.SimpleNamespace(predicted=np.array([1, 8, 5]),
                                   confidence=np.array([0.981, 0.5, 0.9996]))
    assert ui.test_set_view.misread_labels("en", truth, [0, 2], reader) == ["7>1|98%", "5>5|100%"]
    assert ui.test_set_view.misread_labels("fr", truth, [0, 2], reader) == \
        ["7>1|98\u202f%", "5>5|100\u202f%"]
    assert ui.test_set_view.confidence_labels("en", reader, [1]) == ["50%"]
    assert ui.test_set_view.confidence_labels("fr", reader, [1]) == ["50\u202f%"]


@pytest.mark.parametrize("selection, chosen", [
    ({"selection": {"cell": [{"true": 4, "predicted": 9}]}}, (4, 9)),
    ({"selection": {"cell": []}}, (7, 2)),  # a click beside the cells: the choice stays
    ({"selection": {"cell": [{"true": 40, "predicted": 9}]}}, (7, 2)),  # from no real chart
    ({"selection": {"cell": [{"true": "4", "predicted": 9}]}}, (7, 2)),
    ({"selection": {"cell": [{"true": True, "predicted": 0}]}}, (7, 2)),
    ({"selection": {"cell": ["4,9"]}}, (7, 2)),
    ({"selection": None}, (7, 2)),
    (None, (7, 2)),
])
def test_a_click_on_the_heatmap_chooses_its_cell_and_nothing_else_does(monkeypatch, selection,
                                                                       chosen):
    state = {CELL_TRUE: 7, CELL_READ: 2, CONFUSION_CHART: selection}
    monkeypatch.setattr(ui.test_set_view.st, "session_state", state)
    ui.test_set_view._cell_from_chart()
    assert (state[CELL_TRUE], state[CELL_READ]) == chosen


def test_the_heatmap_shades_mistakes_and_outlines_the_chosen_cell():
    counts = np.diag(np.full(10, 100))
    counts[7, 2] = 5
    spec = ui.test_set_view.confusion_chart("en", counts, (7, 2))
    values = {(v["true"], v["predicted"]): v for v in spec["data"]["values"]}
    assert len(values) == 100
    assert values[7, 2]["mistakes"] == 5 and values[7, 2]["chosen"] and values[7, 2]["dark"]
    assert values[3, 3]["mistakes"] == 0 and values[3, 3]["right"], "the diagonal is not shaded"
    assert spec["layer"][0]["params"][0]["name"] == "cell"


def test_the_download_cache_makes_a_file_once_and_keeps_a_bounded_number_of_bytes():
    made = []
    cache = DownloadCache(max_bytes=10)

    def maker(name, size=4):
        return lambda: made.append(name) or name.encode() * size

    assert cache.get("a", maker("a")) == b"aaaa"
    assert cache.get("a", maker("a")) == b"aaaa"
    cache.get("b", maker("b"))
    cache.get("c", maker("c"))  # 12 bytes in all: "a", the oldest, is dropped
    cache.get("a", maker("a"))
    assert made == ["a", "b", "c", "a"]
    assert cache.get("huge", maker("huge", 100)) == b"huge" * 100  # bigger than the budget:
    cache.get("c", maker("c"))  # given, never kept, and nothing else is dropped for it
    assert made == ["a", "b", "c", "a", "huge"]


@pytest.mark.parametrize("name, stem", [
    ("tutorial.keras", "tutorial"),
    ("../../etc/passwd.h5", "passwd"),
    ('my "model"\r\nSet-Cookie: x.h5', "my_model_Set-Cookie_x"),
    ("....h5", "model"),
    ("a" * 300 + ".h5", "a" * 64),
])
def test_an_uploads_name_becomes_a_plain_file_name(name, stem):
    from ui.downloads import safe_stem

    assert safe_stem(name) == stem


def test_the_sidebar_offers_the_chosen_model_as_keras_and_as_h5(models, canvas):
    at = start()
    buttons = at.sidebar.get("download_button")
    assert [b.proto.label for b in buttons] == [".keras", ".h5"]
    # The file names travel with the file itself (AppTest serves none): the browser test
    # downloads both.
    assert any("mnist_model.h5" in c.value for c in at.sidebar.caption)


def test_a_saved_model_downloads_as_its_own_file_and_as_a_loadable_h5(models, tmp_path):
    from ui.downloads import file_maker

    loaded = load_model(models / "tutorial.keras")
    assert file_maker(loaded.model, loaded.path, ".keras")() == \
        (models / "tutorial.keras").read_bytes()
    h5 = tmp_path / "mnist_model.h5"
    h5.write_bytes(file_maker(loaded.model, loaded.path, ".h5")())
    probe = np.linspace(0, 1, 2 * 28 * 28, dtype=np.float32).reshape(2, 28, 28, 1)
    reloaded = keras.models.load_model(h5, compile=False)
    np.testing.assert_array_equal(reloaded.predict(probe, verbose=0),
                                  loaded.model.predict(probe, verbose=0))


def test_a_report_under_way_is_announced_and_shown_when_ready(models, canvas, mnist, monkeypatch):
    monkeypatch.setattr(ui.test_set_view, "REPORT_WAIT_SECONDS", 0.0)
    at = open_tab(start(), "explore")
    assert any("Reading the 10,000 test images" in info.value for info in explore_tab(at).info)
    assert not any(m.label == "Test accuracy" for m in explore_tab(at).metric)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not any(m.label == "Test accuracy"
                                                  for m in explore_tab(at).metric):
        time.sleep(1)
        at.run()  # what the page's one-second look does
    assert {m.label: m.value for m in explore_tab(at).metric}["Test accuracy"] == "99.04%"
