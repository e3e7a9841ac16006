"""A page wired as streamlit_app.py wires the client's turns (ui/client_share.py), whose run
counts how many runs are in their work at once: the probe of
tests/browser/test_protocol_client_share.py.

After its turn the page writes "go", then works 10 steps of 20 ms, each a yield point (a run
stopped for a newer request leaves within one step); at each run's end the most runs seen in
their work at once goes to the file `TURNS_PROBE`.
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from ui import pace  # noqa: E402
from ui.client_share import give_back_at_run_ends  # noqa: E402
from ui.loop_handoff import batch_loop_handoffs  # noqa: E402
from ui.page_top import reset_after_fragment_runs, start_at_the_top  # noqa: E402
from ui.run_handover import hand_over_runs  # noqa: E402
from ui.session_keys import PAGE_PACE  # noqa: E402

probe = sys.modules.setdefault("_turns_probe", type(sys)("_turns_probe"))
if not hasattr(probe, "lock"):
    probe.lock, probe.now, probe.most = threading.Lock(), 0, 0

start_at_the_top()
give_back_at_run_ends()
pace.wait_for_turn(PAGE_PACE)
hand_over_runs()
batch_loop_handoffs()
reset_after_fragment_runs()
st.write("go")  # the run holds its turn now
step = st.empty()
for i in range(10):
    with probe.lock:
        probe.now += 1
        probe.most = max(probe.most, probe.now)
    try:
        time.sleep(0.02)
    finally:
        with probe.lock:
            probe.now -= 1
    step.write(f"step {i}")  # a yield point: a run replaced meanwhile ends here
with probe.lock:
    Path(os.environ["TURNS_PROBE"]).write_text(json.dumps({"most": probe.most}))
