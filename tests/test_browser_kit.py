"""The browser tests' own tools, checked without a browser."""

from tests.browser_kit import STREAMLIT_LOG_FORMAT, streamlit_warnings


def test_streamlit_warnings_are_found_in_a_server_log_and_the_apps_own_are_not(tmp_path):
    import logging

    log = tmp_path / "streamlit.log"
    record = logging.LogRecord("streamlit.elements.lib.policies", logging.WARNING, "", 0,
                               'The widget with key "epochs" was created with a default value '
                               "but also had its value set via the Session State API.", (), None)
    ours = logging.LogRecord("mnist_core.untrusted.loader", logging.WARNING, "", 0, "ours", (),
                             None)
    fine = logging.LogRecord("streamlit.web.server", logging.INFO, "", 0, "fine", (), None)
    formatter = logging.Formatter(STREAMLIT_LOG_FORMAT)
    log.write_text("\n".join(formatter.format(r) for r in (fine, record, ours)) + "\n")
    warned = streamlit_warnings(log)
    assert len(warned) == 1 and 'key "epochs"' in warned[0]
