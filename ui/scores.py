"""Scores on recorded drawings: the visitor's own, and every model's on all visitors' drawings."""

import streamlit as st

from mnist_core.drawings import scores as drawing_scores
from mnist_core.drawings import trust
from mnist_core.drawings.store import DrawingRefused
from mnist_core.errors import MnistError
from ui import pace, resources
from ui.drawings_store import judged, store
from ui.texts import text


def own_score(language, session):
    """"Read right n of m" for this session's drawings, and what the model took them for."""
    try:
        labels, predicted = store().session_pairs(session)
    except DrawingRefused:
        return
    mine = drawing_scores.score(labels, predicted)
    if not mine.total:
        return
    st.markdown(text(language, "own_score", right=mine.right, total=mine.total))
    misread = [(truth, read, int(mine.confusion[truth, read]))
               for truth in range(10) for read in range(10)
               if truth != read and mine.confusion[truth, read]]
    if misread:
        st.caption(text(language, "own_confusion", pairs=", ".join(
            text(language, "misread_pair", truth=t, read=r, n=n) for t, r, n in misread)))


@pace.fragment
def model_scores(language, fingerprint):
    """Each model of the list on every visitor's recorded drawings whose label is trusted (the
    last `SCORED_DRAWINGS`, no session or address more than a small share: `drawings.trust`). A
    fragment of its own, so a stroke on the canvas never waits for it."""
    db = store()
    if db is None:
        return
    try:
        judged(db)
        count = db.count(trusted=True)  # a drawing labelled "not a digit" scores no model
    except DrawingRefused:
        return
    with st.expander(text(language, "scores_title"), expanded=False):
        if not count:
            st.caption(text(language, "scores_none"))
            return
        scored = []
        for path, _ in resources.model_list(fingerprint):
            right, total = _model_score(str(path), resources.file_version(path), count)
            scored.append((path, right, total))
        shown = max([total for _, _, total in scored] or [0])
        st.caption(text(language, "scores_caption_one") if shown == 1
                   else text(language, "scores_caption", n=shown))
        for path, right, total in scored:
            if total:
                st.markdown(text(language, "score_row", name=path.name, accuracy=right / total,
                                 right=right, total=total))


@st.cache_resource(show_spinner=False, max_entries=32)
def _model_score(path, version, count):
    """`(right, total)` of one model on the trusted drawings of digits, each source capped
    (`trust.for_score`); `count` (those rows) and `version` (the model file's `file_version`)
    invalidate it."""
    try:
        images, labels = trust.for_score(store(), drawing_scores.SCORED_DRAWINGS)
        _, predictor = resources.saved_model(path, version)
    except MnistError:  # a model that fails to load, a store that fails: no row, no crash
        return 0, 0
    found = drawing_scores.model_score(predictor, images, labels)
    return found.right, found.total
