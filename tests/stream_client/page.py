"""What one session's page shows, read from the server's ForwardMsg deltas.

The client keeps only what a visitor acts on or looks at: the widgets it may set (by label),
the Draw view's canvas, the answer to a stroke ("Predicted digit", "Number read", or "That does
not look like a digit"), and exceptions shown in the page.
"""

from collections import deque
from dataclasses import dataclass, field

CANVAS_COMPONENT = "streamlit_drawable_canvas"  # in the bidi component's name
# The answer to a stroke, in English and French (ui.texts): a digit's metric, a number's metric
# (a drawing read as several digits), or the heading that says it is no digit.
ANSWER_LABELS = ("Predicted digit", "Chiffre prédit", "Number read", "Nombre lu")
NOT_DIGIT = ("That does not look like a digit", "Ça ne ressemble pas à un chiffre")
WIDGETS = ("button", "number_input", "selectbox", "file_uploader", "slider", "radio",
           "checkbox", "toggle", "segmented_control", "text_input")


@dataclass
class Widget:
    """A widget the page drew: its id, the fragment it lives in ("" outside any), its kind."""

    id: str
    fragment_id: str
    kind: str
    element: object = None  # the proto, for its options or default


@dataclass
class Page:
    """The page as the last runs drew it."""

    widgets: dict = field(default_factory=dict)  # label -> Widget
    canvas: Widget = None
    canvas_moves: int = 0  # times the canvas came back under another widget or fragment id
    tabs: Widget = None  # the tab bar (a widget since Streamlit's tabs rerun on change)
    tab_labels: list = field(default_factory=list)
    exceptions: list = field(default_factory=list)  # "Type: message", each shown exception
    progress: str = ""  # the last progress bar's text (a training's epoch and batch)
    answer: str = None  # the last answer shown: the digit or number as text, "?" for no digit
    alerts: deque = field(default_factory=lambda: deque(maxlen=50))  # st.success... texts
    fragment_ids: set = field(default_factory=set)  # of the fragments whose deltas came

    def read(self, delta):
        """Reads one `Delta`; returns the metric's `(label, body)` when it is an answer."""
        kind = delta.WhichOneof("type")
        if delta.fragment_id:
            self.fragment_ids.add(delta.fragment_id)
        if kind == "add_block":
            self._block(delta.add_block, delta.fragment_id)
        elif kind == "new_element":
            return self._element(delta.new_element, delta.fragment_id)
        return None

    def _block(self, block, fragment_id):
        kind = block.WhichOneof("type")
        if kind == "tab_container" and block.tab_container.id:
            self.tabs = Widget(block.tab_container.id, fragment_id, "tabs", block.tab_container)
            self.tab_labels = []
        elif kind == "tab":
            self.tab_labels.append(block.tab.label)

    def _element(self, element, fragment_id):
        kind = element.WhichOneof("type")
        if kind == "bidi_component" and CANVAS_COMPONENT in element.bidi_component.component_name:
            canvas = Widget(element.bidi_component.id, fragment_id, kind)
            # A canvas under a new widget or fragment id: a stroke sent with the old ones in
            # between is one the server no longer knows (counted, for the bench's record).
            self.canvas_moves += self.canvas is not None and (
                (canvas.id, canvas.fragment_id) != (self.canvas.id, self.canvas.fragment_id))
            self.canvas = canvas
        elif kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "metric" and element.metric.label in ANSWER_LABELS:
            self.answer = element.metric.body
            return element.metric.label, element.metric.body
        elif kind == "heading" and element.heading.body in NOT_DIGIT:
            self.answer = "?"
            return element.heading.body, self.answer
        elif kind == "alert":
            self.alerts.append(element.alert.body)
        elif kind == "progress":
            self.progress = element.progress.text
        elif kind in WIDGETS:
            proto = getattr(element, kind)
            label = getattr(proto, "label", "") or getattr(proto, "id", "")
            self.widgets[label] = Widget(proto.id, fragment_id, kind, proto)
        return None
