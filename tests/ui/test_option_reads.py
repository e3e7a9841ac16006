"""ui/option_reads: Streamlit's options read without its configuration lock (issue 23).

The attack is the crowd itself: one thread holds Streamlit's configuration lock (a page's run
that lost the interpreter in the middle of reading an option), and every other page's thread
that reads an option must not queue behind it.
"""

import copy
import threading

import pytest
from streamlit import config

from ui import option_reads

WAIT = 5.0  # seconds a read may take before the test calls it queued
QUEUED = 0.3  # seconds that show a read queued (Streamlit's own waits as long as the lock is held)


@pytest.fixture
def unlocked(monkeypatch):
    config.get_config_options()  # parsed, as before the server starts
    monkeypatch.setattr(config, "get_option", config.get_option)  # the test's patch undone after
    original = getattr(config.get_option, "original", config.get_option)
    monkeypatch.setattr(config, "get_option", original)
    assert option_reads.read_options_without_lock()
    assert option_reads.read_options_without_lock()  # idempotent: the page calls it every run
    assert config.get_option.original is original
    return original


def _read_while_locked(key, wait=WAIT):
    """`config.get_option(key)` from another thread while this one holds the configuration lock;
    returns what it read, or "queued" when it did not return within `wait` seconds."""
    got = []
    with config._config_lock:
        reader = threading.Thread(target=lambda: got.append(config.get_option(key)), daemon=True)
        reader.start()
        reader.join(wait)
        if reader.is_alive():
            got.append("queued")
    reader.join()
    return got[0]


def test_a_read_does_not_queue_behind_the_lock(unlocked):
    assert _read_while_locked("server.maxUploadSize") == unlocked("server.maxUploadSize")


def test_without_the_patch_a_read_queues_behind_the_lock(monkeypatch):
    # What the test above would see without it: Streamlit's read waits for the lock.
    config.get_config_options()
    original = getattr(config.get_option, "original", config.get_option)
    monkeypatch.setattr(config, "get_option", original)
    assert _read_while_locked("server.maxUploadSize", QUEUED) == "queued"


def test_reads_give_what_streamlit_gives_and_see_set_option(unlocked, monkeypatch):
    for key in ("server.maxUploadSize", "runner.postScriptGC", "global.minCachedMessageSize",
                "theme.base", "client.toolbarMode"):
        assert config.get_option(key) == unlocked(key)
    monkeypatch.setattr(config, "_config_options", copy.deepcopy(config._config_options))
    config.set_option("client.toolbarMode", "viewer")
    assert config.get_option("client.toolbarMode") == "viewer"


def test_an_unknown_option_is_streamlits_own_error(unlocked):
    with pytest.raises(RuntimeError, match="not defined"):
        config.get_option("server.noSuchOption")


def test_before_the_options_are_parsed_streamlit_parses_them(unlocked, monkeypatch):
    monkeypatch.setattr(config, "_config_options", None)
    assert config.get_option("server.maxUploadSize") == unlocked("server.maxUploadSize")
    assert config._config_options  # Streamlit's own function parsed them


def test_anothers_replacement_is_left_in_place(monkeypatch):
    # Streamlit's AppTest replaces `get_option` for its runs (to say it is testing): a page run
    # there must still read through it.
    def replacement(key):
        return "theirs"

    monkeypatch.setattr(config, "get_option", replacement)
    assert not option_reads.read_options_without_lock()
    assert config.get_option is replacement
