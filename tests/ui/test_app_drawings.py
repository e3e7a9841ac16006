"""The page's "What did you draw?": recording a drawing, the visitor's score, every model's score,
the visitor's and the deployer's switches, a limit's sentence, and training with drawings."""

import numpy as np

from mnist_core.drawings.store import DrawingsDB, db_path
from tests.app_kit import canvas_of, open_tab, start
from ui.session_keys import DRAWINGS_RECORDING, LANGUAGE, OWNER, TRAIN_BUTTON, WITH_DRAWINGS


def draw(at, canvas, image):
    canvas(canvas_of(image))
    return at.run()


def choose(at, digit):
    at.pills[0].set_value(digit).run()
    assert not at.exception, at.exception
    return at


def test_choosing_a_digit_records_the_drawing_and_the_score_follows(models, canvas, mnist):
    (_, _), (x_test, y_test) = mnist  # test digits 0 and 1 are a 7 and a 2
    at = draw(start(), canvas, x_test[0])
    assert at.pills[0].label == "What did you draw?"
    assert at.pills[0].options == [str(d) for d in range(10)]
    choose(at, 7)  # the predicted digit: a confirmation
    assert any("Recorded as 7" in s.value for s in at.success)
    assert any("read right **1 of 1**" in md.value for md in at.markdown)
    rows = DrawingsDB(db_path()).images()
    assert rows[1].tolist() == [7] and rows[0].shape == (1, 28, 28)
    draw(at, canvas, x_test[1])
    choose(at, 5)  # the model read a 2: a correction
    assert any("read right **1 of 2**" in md.value for md in at.markdown)
    assert any("5 read as 2 (1×)" in c.value for c in at.caption)
    labels, predicted = DrawingsDB(db_path()).pairs()
    assert labels.tolist() == [7, 5] and predicted.tolist() == [7, 2]


def test_changing_ones_mind_relabels_the_same_drawing(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    at = choose(draw(start(), canvas, x_test[0]), 1)
    choose(at, 7)
    assert DrawingsDB(db_path()).pairs()[0].tolist() == [7]


def test_only_the_model_name_language_and_a_random_session_id_are_kept(models, canvas, mnist):
    import sqlite3

    (_, _), (x_test, _) = mnist
    at = start(**{LANGUAGE: "fr"})
    choose(draw(at, canvas, x_test[0]), 7)
    assert at.pills[0].label == "Qu'avez-vous dessiné ?"
    with sqlite3.connect(db_path()) as raw:
        session, language, model = raw.execute(
            "SELECT session, language, model FROM drawings").fetchone()
    assert (language, model) == ("fr", "tutorial.keras")
    open_tab(at, "train", "fr")  # the page's training owner token, a secret, is another thing
    assert len(session) == 16 and session != at.session_state[OWNER]


def test_a_visitor_can_switch_recording_off(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    at = draw(start(), canvas, x_test[0])
    at.toggle(key=DRAWINGS_RECORDING).set_value(False).run()
    choose(at, 7)
    assert any("Not recorded" in i.value for i in at.info)
    assert DrawingsDB(db_path()).count() == 0


def test_the_deployer_can_switch_recording_off(models, canvas, mnist, monkeypatch):
    monkeypatch.setenv("MNIST_COLLECT_DRAWINGS", "0")
    (_, _), (x_test, _) = mnist
    at = draw(start(), canvas, x_test[0])
    assert at.tabs[0].metric[0].value == "7"
    assert not at.pills and not at.expander


def test_a_limit_reached_is_one_sentence_in_the_visitors_language(models, canvas, mnist,
                                                                  monkeypatch):
    monkeypatch.setenv("MNIST_DRAWINGS_PER_MINUTE", "1")
    (_, _), (x_test, _) = mnist
    at = start(**{LANGUAGE: "fr"})
    choose(draw(at, canvas, x_test[0]), 7)
    choose(draw(at, canvas, x_test[1]), 2)
    assert any("attendez un peu" in i.value for i in at.info)
    assert DrawingsDB(db_path()).count() == 1


def test_a_number_asks_for_one_digit_at_a_time(models, canvas, mnist):
    from tests.ui.test_app import number_canvas

    (_, _), (x_test, _) = mnist
    canvas(number_canvas(x_test, [1, 0]))
    at = start()
    at.run()
    assert not at.pills
    assert any("one digit at a time" in c.value for c in at.caption)


def test_every_model_is_scored_on_all_visitors_drawings(models, canvas, mnist):
    (_, _), (x_test, y_test) = mnist
    at = start()
    for i in range(3):
        choose(draw(at, canvas, x_test[i]), int(y_test[i]))
    other = start()  # another visitor's page shows the drawings of all
    expander = other.expander[0]
    assert expander.label == "How each model reads visitors' drawings"
    assert any(md.value == "tutorial.keras: **100.0%** (3 of 3)" for md in expander.markdown)


def test_the_train_view_offers_the_drawings_once_there_are_enough(models, monkeypatch):
    db = DrawingsDB(db_path())
    at = open_tab(start(), "train")
    assert any("from 10 on" in c.value for c in at.caption)
    for i in range(12):
        db.record(session="s", label=i % 10, predicted=i % 10, probabilities=np.full(10, 0.1),
                  image=np.zeros((28, 28), np.uint8), crop=np.zeros((56, 56), np.uint8),
                  model="m", language="en", now=float(i))
    at.run()
    box = at.checkbox(key=WITH_DRAWINGS)
    assert box.label == "Mix in visitors' drawings (12)"
    started = {}
    monkeypatch.setattr("mnist_core.jobs.training_jobs.TrainingJobs.start",
                        lambda self, **settings: started.update(settings) or True)
    box.check().run()
    at.button(key=TRAIN_BUTTON).click().run()
    assert started.get("with_drawings") is True


def test_the_model_list_shows_a_models_score_on_its_held_out_drawings(models):
    import json

    facts = json.loads((models / "tutorial.json").read_text())
    facts.update(drawings_accuracy=0.93, drawings_heldout=40)
    (models / "tutorial.json").write_text(json.dumps(facts))
    at = start(**{LANGUAGE: "fr"})
    assert any("dessins des visiteurs 93,0\u202f% sur 40 mis de côté" in c.value
               for c in at.sidebar.caption)
