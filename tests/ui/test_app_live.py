"""The Train view's live part through `AppTest`, from a snapshot: the batch curve beside the
epochs', the epoch's grid and filters as one image each, in both languages; the drawing's
reading only on the page of the visitor who started the training, whose drawing reaches the job.
"""

import numpy as np

from tests.live_states import DRAWING, chart_layers, live_state
from tests.ui.test_app_train import start, train_tab
from ui.session_keys import DRAWN_INPUT, LANGUAGE, OWNER


def captions(tab):
    return [caption for image in tab.get("image") for caption in image.captions]


def chart_series(tab):
    charts = [chart_layers(e) for e in tab if getattr(e, "type", "") == "vega_lite_chart"]
    return [[sorted({row["series"] for row in rows}) for rows in layers]
            for _, layers in charts], charts


def test_a_stranger_sees_the_curves_grid_and_filters_but_not_the_owners_drawing(jobs):
    jobs._state = live_state(owner="someone-else")
    at = start()
    tab = train_tab(at)
    assert any(m.value == "**The model after epoch 2**" for m in tab.markdown)
    shown = captions(tab)
    assert len(tab.get("image")) == 2  # one picture for the grid, one for the filters
    assert shown[0].startswith("27 of 32 test digits read right")
    assert shown[1].startswith("The first convolution's 32 filters (3×3)")
    assert not any("Your drawing" in c for c in shown + [c.value for c in tab.caption])
    series, charts = chart_series(tab)
    assert series == [[["Training accuracy, batch by batch (smoothed)"],
                       ["Training accuracy", "Validation accuracy"]],
                      [["Training loss, batch by batch (smoothed)"],
                       ["Training loss", "Validation loss"]]]
    assert charts[0][0]["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 10]
    assert len(charts[1][1][0]) == 24


def test_the_owner_sees_this_epochs_reading_of_their_drawing_and_sends_theirs(jobs):
    at = start()
    owner = at.session_state[OWNER]
    jobs._state = live_state(owner=owner)
    at.session_state[DRAWN_INPUT] = DRAWING
    at.run()
    shown = captions(train_tab(at))
    assert len(shown) == 3 and shown[2] == "Your drawing, read by this epoch's model: 2 (91% sure)"
    assert jobs._drawing_due and jobs._due_drawing().startswith(b"drawing AAAA")
    at.session_state[DRAWN_INPUT] = None  # the canvas was cleared
    at.run()
    assert jobs._due_drawing() == b"drawing none\n"


def test_the_owner_without_a_drawing_is_told_where_to_draw_one(jobs):
    at = start()
    jobs._state = live_state(owner=at.session_state[OWNER], drawing=False)
    at.run()
    assert len(train_tab(at).get("image")) == 2
    assert any("Draw a digit in the Draw tab" in c.value for c in train_tab(at).caption)
    assert not jobs._drawing_due  # nothing drawn, nothing to send


def test_the_live_view_speaks_french(jobs):
    at = start()
    jobs._state = live_state(owner=at.session_state[OWNER])
    at.session_state[DRAWN_INPUT] = np.zeros((28, 28), np.float32)
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    tab = train_tab(at)
    assert any(m.value == "**Le modèle après l'époque 2**" for m in tab.markdown)
    shown = captions(tab)
    assert shown[0].startswith("27 chiffres de test sur 32 bien lus")
    assert shown[1].startswith("Les 32 filtres de la première convolution")
    assert shown[2] == "Votre dessin, lu par le modèle de cette époque : 2 (sûr à 91\u202f%)"
    series, _ = chart_series(tab)
    assert series[1][0] == ["Perte (entraînement, lot par lot, lissée)"]
