"""Visitors' labels trusted only as far as they deserve (issue 22): the rule, each source's share,
the deployer's word, and the store's limits per session, client address and hour."""

import logging
import sqlite3

import numpy as np
import pytest

from mnist_core.constants import NOT_A_DIGIT
from mnist_core.drawings import moderation, trust
from mnist_core.drawings.store import DrawingRefused, DrawingsDB
from mnist_core.drawings.training_mix import DrawingsExtra, drawings_extra, mix_into
from mnist_core.errors import MnistError
from tests.conftest import FILE_ONLY
from tests.hang_guard import within


class Reference:
    """A reference model that reads each image's true digit from its pixel (0, 0): the digit
    times 20 (a stand-in for strong.keras, which reads MNIST's '1's as 1)."""

    def probabilities(self, images):
        truth = np.rint(np.asarray(images).reshape(len(images), -1)[:, 0] * 255 / 20)
        return np.eye(10, dtype=np.float32)[truth.astype(int)] * 0.97 + 0.003


def image_of(digit, seed=0):
    image = np.random.default_rng(seed).integers(0, 200, (28, 28), dtype=np.uint8)
    image[0, 0] = digit * 20
    return image


def record(db, digit, label, session, client=None, seed=0, now=0.0):
    return db.record(session=session, label=label, predicted=digit,
                     probabilities=np.full(10, 0.1), image=image_of(digit, seed),
                     crop=np.zeros((56, 56), np.uint8), model="m", language="en",
                     client=client, now=now)


@pytest.fixture
def db(store_location, monkeypatch):
    """A store in a SQLite file, then on a PostgreSQL server: the same rules on both."""
    for name in ("MNIST_DRAWINGS_PER_SESSION", "MNIST_DRAWINGS_PER_HOUR",
                 "MNIST_DRAWINGS_PER_CLIENT_HOUR"):
        monkeypatch.setenv(name, "100000")  # these tests record faster than a visitor may
    monkeypatch.setattr(trust, "reference_predictor", lambda loader=None: Reference())
    return DrawingsDB(store_location, per_minute=100000)


def statuses(db):
    return dict(db.read("SELECT status, count(*) FROM drawings GROUP BY status"))


@FILE_ONLY  # on the server: the disputed, approved and agreeing labels' tests below
def test_a_thousand_ones_labelled_seven_from_fifty_sessions_never_train(db):
    for i in range(1000):  # issue 22's attack: 50 fresh sessions x 20
        record(db, 1, 7, session=f"poison{i // 20}", seed=i, now=float(i))
    for i in range(40):  # honest visitors' drawings, labelled as drawn
        record(db, i % 10, i % 10, session=f"honest{i // 4}", seed=5000 + i, now=2000.0 + i)
    extra = drawings_extra(db.location)
    labels = np.concatenate([extra.y_train, extra.y_heldout])
    assert len(labels) == 40 and (labels == 7).sum() == 4  # the honest ones, the honest 7s only
    assert statuses(db) == {"disputed": 1000, "plausible": 40}


def test_the_reference_model_must_give_the_label_a_real_probability():
    readings = np.array([[0.94, 0.06] + [0.0] * 8, [0.99, 0.01] + [0.0] * 8])
    assert trust.judged(readings, [1, 1], least=0.05).tolist() == [True, False]


def test_agreement_counts_other_client_addresses_never_sessions():
    same = image_of(4, seed=1)
    pool = np.stack([same, same + 1, same, same])
    pool_labels = np.array([9, 9, 9, 9])
    # Two other addresses drew the same 4 and called it 9: plausible.
    assert trust.agreed([same], [9], ["a"], pool, pool_labels, ["b", "c", "a", None]).tolist() == [True]
    # One other address, however many of its sessions: not.
    assert trust.agreed([same], [9], ["a"], pool, pool_labels, ["b", "b", "b", "a"]).tolist() == [False]
    # Unknown addresses never agree, nor does a drawing without one.
    assert trust.agreed([same], [9], [None], pool, pool_labels, ["b", "c", "d", "e"]).tolist() == [False]
    # A different drawing is no agreement.
    other = np.stack([image_of(4, seed=s) for s in (7, 8, 9, 10)])
    assert trust.agreed([same], [9], ["a"], other, pool_labels, ["b", "c", "d", "e"]).tolist() == [False]


def test_without_a_reference_model_other_addresses_agreeing_make_a_label_plausible(db):
    record(db, 4, 9, session="s1", client="10.0.0.1", seed=1)
    trust.assess(db, None)
    assert statuses(db) == {"disputed": 1}
    record(db, 4, 9, session="s2", client="10.0.0.2", seed=1)
    record(db, 4, 9, session="s3", client="10.0.0.3", seed=1)
    trust.assess(db, None)
    assert statuses(db) == {"plausible": 3}


@FILE_ONLY
def test_three_addresses_sending_the_same_poisoned_drawings_never_override_the_reference(db):
    """Only copies are near-identical: three addresses each sending the same 100 '1's labelled
    7 agreed with one another, and on main all 300 trained (300 per address: 7,200 images of
    an epoch); the reference model's "no" is overridden by the deployer only."""
    for client in ("198.51.100.1", "203.0.113.2", "192.0.2.3"):
        for i in range(100):
            record(db, 1, 7, session=f"{client}-{i // 20}", client=client, seed=i)
    for i in range(12):
        record(db, i % 10, i % 10, session=f"h{i}", client=f"10.9.{i}.1", seed=500 + i)
    extra = drawings_extra(db.location)
    labels = np.concatenate([extra.y_train, extra.y_heldout])
    assert len(labels) == 12 and statuses(db) == {"disputed": 300, "plausible": 12}


def test_without_a_reference_model_labels_are_disputed_shown_and_nothing_trains(db, monkeypatch):
    monkeypatch.setattr(trust, "reference_predictor", lambda loader=None: None)
    for i in range(12):
        record(db, i % 10, i % 10, session=f"s{i}", seed=i)
    with pytest.raises(Exception, match="0 drawings of digits with a trusted label.*12 disputed "
                                        "or not yet judged"):
        drawings_extra(db.location)
    assert statuses(db) == {"disputed": 12}
    assert len(moderation.disputed(db).ids) == 12  # the deployer sees them, and may approve


class Asked:
    """`trust.agreed`, counting the drawings it is asked about."""

    def __init__(self):
        self.rows = 0

    def __call__(self, images, *rest):
        self.rows += len(images)
        return AGREED(images, *rest)


AGREED = trust.agreed


@pytest.mark.parametrize("reference", [Reference(), None], ids=["reference", "none"])
@FILE_ONLY
def test_a_script_s_disputed_rows_cost_nothing_at_each_honest_drawing(db, monkeypatch, reference):
    """300 poisoned rows from 300 addresses: judged once; then an honest visitor's drawing, and
    every page's rerun, asks agreement of no row that nothing new could change (on main each
    new drawing asked all 300 again, each against the whole pool: 21 s for 3,000 rows, and
    without a reference model every page's rerun did)."""
    for i in range(300):
        record(db, 1, 7, session=f"p{i}", client=f"10.0.{i // 250}.{i % 250}", seed=i)
    within(20, trust.assess, db, reference)
    asked = Asked()
    monkeypatch.setattr(trust, "agreed", asked)
    record(db, 1, 1, session="honest", client="198.51.100.1", seed=9999)
    for _ in range(3):  # the honest drawing, then two page reruns
        within(5, trust.assess, db, reference)
    assert asked.rows <= 1 and db.count(trusted=True) == (0 if reference is None else 1)


def test_a_model_a_visitor_trained_is_never_the_reference(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("MNIST_TRUST_MODEL", "mine.keras")
    monkeypatch.setattr(trust, "_warned", set())
    with caplog.at_level(logging.WARNING, "mnist_core.drawings.store"):
        assert trust.reference_predictor(
            loader=lambda path: ({"trained_by_visitor": True}, Reference())) is None
    assert "trained by a visitor" in caplog.text


def test_the_deployers_word_stands_and_a_relabel_is_judged_again(db):
    ids = [record(db, 1, 7, session="s", seed=i) for i in range(3)]
    trust.assess(db, Reference())
    assert moderation.set_status(db, [ids[0], 999], "approved") == [999]
    moderation.set_status(db, [ids[1]], "rejected")
    trust.assess(db, Reference())
    assert statuses(db) == {"approved": 1, "rejected": 1, "disputed": 1}
    assert db.relabel(ids[2], "s", 1) and db.relabel(ids[1], "s", 1)
    trust.assess(db, Reference())  # the new label 1 is plausible; a rejection stays
    assert statuses(db) == {"approved": 1, "rejected": 1, "plausible": 1}
    _, y, _, _ = trust.trusted(db)
    assert sorted(y.tolist()) == [1, 7]


def test_no_session_and_no_address_makes_more_than_its_share_of_a_score(db, monkeypatch):
    monkeypatch.setenv("MNIST_DRAWINGS_MAX_SHARE", "0.05")
    for i in range(300):  # one address, fresh sessions: 300 of 400
        record(db, 3, 3, session=f"script{i}", client="6.6.6.6", seed=i, now=float(i))
    for i in range(100):
        record(db, i % 10, i % 10, session=f"v{i}", seed=1000 + i, now=1000.0 + i)
    trust.assess(db, Reference())
    _, y = trust.for_score(db, 2000)
    assert len(y) == 100 + 20  # the script's address: 5 % of 400 rows, its last 20
    assert trust.capped(["a"] * 5 + ["b"], [None] * 6, 2).tolist() == [0, 0, 0, 1, 1, 1]


def test_no_session_or_address_makes_more_than_its_share_of_a_training(monkeypatch):
    monkeypatch.setenv("MNIST_DRAWINGS_MAX_SHARE", "0.05")
    x_train = np.zeros((1000, 28, 28), np.uint8)
    y_train = np.zeros(1000, np.uint8)
    sessions = np.array([f"s{i}" for i in range(100)] + ["flood"] * 200, object)
    clients = np.array([None] * 300, object)
    x = np.ones((300, 28, 28), np.uint8)
    extra = DrawingsExtra(x, np.full(300, 7, np.uint8), x[:2], np.full(2, 7, np.uint8), weight=1,
                          sessions=sessions, clients=clients)
    _, y, info = mix_into(x_train, y_train, extra)
    assert info["drawings_trained"] == 150 and info["drawings_capped"] == 150
    assert 50 / len(y) <= 0.05  # the flood's 50 drawings of 1,150 images


def test_a_scripted_visitor_from_one_address_cannot_fill_the_store(store_location, monkeypatch,
                                                                   caplog):
    monkeypatch.setenv("MNIST_DRAWINGS_PER_CLIENT", "5")
    monkeypatch.setenv("MNIST_DRAWINGS_PER_SESSION", "3")
    monkeypatch.setenv("MNIST_DRAWINGS_PER_HOUR", "9")
    monkeypatch.setenv("MNIST_DRAWINGS_PER_CLIENT_HOUR", "9")
    db = DrawingsDB(store_location, per_minute=100)
    for i in range(3):
        record(db, 1, 1, session="one", now=float(i))
    with pytest.raises(DrawingRefused) as refused:
        record(db, 1, 1, session="one", now=10.0)
    assert refused.value.reason == "yours_full"
    for i in range(5):  # fresh sessions, one address
        record(db, 1, 1, session=f"fresh{i}", client="203.0.113.9", now=20.0 + i)
    with pytest.raises(DrawingRefused) as refused:
        record(db, 1, 1, session="fresh9", client="203.0.113.9", now=30.0)
    assert refused.value.reason == "yours_full"
    record(db, 1, 1, session="other", client="198.51.100.1", now=40.0)
    with caplog.at_level(logging.WARNING, "mnist_core.drawings.store"):
        for n in range(2):
            with pytest.raises(DrawingRefused) as refused:
                record(db, 1, 1, session=f"late{n}", client=f"192.0.2.{n}", now=50.0 + n)
            assert refused.value.reason == "busy" and str(refused.value).count(".") == 1
    assert caplog.text.count("MNIST_DRAWINGS_PER_HOUR") == 1 and "drawings prune" in caplog.text
    record(db, 1, 1, session="next hour", client="192.0.2.1", now=4000.0)  # an hour later


def test_one_address_opening_fresh_sessions_cannot_take_the_servers_hour(store_location,
                                                                          monkeypatch):
    monkeypatch.setenv("MNIST_DRAWINGS_PER_HOUR", "20")
    monkeypatch.setenv("MNIST_DRAWINGS_PER_CLIENT_HOUR", "4")
    db = DrawingsDB(store_location, per_minute=100)
    for i in range(4):
        record(db, 1, 1, session=f"script{i}", client="203.0.113.9", now=float(i))
    for i in range(4, 40):  # a fresh session each time: refused, and the hour left to others
        with pytest.raises(DrawingRefused) as refused:
            record(db, 1, 1, session=f"script{i}", client="203.0.113.9", now=float(i))
        assert refused.value.reason == "too_fast"
    for n in range(16):
        record(db, 1, 1, session=f"honest{n}", client=f"198.51.100.{n}", now=50.0 + n)
    record(db, 1, 1, session="script99", client="203.0.113.9", now=3700.0)  # an hour later


def test_one_ipv6_visitor_rotating_addresses_in_its_64_is_one_client(db, monkeypatch):
    """A phone or a home line holds a whole /64 and picks addresses in it at will: a script
    changing address at every drawing still meets the per-client limit, and never agrees with
    itself."""
    monkeypatch.setenv("MNIST_DRAWINGS_PER_CLIENT", "2")
    record(db, 4, 9, session="s1", client="2001:db8:7:1::1", seed=1)
    record(db, 4, 9, session="s2", client="2001:db8:7:1:a:b:c:d", seed=1)
    with pytest.raises(DrawingRefused) as refused:
        record(db, 4, 9, session="s3", client="2001:db8:7:1:ffff::3", seed=1)
    assert refused.value.reason == "yours_full"
    monkeypatch.setenv("MNIST_DRAWINGS_PER_CLIENT", "100")
    record(db, 4, 9, session="s4", client="2001:db8:7:1::4", seed=1)
    trust.assess(db, Reference())
    assert statuses(db) == {"disputed": 3}  # the same /64 thrice: no agreement
    record(db, 4, 9, session="s5", client="::ffff:198.51.100.1", seed=1)
    record(db, 4, 9, session="s6", client="198.51.100.1", seed=1)  # the same IPv4 address
    clients = [r[0] for r in db.read("SELECT client FROM drawings ORDER BY id")]
    assert len(set(clients[:3])) == 1 and clients[3] == clients[4] != clients[0]


def test_a_port_or_a_forwarded_entry_s_words_never_make_a_new_client():
    """Azure writes X-Forwarded-For as IP:port, a new port at each connection: each visitor's
    connection was a new client (past the per-client limit, agreeing with itself)."""
    from mnist_core.drawings.store import client_group

    assert {client_group(a) for a in ("203.0.113.8:4711", "203.0.113.8:4712", "203.0.113.8",
                                      'for=203.0.113.8;proto=https')} == {"203.0.113.8"}
    assert {client_group(a) for a in ("[2001:db8:7:1::1]:443", "2001:db8:7:1::2",
                                      'for="[2001:db8:7:1::5]:80";proto=https',
                                      "proto=http; for=\"[2001:db8:7:1::9]\"")} == {
        "2001:db8:7:1::/64"}
    assert client_group("unknown") == "unknown"


def test_the_client_address_is_kept_hashed_never_raw(db):
    record(db, 1, 1, session="s", client="203.0.113.77")
    record(db, 1, 1, session="t", client="203.0.113.77")
    kept = [r[0] for r in db.read("SELECT client FROM drawings")]
    every_text = db.read("SELECT session, language, model, status, client FROM drawings")
    assert kept[0] == kept[1] and len(kept[0]) == 32 and "203.0.113" not in str(every_text)
    if db.path:  # the whole file, its free pages and journal included
        with sqlite3.connect(db.path) as raw:
            assert "203.0.113" not in "\n".join(raw.iterdump())


def test_prune_frees_room_by_session_age_or_dispute_with_a_dry_run(db, monkeypatch):
    for i in range(4):
        record(db, 1, 7, session="poison", seed=i, now=0.0)  # disputed once judged
    for i in range(3):
        record(db, 2, 2, session="honest", seed=10 + i, now=86400.0 * 10)
    trust.assess(db, Reference())
    now = 86400.0 * 12
    assert moderation.prune(db, disputed_only=True, dry_run=True, now=now) == {"disputed": 4}
    assert db.count() == 7
    assert moderation.prune(db, older_than_days=5, now=now) == {"disputed": 4}
    assert moderation.prune(db, sessions=["honest"], dry_run=True) == {"plausible": 3}
    with pytest.raises(ValueError, match="Say which"):
        moderation.prune(db)
    monkeypatch.setenv("MNIST_DRAWINGS_MAX_ROWS", "3")
    full = DrawingsDB(db.location, per_minute=1000)
    with pytest.raises(DrawingRefused, match="full"):
        record(full, 3, 3, session="new", now=now)
    moderation.prune(full, sessions=["honest"])
    record(full, 3, 3, session="new", now=now)


def test_not_a_digit_is_never_judged_nor_trained(db):
    record(db, 1, NOT_A_DIGIT, session="s")
    trust.assess(db, Reference())
    assert statuses(db) == {"pending": 1} and db.count(trusted=True) == 0


def test_a_missing_store_read_by_a_visitor_s_training_names_no_server_folder(tmp_path,
                                                                                monkeypatch):
    """The page's "Mix in visitors' drawings" runs `drawings_extra()` in the training's child;
    a store moved aside meanwhile said 'There is no drawings file at /srv/...' to the visitor."""
    monkeypatch.setenv("MNIST_DRAWINGS_DB", str(tmp_path / "secret-folder" / "drawings.sqlite"))
    with pytest.raises(MnistError) as refused:
        drawings_extra()
    assert "drawings.sqlite" in str(refused.value) and "secret-folder" not in str(refused.value)
