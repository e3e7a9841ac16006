"""One client's pages take turns: at most `MNIST_RUNS_AT_ONCE_PER_CLIENT` of their runs at once.

Each page is served at a person's pace (`ui.pace`), but a script may open as many pages as it
likes: 30 pages from one address, each reading 4 strokes a second at ~15 ms, ask for ~1.8 of
the server's one interpreter, and every other visitor waits behind them. So a client (an
address's group, `mnist_core.drawings.clients.client_group`: an IPv4 address, an IPv6 /64) has
at most that many runs in progress at once, whatever its number of pages; its other runs wait
their turn, in the order they asked, asleep. A run inside its own run takes no second turn, so a
visitor never waits for their own; a classroom behind one address takes all of a free server,
and on a busy one the share of that many busy visitors.

The turn is taken with the run's pace (`ui.pace.wait_for_turn`, at the start of every run that
costs: a whole page, a stroke's reading, a fragment's own run) and given back when the run
returns (`give_back_at_run_ends`): a run stopped, replaced or failed gives it back too. Pages
whose address the server did not see (a local run; Community Cloud, where Streamlit sees none
unless `MNIST_CLIENT_HEADER` names the proxy's header) are no one's: they never wait here
(`ui.client_address.turns_client`).
"""

import collections
import functools
import logging
import threading
import time

from mnist_core import settings
from mnist_core.drawings.clients import client_group
from mnist_core.errors import MnistError
from ui.streamlit_patch import patch_once

LOG = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
"""How often a waiting run looks whether a newer request replaced it or its page closed (it then
ends there). Not oftener: a script's hundreds of waiting pages would each wake for nothing, and
a run replaced meanwhile that gets its turn ends at its first element anyway."""


class Turns:
    """The runs in progress, by client, and the pages waiting for a turn, in the order they
    asked. A turn given back goes straight to the first page waiting: only it is woken.

    A turn is held by a page's runner (the thread that runs its script, one run after another:
    `holder`), so that a run inside its own run takes no second turn. A page may have two runners
    at once for a moment (Streamlit starts a new run while the one it replaced stops): each
    holds a turn of its own, and the old one's end gives back only its own. One runner asks
    from one thread at a time: the app runs no fragments in parallel, whose threads would ask
    for the same runner at once and the second wait for a turn its runner holds.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._holding = {}  # client -> holders running
        self._waiting = {}  # client -> deque of (holder, its turn's event), in order
        self._client_of = {}  # holder -> client it holds a turn of
        self._most = 1
        self.waited = 0  # runs that waited, all clients together (the log says it)

    def take(self, client, holder, most, stop_if_replaced=lambda: None, clock=time.monotonic):
        """Waits until `holder` may run for `client` (fewer than `most` of its runs in
        progress, and no page of it that asked earlier still waiting), then holds that turn.

        Args:
            stop_if_replaced: called every `CHECK_SECONDS` while waiting; raises to end the run
                (Streamlit's own yield check), the turn then not taken.

        Returns:
            The seconds waited.
        """
        with self._lock:
            self._most = most
            if holder in self._client_of:
                return 0.0  # this page's turn already: a run inside its own run
            if not self._waiting.get(client) and len(self._holding.get(client, ())) < most:
                self._hold(client, holder)
                return 0.0
            entry = (holder, threading.Event())
            self._waiting.setdefault(client, collections.deque()).append(entry)
            self._hand_out(client)  # should the deployer have raised `most` meanwhile
        start = clock()
        try:
            while not entry[1].wait(CHECK_SECONDS):
                stop_if_replaced()
        except BaseException:
            with self._lock:
                if entry[1].is_set():  # handed the turn meanwhile: on to the next one
                    self._give_back(holder)
                else:
                    self._waiting[client].remove(entry)
                    if not self._waiting[client]:
                        del self._waiting[client]
            raise
        return clock() - start

    def _hold(self, client, holder):
        self._holding.setdefault(client, set()).add(holder)
        self._client_of[holder] = client

    def give_back(self, holder):
        """Ends `holder`'s turn, if it holds one, handing it to its client's first page
        waiting. Returns True when it held one."""
        with self._lock:
            return self._give_back(holder)

    def _give_back(self, holder):
        client = self._client_of.pop(holder, None)
        if client is None:
            return False
        self._holding[client].discard(holder)
        self._hand_out(client)
        return True

    def _hand_out(self, client):
        """Gives `client`'s free turns to its first pages waiting."""
        holding = self._holding.setdefault(client, set())
        waiting = self._waiting.get(client)
        while waiting and len(holding) < self._most:
            first, turn = waiting.popleft()
            holding.add(first)
            self._client_of[first] = client
            turn.set()
        if waiting is not None and not waiting:
            del self._waiting[client]
        if not holding:
            del self._holding[client]

    def running(self, client):
        """How many of `client`'s runs hold a turn now."""
        with self._lock:
            return len(self._holding.get(client, ()))

    def waiting(self, client):
        """How many of `client`'s pages wait for a turn now."""
        with self._lock:
            return len(self._waiting.get(client, ()))


TURNS = Turns()
"""This server process's turns."""


def take_turn(client, holder, stop_if_replaced=lambda: None):
    """Takes `holder`'s turn (a page's runner) among `client`'s runs (`TURNS`), at most the deployer's
    `MNIST_RUNS_AT_ONCE_PER_CLIENT` at once; nothing for a page of no known client.

    Returns:
        The seconds waited.
    """
    most = _most()
    if client is None or not most:
        return 0.0
    group = client_group(client)
    waited = TURNS.take(group, holder, most, stop_if_replaced)
    if waited:
        _said_waiting(most)
    return waited


LOG_EVERY_SECONDS = 600
_last_said = [None]


def _said_waiting(most, clock=time.monotonic):
    """The deployer's log, at most once in `LOG_EVERY_SECONDS` (a script's pages wait at
    every run), with how many runs waited in all."""
    TURNS.waited += 1
    now = clock()
    if _last_said[0] is None or now - _last_said[0] >= LOG_EVERY_SECONDS:
        _last_said[0] = now
        LOG.warning("A client's pages asked for more runs at once than "
                    "MNIST_RUNS_AT_ONCE_PER_CLIENT (%d) and took turns; %d runs have waited "
                    "so far.", most, TURNS.waited)


_warned = []


def _most():
    try:
        return settings.get("MNIST_RUNS_AT_ONCE_PER_CLIENT")
    except MnistError as error:  # the deployer's typo: the default, said once in the log
        if not _warned:
            _warned.append(True)
            LOG.warning("%s", error)
        return int(settings.SETTINGS["MNIST_RUNS_AT_ONCE_PER_CLIENT"].default)


def give_back_at_run_ends():
    """Patches the private `ScriptRunner._run_script` (one run of a page, whole or of its
    fragments, in the runner's thread) to give the runner's turn back as the run returns,
    however it ends (finished, stopped for a newer request, failed, its page closed).
    Idempotent. The runner looks the method up at each run, so a runner made before the patch
    (the process's first pages) is watched from its next run on; the run under way when the
    patch is made takes no turn (`watched`). A page's own `st.rerun()` is run within the same
    call: its next run keeps the turn (the app's reruns are each one, as a poll's answer
    changes).

    Returns:
        True when the patch is in place; False where Streamlit has no such names (no run then
        takes a turn).
    """
    try:
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    except ImportError:
        return False
    return patch_once(ScriptRunner, "_run_script", "gives_turns_back", _giving_turns_back)


def _giving_turns_back(run_script):
    @functools.wraps(run_script)
    def _run_script(runner, *args, **kwargs):
        holder = getattr(runner, "_requests", runner)  # the runs' `ctx.script_requests`
        _watched.add(holder)
        try:
            return run_script(runner, *args, **kwargs)
        finally:
            _watched.discard(holder)
            TURNS.give_back(holder)

    return _run_script


_watched = set()
"""Runners (their request queues) whose run in progress started through the patch: its end
will give its turn back."""


def watched(holder):
    """True when `holder`'s run in progress will give its turn back as it ends: only such a
    run takes one, so that no client is left waiting for a turn that is never given back."""
    return holder in _watched
