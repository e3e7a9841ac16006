"""Every key the page keeps in `st.session_state`, in one place.

A widget's `key=` is a session-state key too: Streamlit keeps the widget's value under it, so a
widget key here is as much a part of the session's state as the keys the views write. The
values are the strings the tests and the browser tests look for: a value changes only with
them. Keys built from a prefix and a number or a digest (the canvas, a drawing's control, the
download buttons) have their prefix here.

Each key's line says who writes it and who reads it. Not here: the keys of `st.container`s,
which only give the container its CSS class `st-key-KEY` and hold no state; they stay beside
their CSS (`ui.narrow.PHONE_ANSWER`, `ui.narrow.TOOLBAR_ROOM`, `ui.inside.VIEW`).
`tests/test_session_keys.py` checks that no other module writes a
key of its own.
"""

# The sidebar: language and model.
LANGUAGE = "language"
"""'en' or 'fr': ui.sidebar's radio writes it; ui.sidebar reads it for the radio's own label."""
MODEL_CHOICE = "model_choice"
"""The chosen model (a path, or "uploaded"): ui.sidebar's selectbox and ui.follow; ui.correction."""
UPLOADER = "upload"
"""The uploaded file: ui.sidebar's file uploader writes it; ui.compare_view reads its bytes."""
ACCEPTED_UPLOAD = "accepted_upload"
"""The sha256 of the upload last accepted: ui.sidebar writes and reads it; ui.correction reads."""
UPLOAD_RECORD = "visitor_upload"
"""The accepted upload's `UploadRecord`: ui.sidebar keeps it; ui.explore, ui.compare_view read."""
VANISHED_MODEL = "vanished_model"
"""(file name, model chosen instead) after a chosen model was removed: ui.sidebar alone."""

# Following the server (ui/follow.py).
SERVER_SEEN = "server_seen"
"""The `ServerView` the page was last drawn from: ui.follow writes and reads it."""
ADOPTED_JOB = "adopted_job"
"""The job whose model this page switched to: ui.follow writes and reads it."""
ADOPTED_MODEL = "adopted_model"
"""That model's path, while it stays chosen: ui.follow writes it; ui.sidebar reads and drops it."""
ADOPTED_TOLD = "adopted_told"
"""The adopted model a toast has announced: ui.sidebar writes and reads it."""

# The tabs (ui/tabs.py).
TAB_BAR = "tabs"
"""The open tab's label, in the page's language: ui.tabs's st.tabs writes it; ui.tabs reads it."""
OPEN_TAB = "open_tab"
"""The open tab's name, whatever the language: ui.tabs writes and reads it."""

# Draw (ui/draw.py, ui/inside.py, ui/correction.py).
CANVAS_PREFIX = "canvas_"
"""The canvas widget's key is this and CANVAS_CLEARS' count: ui.draw draws it (ui.kept_drawing)."""
CANVAS_CLEARS = "canvas_clears"
"""How many times Clear was pressed (a new canvas key each time): ui.kept_drawing alone."""
DRAWING = "drawing"
"""The visitor's drawing (fabric.js JSON, PNG data URL) or None: ui.kept_drawing alone."""
CANVAS_SEED = "canvas_seed"
"""(language, drawing) the canvas was last drawn afresh from: ui.kept_drawing alone."""
CLEAR_CANVAS = "clear_canvas"
"""The Clear button: ui.draw writes it (the widget); nobody reads it, its callback acts."""
STROKE_WIDTH = "stroke_width"
"""The stroke slider: ui.draw writes it (the widget) and reads it for the canvas above it."""
DRAWN_INPUT = "drawn_input"
"""The last single digit's 28x28 input, or None: ui.draw writes it; ui.train reads it."""
INSIDE_OPEN = "inside_open"
"""The "Inside the network" toggle: ui.inside writes it (the widget) and reads it."""
INSIDE_SECTION = "inside_section"
"""The section shown inside the network: ui.inside writes it (the widget) and reads it."""
INSIDE_DIGIT = "inside_digit"
"""Which digit of a number is looked inside: ui.inside writes it (the widget) and reads it."""
WHAT_DRAWN_PREFIX = "what_drawn_"
"""The "What did you draw?" pills' key is this and the drawing's digest: ui.correction alone."""
DRAWINGS_RECORDING = "drawings_recording"
"""The visitor's recording switch (on by default): ui.correction writes and reads it."""
DRAWINGS_RECORDED = "drawings_recorded"
"""{drawing digest: row id} of this session's drawings: ui.correction writes and reads it."""
DRAWINGS_NOTICE = "drawings_notice"
"""(drawing digest, text key, values) after a choice: ui.correction writes and reads it."""
SCORES_STALE = "scores_stale"
"""True after a drawing was recorded, until the page reruns for the scores: ui.correction alone."""
DRAWINGS_SESSION = "drawings_session"
"""The anonymous id kept with this session's drawings: ui.drawings_store, for ui.correction."""

# Train (ui/train.py, ui/train_drawings.py).
OWNER = "owner"
"""This visitor's secret token for the trainings they start: ui.train writes it; ui.follow reads."""
TRAIN_BUTTON = "train"
"""The Train button: ui.train writes it (the widget) and reads its click."""
CANCEL_BUTTON = "cancel"
"""The Cancel button: ui.train writes it (the widget); nobody reads it, its callback acts."""
RECIPE = "recipe"
"""The recipe selectbox: ui.train writes it (the widget, and drops a switched-off one); reads it."""
EPOCHS = "epochs"
"""The epochs input: ui.train writes it (the widget, and a new recipe's default) and reads it."""
BATCH_SIZE = "batch_size"
"""The batch size input: ui.train writes it (the widget, and a new recipe's default); reads it."""
TRAIN_IMAGES = "train_images"
"""The training images input: ui.train writes it (the widget) and reads it."""
WITH_DRAWINGS = "with_drawings"
"""The "train with the visitors' drawings" checkbox: ui.train_drawings writes and reads it."""
TRAIN_NOTICE = "train_notice"
"""Why the last Train click started nothing ("busy", or an error): ui.train writes and pops it."""
WATCHING_JOB = "watching_job"
"""The job whose progress this page watches, or None: ui.train writes and reads it."""

# Explore (ui/explore.py, ui/test_set_view.py, ui/compare_view.py, ui/downloads.py).
TEST_INDEX = "test_index"
"""The tutorial step's test image: ui.explore writes it (the widget) and reads it."""
CONFUSION_CHART = "confusion_chart"
"""The confusion matrix's clicked cell: its chart writes it; ui.test_set_view reads it."""
CELL_TRUE = "cell_true"
"""The true digit of the confusion cell shown: ui.test_set_view writes and reads it."""
CELL_READ = "cell_read"
"""The digit read of the confusion cell shown: ui.test_set_view writes and reads it."""
COMPARE_WITH = "compare_with"
"""The second model's key (a path, or `upload:<sha256>`): ui.compare_view writes and reads it."""
DOWNLOAD_PREFIX = "download"
"""The download buttons' key is this and the suffix (.keras, .h5): ui.downloads; nobody reads."""

# issue 20: inside the network, short by default.
INSIDE_ALL_MAPS = "inside_all_maps"
"""The layer outputs' "Show all feature maps" toggle: ui.inside writes it (the widget), reads it."""

# issue 23 (capacity): a page served at a person's pace.
STROKE_PACE = "stroke_pace"
"""`(turns left, when counted)` of the strokes' readings: ui.pace writes and reads it, before each."""
PAGE_PACE = "page_pace"
"""`(turns left, when counted)` of the whole-page runs: ui.pace writes and reads it, before each."""
FRAGMENT_PACE = "fragment_pace"
"""`(turns left, when counted)` of the other fragments' runs alone: ui.pace writes and reads it."""
CLIENT = "client"
"""`(the visitor's address or None,)`, read once a session: ui.pace writes and reads it."""

# Not in the control's callback arguments, which stay with each stroke's control until a
# whole-page run (a stroke reruns only the Draw fragment).
CORRECTION_CANVAS = "correction_canvas"
"""`(digest, decoded canvas)` of the drawing asked about: ui.correction writes and reads it."""

# issue 22 (trust): the store's limits said once.
DRAWINGS_CLOSED = "drawings_closed"
"""Why no more drawings are recorded here, and the drawing told: ui.correction writes, reads it."""
