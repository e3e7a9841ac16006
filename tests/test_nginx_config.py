"""The nginx configuration scripts/serve_many.py writes from deploy/nginx.conf.template: the
routing cookie names only this run's processes, the visitor's address is nginx's to write, the
upload limit is Streamlit's; and the script's refusals before it starts anything."""

import fcntl
import re
import threading
from pathlib import Path

import pytest

from mnist_core.errors import MnistError
from tests.serve_many_kit import serve_many


def config(ports=(1111, 2222), upload_mb=25, run_dir="/srv/run"):
    return serve_many.nginx_config(serve_many.TEMPLATE.read_text(), Path(run_dir), "127.0.0.1",
                                   8501, list(ports), upload_mb)


def block(text, opening):
    """The lines inside the `{ }` block that starts with `opening`, stripped, comments left out."""
    start = text.index(opening + " {")
    body = text[text.index("{", start) + 1: text.index("}", start)]
    return [line.strip() for line in body.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_the_routing_cookie_can_name_only_this_runs_processes():
    text = config()
    assert block(text, "map $cookie_mnist_backend $mnist_group") == [
        "default mnist_newcomers;", "b1 mnist_b1;", "b2 mnist_b2;"]
    assert block(text, "upstream mnist_b1") == ["server 127.0.0.1:1111 max_fails=0;",
                                                "keepalive 8;"]
    assert block(text, "upstream mnist_b2")[0] == "server 127.0.0.1:2222 max_fails=0;"
    assert block(text, "upstream mnist_newcomers")[:2] == ["server 127.0.0.1:1111;",
                                                          "server 127.0.0.1:2222;"]
    assert "proxy_pass http://$mnist_group;" in text


def test_the_proxy_writes_the_visitors_address_over_what_the_visitor_sent():
    text = config()
    assert "proxy_set_header X-Real-IP $remote_addr;" in text
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert serve_many.CLIENT_HEADER == "X-Real-IP"


def test_the_proxy_refuses_an_upload_streamlit_would_refuse(tmp_path):
    streamlit_config = tmp_path / "config.toml"
    streamlit_config.write_text("[server]\nmaxUploadSize = 7\n")
    assert serve_many.max_upload_mb(streamlit_config) == 7
    assert "client_max_body_size 8m;" in config(upload_mb=7)
    assert serve_many.max_upload_mb() == 25  # the shipped .streamlit/config.toml
    assert serve_many.max_upload_mb(tmp_path / "none.toml") == serve_many.STREAMLIT_UPLOAD_MB


def test_every_field_of_the_template_is_filled_in():
    text = config(ports=(1, 2, 3))
    assert not re.search(r"@[A-Z_]+@", text)
    assert "pid /srv/run/nginx.pid;" in text and "listen 127.0.0.1:8501;" in text
    assert "b3 mnist_b3;" in text


def test_refuses_a_run_folder_nginx_cannot_hold():
    with pytest.raises(MnistError, match="MNIST_SERVE_DIR"):
        config(run_dir="/srv/my run")


def test_listens_on_an_ipv6_address_in_brackets():
    text = serve_many.nginx_config(serve_many.TEMPLATE.read_text(), Path("/r"), "::", 80, [1], 1)
    assert "listen [::]:80;" in text


def test_without_nginx_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(serve_many.shutil, "which", lambda name: None)
    monkeypatch.setattr(serve_many.os, "access", lambda path, mode: False)
    with pytest.raises(MnistError, match="apt-get install nginx-light"):
        serve_many.find_nginx()


def test_a_second_run_in_the_same_folder_starts_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_SERVE_DIR", str(tmp_path))
    monkeypatch.setattr(serve_many, "find_nginx", lambda: "/usr/sbin/nginx")
    with open(tmp_path / "serve.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the first run holds it
        with pytest.raises(MnistError, match="Another scripts/serve_many.py"):
            serve_many.serve(threading.Event())  # no process started: not marked `process`


def test_only_the_first_process_keeps_a_training_process_ready():
    env = {"MNIST_TRAINING_SPARE": "1", "OTHER": "x"}
    assert serve_many.spare_env(env, 0) == env
    assert serve_many.spare_env(env, 1) == {"MNIST_TRAINING_SPARE": "0", "OTHER": "x"}
    assert env["MNIST_TRAINING_SPARE"] == "1"
