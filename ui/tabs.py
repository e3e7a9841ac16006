"""The page's three tabs: only the open one is computed, and it stays open across languages."""

import streamlit as st

from ui.session_keys import OPEN_TAB, TAB_BAR
from ui.texts import text

TABS = ("draw", "train", "explore")


def open_tab(language):
    """Draws the tab bar and tells which tab is open.

    The tabs rerun the page when the visitor switches, so only the open tab's content needs
    computing: a stroke in Draw never waits for Explore's MNIST load, nor for Train's charts.
    The widget holds a label, which a language switch changes, so the open tab is also kept
    by name and restored under its new label.

    Returns:
        `(name, container)`: the open tab's name (one of `TABS`) and the container to fill.
    """
    labels = [text(language, f"tab_{name}") for name in TABS]
    remembered = st.session_state.get(OPEN_TAB, TABS[0])
    if st.session_state.get(TAB_BAR) not in labels:  # a first visit, or a new language
        st.session_state[TAB_BAR] = labels[TABS.index(remembered)]
    containers = st.tabs(labels, key=TAB_BAR, on_change="rerun")
    for name, container in zip(TABS, containers):
        if container.open:
            st.session_state[OPEN_TAB] = name
            return name, container
    return TABS[0], containers[0]  # not reached: one tab is always open
