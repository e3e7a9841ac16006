"""The Train view: settings within the server's limits, Train and Cancel, and live progress.

Any visitor sees a running training and its progress (`ui/live_view.py`); only the page that
started it (its session's owner token) can cancel it, have its drawing read by each epoch, and
see how it ended: another visitor learns of the new model by a line under the model list
(`ui/new_model_line.py`).
"""

import secrets
import time
from pathlib import Path

import streamlit as st

from mnist_core.jobs import limits as train_limits
from mnist_core.jobs.state import PREPARING, VALIDATING
from mnist_core.constants import NUM_TRAIN
from mnist_core.errors import MnistError
from mnist_core.training.recipes import RECIPES
from ui import pace
from ui.live_view import epoch_view, learning_charts
from ui.numbers import whole
from ui.session_keys import (BATCH_SIZE, CANCEL_BUTTON, DRAWN_INPUT, EPOCHS, OWNER, RECIPE,
                             TRAIN_BUTTON, TRAIN_IMAGES, TRAIN_NOTICE, WATCHING_JOB)
from ui.texts import text
from ui.train_drawings import drawings_choice
from ui.widget_values import keep_choice

POLL_SECONDS = 1.0
SETUP_POLL_SECONDS = 0.25
"""While a training sets up, in its last seconds and while it saves, the panel looks four times
a second, so its first batch and its end show a quarter second after they come rather than up
to a second (issue 24: Train to the first batch within 3 s, to a quick model within 20 s); one
full rerun switches between this and `POLL_SECONDS`."""
NEAR_END_SECONDS = 2.0
"""Estimated seconds left under which the end is near (`_poll_quickly`): a quick model's saving
(its test report and its file) takes under a second, and a look once a second could miss it."""
MAX_EPOCHS = 50
MIN_IMAGES = 100
MIN_BATCH, MAX_BATCH = 8, 2048
IMAGE_COUNTS = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000,
                60_000)
"""The training image counts a visitor chooses from (those under the deployer's limit)."""


def owner_token():
    """This page session's secret token: it starts a training and is the only one to cancel it."""
    return st.session_state.setdefault(OWNER, secrets.token_hex(16))


def train_view(language, jobs):
    """Settings and buttons, then the live panel of the server's training job."""
    state = jobs.snapshot()
    owner = owner_token()
    try:
        limits = train_limits.current()
    except MnistError as error:  # a deployer's setting is unusable: say which, keep the page
        st.error(str(error))
        return progress_panel(language, jobs)
    if not limits.training_allowed:
        st.info(text(language, "training_off"))
        return progress_panel(language, jobs)
    settings, refusal = _settings(language, limits)
    others = state.active and state.owner != owner
    go, stop, _ = st.columns([1, 1, 4])
    # Not an on_click callback: its arguments would be this page's previous settings, and a
    # visitor who types a number and clicks Train at once sends both in one run. The settings
    # above are this run's; the rerun draws the buttons in the new state.
    if go.button(text(language, "train"), type="primary", disabled=state.active or bool(refusal),
                 key=TRAIN_BUTTON):
        _start(jobs, settings, owner)
        st.rerun()
    if not others:  # someone else's training shows no Cancel at all: it is not theirs to stop
        stop.button(text(language, "cancel"), disabled=not state.active, key=CANCEL_BUTTON,
                    on_click=jobs.cancel, args=(owner,))
    if refusal:
        st.warning(refusal)
    elif others:
        st.info(text(language, "watching"))
    notice = st.session_state.pop(TRAIN_NOTICE, None)
    if notice in ("busy", "busy_elsewhere"):
        st.warning(text(language, notice))
    elif notice:
        st.error(notice)
    progress_panel(language, jobs)


def _settings(language, limits):
    """The recipe and numbers, bounded by the deployer's limits; `(settings, refusal or None)`."""
    names = list(limits.recipes)
    if st.session_state.get(RECIPE) not in names:
        st.session_state.pop(RECIPE, None)  # a recipe the deployer has since switched off
    # The options are the recipes' names and the description is a caption: a selectbox keeps
    # showing the label it was first drawn with when its format_func changes (the language).
    recipe = st.selectbox(text(language, "recipe"), names, key=RECIPE,
                          on_change=_recipe_defaults, args=(limits,))
    summary = text(language, f"recipe_{recipe}")
    st.caption(summary[:1].upper() + summary[1:])  # summaries follow "name: " on the command line
    chosen = RECIPES[recipe]
    most_epochs = _most_epochs(limits)
    # The values are set here, before the widgets, and the widgets get no default of their
    # own: a default beside a value set through st.session_state (a recipe's, on choosing it)
    # makes Streamlit log a warning at every choice.
    _keep_within(EPOCHS, min(chosen.epochs, most_epochs), 1, most_epochs)
    _keep_within(BATCH_SIZE, chosen.batch_size, MIN_BATCH, MAX_BATCH)
    first, second, third = st.columns(3)
    epochs = first.number_input(text(language, "epochs"), 1, most_epochs, key=EPOCHS)
    batch_size = second.number_input(text(language, "batch_size"), MIN_BATCH, MAX_BATCH,
                                     key=BATCH_SIZE)
    counts = _image_counts(limits)
    if keep_choice(TRAIN_IMAGES, counts) is None:  # "60,000" is "60 000" in French
        st.session_state[TRAIN_IMAGES] = counts[-1]  # the largest first
    limit = third.select_slider(text(language, "train_images"), counts,
                                format_func=lambda n: whole(language, n), key=TRAIN_IMAGES,
                                help=text(language, "train_images_help"))
    st.caption(text(language, "limits", image_epochs=whole(language, limits.max_image_epochs),
                    minutes=float(limits.max_minutes)))
    settings = {"recipe": recipe, "epochs": int(epochs), "batch_size": int(batch_size),
                "limit": None if int(limit) == NUM_TRAIN else int(limit),
                **drawings_choice(language)}
    refusal = None
    if int(epochs) * int(limit) > limits.max_image_epochs:
        refusal = text(language, "over_limit", epochs=int(epochs),
                       images=whole(language, int(limit)),
                       most=whole(language, limits.max_image_epochs))
    return settings, refusal


def _most_epochs(limits):
    return max(1, min(MAX_EPOCHS, limits.max_image_epochs // MIN_IMAGES))


def _keep_within(key, default, least, most):
    """The widget `key`'s value set before the widget: `default` at first, kept in bounds."""
    value = min(most, max(least, st.session_state.get(key, default)))
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def _image_counts(limits):
    """The training image counts offered, up to what the deployer allows. A slider of counts, not a number input: a number input cannot group digits,
    and a French page showed "60000" beside "600 000"."""
    most = min(NUM_TRAIN, max(MIN_IMAGES, limits.max_image_epochs))
    return [n for n in IMAGE_COUNTS if n < most] + [most]


def _recipe_defaults(limits):
    """A newly chosen recipe brings its own epochs and batch size (quick: 1 and 128)."""
    chosen = RECIPES[st.session_state[RECIPE]]
    st.session_state[EPOCHS] = min(chosen.epochs, _most_epochs(limits))
    st.session_state[BATCH_SIZE] = chosen.batch_size


def _start(jobs, settings, owner):
    try:
        if not jobs.start(**settings, owner=owner):
            # Not this process's training: another process of the deploy (scripts/serve_many.py)
            # holds the models folder, and its progress cannot be shown from here.
            st.session_state[TRAIN_NOTICE] = ("busy" if jobs.snapshot().active
                                              else "busy_elsewhere")
    except MnistError as error:
        st.session_state[TRAIN_NOTICE] = str(error)


def progress_panel(language, jobs):
    """Polls the job once a second while it runs (four times during its setup and its saving);
    a full rerun when it ends refreshes the page."""
    first = jobs.snapshot()
    quick = _poll_quickly(first, time.time())
    every = (SETUP_POLL_SECONDS if quick else POLL_SECONDS) if first.active else None

    @pace.fragment(run_every=every)
    def panel():
        state = jobs.snapshot()
        own = state.owner is not None and state.owner == owner_token()
        if own and state.active:  # the latest drawing, for the next epoch's model to read
            jobs.read_drawing(state.owner, st.session_state.get(DRAWN_INPUT))
        render_state(language, state, own)
        if state.active:
            st.session_state[WATCHING_JOB] = state.job_id
        elif st.session_state.get(WATCHING_JOB) == state.job_id:
            # The job this page watched has ended: rerun the whole page so the model list,
            # the buttons and the polling all catch up.
            st.session_state[WATCHING_JOB] = None
            st.rerun()
        if state.active and _poll_quickly(state, time.time(), quick) != quick:
            st.rerun()  # the batches have begun, or the end is near: the poll changes pace

    panel()


def _poll_quickly(state, now, quick=False):
    """Whether the panel should look four times a second; `quick`: whether it does now. The
    estimate of the time left wavers, so once quick near the end it stays quick up to twice
    `NEAR_END_SECONDS`: each change of pace is a whole-page run."""
    if in_setup(state) or state.status == "saving":
        return True
    left = state.estimate_seconds_left(now)
    return left is not None and left <= NEAR_END_SECONDS * (2 if quick else 1)


def in_setup(state):
    """True while a training starts: its process and data, then its model's first step."""
    return state.status == "loading" or (state.status == "running" and state.stage == PREPARING)


def render_state(language, state, own=False):
    """Draws one snapshot: its stage and progress, live charts, the epoch's pictures, and the
    outcome; `own` on the page of the visitor who started it.

    A training that has ended is its owner's alone: another visitor's page shows the idle
    form (the new model appears in their model list, `ui.new_model_line`), never someone
    else's accuracy, curves or digit grid as if they were theirs.
    """
    if state.status == "idle" or not (state.active or own):
        st.caption(text(language, "idle_hint"))
        return
    if state.active:
        settings = state.settings
        st.caption(text(language, "running_settings", recipe=settings.get("recipe"),
                        epochs=settings.get("epochs"), batch=settings.get("batch_size"),
                        images=whole(language, settings.get("limit") or NUM_TRAIN)))
        st.progress(state.fraction, text=stage_label(language, state, time.time()))
        if state.status == "running" and state.running:
            st.caption(text(language, "running_live", loss=state.running.get("loss", 0.0),
                            accuracy=state.running.get("accuracy", 0.0)))
    learning_charts(language, state)
    epoch_view(language, state, own)
    if state.status == "done":
        st.success(text(language, "done", accuracy=state.test_accuracy,
                        path=Path(state.model_path).name))
    elif state.status == "cancelled":
        st.warning(text(language, "cancelled"))
    elif state.status == "failed":
        st.error(text(language, "failed", message=state.message))


SLOW_SETUP_SECONDS = 60
"""A setup still going after this long says why it may be slow: it takes ~2 s with a training
process kept ready and 15-25 s without, on 2 cores; a training runs below the server
(`MNIST_TRAINING_NICE`), so on a busy machine it waits for the CPU its visitors leave."""


def stage_label(language, state, now):
    """The progress bar's words for an active snapshot: the setup's two steps (and why, after
    `SLOW_SETUP_SECONDS`, they may be slow), the batches with the time left, each epoch's
    validation, and the end (scoring and saving), each with the time elapsed since the training
    started."""
    if state.status == "loading":
        label = text(language, "stage_loading")
    elif state.status == "saving":
        label = text(language, "stage_finishing")
    elif state.stage == PREPARING:
        label = text(language, "stage_preparing")
    elif state.stage == VALIDATING:
        label = text(language, "stage_validating", epoch=state.epoch, epochs=state.epochs)
    else:
        label = text(language, "progress", epoch=state.epoch, epochs=state.epochs,
                     step=state.step, steps=state.steps)
    elapsed = now - (state.started or now)
    label = f"{label} · {text(language, 'elapsed', seconds=elapsed)}"
    if elapsed > SLOW_SETUP_SECONDS and in_setup(state):
        label = f"{label} · {text(language, 'stage_slow')}"
    if state.status == "running" and state.stage != PREPARING and state.seconds_left is not None:
        label = f"{label} · {text(language, 'time_left', seconds=state.seconds_left)}"
    return label
