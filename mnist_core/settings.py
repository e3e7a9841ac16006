"""Every deployer setting the app and the command line honour, read from environment variables.

Streamlit Community Cloud exposes an app's root-level secrets as environment variables, so a
deployer sets these there (or in the shell). Each setting has its default and one line of
documentation here, and docs/settings.md's table is checked against this list by a test, so
the two cannot drift apart. Values are read at each call, never cached, so a test can change them.
"""

import dataclasses
import ipaddress
import math
import os
import re
from typing import Callable

from mnist_core.constants import MOST_DRAWINGS
from mnist_core.errors import MnistError

MOST_DRAWINGS_MB = 10_000
"""Ceiling of `MNIST_DRAWINGS_MAX_MB`: 10 GB, well above `MOST_DRAWINGS` drawings of ~4 KB."""


@dataclasses.dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default (as the text a deployer would write), and
    what it does."""

    name: str
    default: str
    doc: str
    parse: Callable[[str], object] = str
    shown: Callable[[str], str] = repr  # how a refusal quotes the value


def _whole(low, high):
    """A parser of whole numbers from `low` to `high`: anything else, infinity and numbers
    written with an exponent included, is refused."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:  # also a number of more digits than Python converts
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low:,} to {high:,}")
        return value

    parse.bounds = (low, high)
    return parse


def _decimal(high):
    """A parser of finite numbers above 0 and at most `high`: inf, nan and 1e309 (which Python
    reads as inf) are refused, since a limit of infinity later overflows (`int(inf)`)."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 < value <= high):
            raise ValueError(f"must be a number above 0 and at most {high:,g}")
        return value

    parse.bounds = (0, high)
    return parse


MOST_WHOLE = 10**9
"""Ceiling of a count setting without a ceiling of its own: far above any use, and far below
what SQLite's and C's integers overflow at."""
# For a setting without a ceiling of its own: every numeric setting is bounded.
_positive_int = _whole(1, MOST_WHOLE)
_count = _whole(0, MOST_WHOLE)
_positive_float = _decimal(MOST_WHOLE)


def _switch(text):
    if text not in ("0", "1"):
        raise ValueError("must be 0 or 1")
    return text == "1"


def _share(text):
    value = float(text)
    if not 0 < value <= 1:  # NaN and inf fail this too
        raise ValueError("must be a share above 0 and at most 1")
    return value


def _probability(text):
    # 0 (or 1e-400, read as 0) would make every label plausible: the trust rule silently off.
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError("must be a probability above 0 and at most 1 (MNIST_TRUST_MODEL= "
                         "switches the reference model off)")
    return value


def _model_name(text):
    if text and (text != os.path.basename(text) or not text.endswith((".keras", ".h5"))):
        raise ValueError("must be a .keras or .h5 file name in the models folder")
    return text


def _header(text):
    # str.isalnum() takes any script's letters and digits: a name no request ever carries.
    if text and not all(c.isascii() and (c.isalnum() or c == "-") for c in text):
        raise ValueError("must be a header name, ASCII letters, digits and '-'")
    return text


def _address(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError("must be an IP address such as 0.0.0.0, 127.0.0.1 or ::") from None


def _names(text):
    return tuple(name.strip() for name in text.split(",") if name.strip())


URL_SCHEMES = ("postgresql://", "postgres://")
"""How a database server's URL starts (libpq's two spellings)."""


def shown_url(text):
    """A database URL as a log line or a refusal may show it: its password, in the user part
    or as a `password=` parameter, replaced by `***`."""
    # To the last @ of all: a password may hold a / ? or # not percent-encoded (libpq reads one
    # with a ?, and a URL refused for it is shown in the sentence that says so).
    text = re.sub(r"(://[^/?#:@]*:).*@", r"\1***@", str(text))
    return re.sub(r"([?&](?:ssl)?password=)[^&#]*", r"\1***", text, flags=re.IGNORECASE)


def _database_url(text):
    if not text:
        return ""
    if not text.startswith(URL_SCHEMES):
        raise ValueError("must be a postgresql:// URL such as postgresql://user:password@host/"
                         "database, or empty for the SQLite file of MNIST_DRAWINGS_DB")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError("must be a URL without spaces or control characters")
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict  # libpq's own parser; it connects nowhere

    try:  # what a connection will read: a list of hosts (a primary, its standby) too
        ports = str(conninfo_to_dict(text).get("port") or "").split(",")
    except Error:  # libpq's sentence quotes the token it could not read: maybe the password
        raise ValueError("must be a postgresql:// URL that libpq reads: its parameters "
                         "libpq's own, a % followed by two hex digits") from None
    if not all(not port or (port.isdigit() and 0 < int(port) < 65536) for port in ports):
        raise ValueError("must be a postgresql:// URL whose host and port can be read")
    return text


SETTINGS = {s.name: s for s in (
    Setting("MNIST_CORE_CACHE", "",
            "Folder of the verified MNIST cache (empty: `~/.cache/mnist_core`)."),
    Setting("MNIST_PATH", "",
            "Your own copy of MNIST (an `.npz` like Keras' or a folder of the four IDX files), "
            "tried after the downloads."),
    Setting("MNIST_MODELS_DIR", "",
            "Folder of the page's models (empty: `models/` beside the app)."),
    Setting("MNIST_MAX_TRAINED_MODELS", "10",
            "Visitor-trained models kept in the models folder; the oldest is removed first. "
            "Shipped models (those without a `trained_by_visitor` mark) are never removed.",
            _whole(0, 1000)),
    Setting("MNIST_TRAIN_RECIPES", "tutorial,quick",
            "Recipes a visitor may train, comma-separated (`strong` holds the training slot for "
            "about 15 minutes on 2 cores). Empty: training is switched off. A name that is not a "
            "recipe is refused, never dropped.", _names),
    Setting("MNIST_MAX_TRAIN_IMAGE_EPOCHS", "600000",
            "Most epochs x training images in one visitor's training (600000: the tutorial's "
            "10 epochs of 60,000 images).", _whole(1, MOST_WHOLE)),
    Setting("MNIST_MAX_TRAIN_MINUTES", "10",
            "A visitor's training is stopped, and nothing saved, after this many minutes.",
            _decimal(24 * 60)),
    # issue 24 (no dead wait): a training process kept ready.
    Setting("MNIST_TRAINING_SPARE", "1",
            "1: a training process is kept ready (TensorFlow imported, MNIST loaded and "
            "prepared, a training step traced), so a visitor's first batch comes within seconds "
            "of Train; it holds ~1 GB while it waits. 0: each training starts its process after "
            "Train (~15-25 s of setup on 2 cores).", _switch),
    Setting("MNIST_TRAINING_NICE", "19",
            "How far below the server a training process runs, in nice steps: at 19 the "
            "visitors' strokes and an upload's check always come first, and a training takes "
            "the CPU they leave. Lower it when other programs keep every core busy at normal "
            "priority, or a training waits for them.", _whole(0, 19)),
    Setting("MNIST_DATA_RETRY_SECONDS", "300",
            "After MNIST could not be loaded (for Explore or a training), the page waits this long "
            "before trying again.",
            _decimal(24 * 3600)),
    # issue 13: visitors' drawings, kept to score the models and train the next one.
    Setting("MNIST_COLLECT_DRAWINGS", "1",
            "1: a visitor may record what they drew (the 28x28 input, the cropped ink, their label, "
            "the model's answer, an anonymous session id); 0: nothing is recorded or offered.",
            _switch),
    Setting("MNIST_DRAWINGS_DB", "",
            "SQLite file of the recorded drawings (empty: `data/drawings.sqlite` beside the app).",),
    # issue 23 (drawings on a database server): a deploy over several machines shares one store.
    Setting("MNIST_DRAWINGS_URL", "",
            "PostgreSQL database of the recorded drawings, a URL "
            "`postgresql://user:password@host:port/database` (empty: the SQLite file of "
            "`MNIST_DRAWINGS_DB`).", _database_url, lambda text: repr(shown_url(text))),
    Setting("MNIST_DRAWINGS_MAX_ROWS", "20000",
            "Most drawings kept; once reached, new corrections are refused (about 4 KB each).",
            _whole(1, MOST_DRAWINGS)),
    Setting("MNIST_DRAWINGS_MAX_MB", "100",
            "Most megabytes the drawings may take (a PostgreSQL server's count 7.2 KB a row, "
            "the most one takes there); once reached, new corrections are refused.",
            _decimal(MOST_DRAWINGS_MB)),
    # issue 23 (capacity): one page served at a person's pace, not a script's.
    Setting("MNIST_RUNS_PER_SECOND", "4",
            "Most strokes a second one visitor's page reads, and most times a second it is drawn "
            "whole, each after a burst of 12 (a hand sends one to three strokes a second); "
            "faster ones wait their turn, asleep, so that a script sending strokes or clicks "
            "back to back cannot take the server's interpreter from the other visitors.",
            _whole(1, 10_000)),
    Setting("MNIST_RUNS_AT_ONCE_PER_CLIENT", "2",
            "Most runs of one client's pages in progress at once (a client: one address, or "
            "one IPv6 /64, as `MNIST_CLIENT_HEADER` says behind a proxy), however many pages "
            "it opens; its other runs wait their turn, asleep, in order. A visitor's page "
            "never waits for itself, so only a script's many pages or a crowd behind one "
            "address ever wait. Pages of no address seen (a local run) are no client's; pages "
            "of an address not trusted are one client together. 0: no limit.",
            _whole(0, 10_000)),
    Setting("MNIST_DRAWINGS_PER_MINUTE", "20",
            "Most drawings one visitor's session may record in a minute.", _whole(1, 1000)),
    # issue 22 (trust): visitors' labels trusted only as far as they deserve; the store open
    # to honest visitors.
    Setting("MNIST_DRAWINGS_PER_SESSION", "200",
            "Most drawings kept from one visitor's session.", _whole(1, MOST_DRAWINGS)),
    Setting("MNIST_DRAWINGS_PER_CLIENT", "1000",
            "Most drawings kept from one client address (where the server knows it; stored "
            "hashed), however many sessions it opens.", _whole(1, MOST_DRAWINGS)),
    Setting("MNIST_DRAWINGS_PER_HOUR", "600",
            "Most drawings the whole server records in an hour.", _whole(1, MOST_DRAWINGS)),
    Setting("MNIST_DRAWINGS_PER_CLIENT_HOUR", "60",
            "Most drawings one client address records in an hour, so that one visitor opening "
            "fresh sessions cannot take the whole server's hour.", _whole(1, MOST_DRAWINGS)),
    Setting("MNIST_DRAWINGS_MAX_SHARE", "0.05",
            "Largest share of a training's images, or of a score's drawings, that one session or "
            "one client address may contribute.", _share),
    Setting("MNIST_TRUST_MODEL", "strong.keras",
            "Shipped model of the models folder that judges visitors' labels: a label is used "
            "when it gives it at least `MNIST_TRUST_MIN_PROBABILITY` (empty: none; only agreement "
            "and approval then).", _model_name),
    Setting("MNIST_TRUST_MIN_PROBABILITY", "0.05",
            "Probability `MNIST_TRUST_MODEL` must give a visitor's label for it to be used.",
            _probability),
    Setting("MNIST_CLIENT_HEADER", "",
            "Behind a proxy: the header it sets with the visitor's address (e.g. "
            "`X-Forwarded-For`, its last entry is used); empty: the connection's address.",
            _header),
    # issue 23 (several processes): scripts/serve_many.sh, the app behind nginx.
    Setting("MNIST_SERVE_PROCESSES", "2",
            "Streamlit processes `scripts/serve_many.sh` starts behind nginx (each ~1 GB with "
            "visitors; docs/deploy.md says how many).", _whole(1, 64)),
    Setting("MNIST_SERVE_ADDRESS", "0.0.0.0",
            "Address nginx listens on for visitors (`127.0.0.1`: this machine only, e.g. behind "
            "a TLS proxy; `::` for IPv6).", _address),
    Setting("MNIST_SERVE_PORT", "8501", "Port nginx listens on for visitors.", _whole(1, 65535)),
    Setting("MNIST_SERVE_DIR", "",
            "Run folder of `scripts/serve_many.sh`: nginx's configuration, pid, temporary files "
            "and logs, and each process's log (empty: `runs/serve/` beside the app)."),
)}


def get(name):
    """The value of setting `name`, from the environment or its default, parsed.

    Raises:
        MnistError: the variable is set to something its setting cannot use; one sentence for
            the deployer naming the variable and its default.
    """
    setting = SETTINGS[name]
    text = os.environ.get(name)
    if text is None:
        text = setting.default
    try:
        return setting.parse(text.strip())
    except ValueError as error:
        raise MnistError(f"The environment variable {name}={setting.shown(text)} is not usable "
                         f"({error}); "
                         f"unset it to get the default, {setting.default!r}.") from None


__all__ = ["SETTINGS", "URL_SCHEMES", "Setting", "get", "shown_url"]
