"""ui/theme_message: the new-session message's theme filled once per table of options, the same
as Streamlit fills it every time."""

import copy

import pytest
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session

from ui import theme_message

SECTIONS = ["theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar",
            "theme.dark.sidebar"]


def _theme(populate):
    """The custom theme as `AppSession._create_new_session_message` fills it, section by
    section in its order, with `populate`."""
    msg = ForwardMsg()
    theme = msg.new_session.custom_theme
    targets = [theme, theme.light, theme.dark, theme.sidebar, theme.light.sidebar,
               theme.dark.sidebar]
    for target, section in zip(targets, SECTIONS):
        populate(target, section)
    return msg


@pytest.fixture
def options(monkeypatch):
    """A table of options of the test's own, as a new reading of the configuration makes."""
    config.get_config_options()
    table = copy.deepcopy(config._config_options)
    monkeypatch.setattr(config, "_config_options", table)
    config.set_option("theme.primaryColor", "#1f6feb")
    config.set_option("theme.sidebar.primaryColor", "#ff0000")
    return table


@pytest.fixture
def counted():
    original = app_session._populate_theme_msg
    original = getattr(original, "original", original)
    calls = []

    def populate(msg, section="theme"):
        calls.append(section)
        original(msg, section)

    return populate, calls


def test_each_section_is_filled_once_and_copied_the_same_after(options, counted):
    populate, calls = counted
    kept = theme_message._filled_once(populate)
    first, second, third = _theme(kept), _theme(kept), _theme(kept)
    assert calls == SECTIONS  # the second and third messages were copies
    expected = _theme(populate)
    assert _bytes(first) == _bytes(second) == _bytes(third) == _bytes(expected)
    assert expected.new_session.custom_theme.primary_color == "#1f6feb"
    assert expected.new_session.custom_theme.sidebar.primary_color == "#ff0000"
    # Sections with nothing set stay absent, as Streamlit leaves them.
    assert not second.new_session.custom_theme.HasField("light")
    assert second.new_session.custom_theme.HasField("sidebar")


def test_a_new_reading_of_the_configuration_is_filled_again(options, counted, monkeypatch):
    populate, calls = counted
    kept = theme_message._filled_once(populate)
    _theme(kept)
    monkeypatch.setattr(config, "_config_options", copy.deepcopy(options))
    config.set_option("theme.primaryColor", "#00aa00")
    again = _theme(kept)
    assert calls == SECTIONS * 2
    assert again.new_session.custom_theme.primary_color == "#00aa00"
    assert _bytes(again) == _bytes(_theme(populate))


def _bytes(msg):
    return msg.SerializeToString(deterministic=True)


@pytest.mark.parametrize("settings", [
    {"theme.base": "light"},  # the enum's default: the theme present with no field set
    {"theme.sidebar.primaryColor": ""},
    {"theme.light.sidebar.primaryColor": "#ff0000", "theme.light.primaryColor": "#00ff00"},
    {},
], ids=["base_light", "empty_colour", "nested", "nothing"])
def test_a_theme_present_with_nothing_shown_stays_present(settings, counted, monkeypatch):
    # Streamlit marks a section present when it sets any field, its default value included;
    # the frontend falls back to the visitor's system theme where the theme is absent.
    config.get_config_options()
    monkeypatch.setattr(config, "_config_options",
                        copy.deepcopy(config._config_options_template))
    for key, value in settings.items():
        config.set_option(key, value)
    populate, _ = counted
    kept = theme_message._filled_once(populate)
    expected = _bytes(_theme(populate))
    assert [_bytes(_theme(kept)) for _ in range(3)] == [expected] * 3
    present = _theme(kept).new_session.HasField("custom_theme")
    assert present == bool(settings)


def test_the_page_installs_it_once(monkeypatch):
    original = app_session._populate_theme_msg
    monkeypatch.setattr(app_session, "_populate_theme_msg", getattr(original, "original",
                                                                    original))
    assert theme_message.fill_theme_once()
    installed = app_session._populate_theme_msg
    assert installed.filled_once
    assert theme_message.fill_theme_once() and app_session._populate_theme_msg is installed
