"""Which model a page reads drawings with: the best reader first, and a visitor's own model as
soon as their training finishes (only on their page)."""

import json
import os
import shutil

import streamlit as st

from mnist_core.jobs.training_jobs import JobState, TrainingJobs
from tests.app_kit import start
from tests.conftest import ROOT
from ui.session_keys import LANGUAGE, MODEL_CHOICE, OWNER


def test_first_visit_reads_with_the_best_reader_and_the_tutorial_model_is_one_click_away(
        models, canvas):
    for suffix in (".keras", ".json"):
        shutil.copy(ROOT / "models" / f"strong{suffix}", models / f"strong{suffix}")
    at = start()
    chooser = at.sidebar.selectbox(key=MODEL_CHOICE)
    assert chooser.value == str(models / "strong.keras")
    assert chooser.options == ["strong ★", "tutorial"]
    assert "★ Best on drawings: reads 99.4% of the project's drawn digits" in at.sidebar.caption[0].value
    chooser.set_value(str(models / "tutorial.keras")).run()
    assert "The tutorial's own model" in at.sidebar.caption[0].value
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert "Le modèle du tutoriel lui-même" in at.sidebar.caption[0].value


def test_a_visitors_own_training_switches_their_page_to_the_new_model_and_no_one_elses(
        models, canvas, monkeypatch):
    import ui.resources

    shutil.copy(models / "tutorial.keras", models / "tutorial-20261125-120000.keras")
    (models / "tutorial-20261125-120000.json").write_text(json.dumps(
        {"recipe": "quick", "test_accuracy": 0.98, "drawn_accuracy": 0.9}))  # not the best
    manager = TrainingJobs(models)
    monkeypatch.setattr(ui.resources, "training_jobs", lambda: manager)
    mine = start(**{OWNER: "me"})
    theirs = start(**{OWNER: "someone-else"})
    new_model = str(models / "tutorial-20261125-120000.keras")
    manager._state = JobState(status="done", job_id=1, owner="me", model_path=new_model,
                              test_accuracy=0.99)
    mine.run()
    theirs.run()
    assert mine.sidebar.selectbox(key=MODEL_CHOICE).value == new_model
    said = "Your model tutorial-20261125-120000.keras is trained: the page now reads your drawings with it."
    assert [s.value for s in mine.sidebar.success] == [said]
    assert [t.value for t in mine.toast] == [said]
    assert theirs.sidebar.selectbox(key=MODEL_CHOICE).value == str(models / "tutorial.keras")
    assert not theirs.sidebar.success
    # Once the visitor chooses another model, the page keeps their choice.
    mine.sidebar.selectbox(key=MODEL_CHOICE).set_value(str(models / "tutorial.keras")).run()
    mine.run()
    assert mine.sidebar.selectbox(key=MODEL_CHOICE).value == str(models / "tutorial.keras")
    assert not mine.sidebar.success
    st.cache_resource.clear()


def test_a_fifo_in_the_models_folder_is_never_offered_nor_its_path_shown(models, canvas):
    # issue 22 (B5): chosen in the sidebar, it said "There is no model file at /srv/.../fifo.keras".
    os.mkfifo(models / "fifo.keras")
    at = start(**{MODEL_CHOICE: str(models / "fifo.keras")})  # as if chosen before it turned one
    assert not at.exception, at.exception
    chooser = at.sidebar.selectbox(key=MODEL_CHOICE)
    assert chooser.options == ["tutorial ★"] and chooser.value == str(models / "tutorial.keras")
    shown = [e.value for e in (*at.error, *at.warning, *at.info, *at.toast, *at.sidebar.error,
                               *at.sidebar.warning, *at.sidebar.info, *at.caption)]
    assert not [text for text in shown if str(models) in text or "/" + "fifo" in text]
