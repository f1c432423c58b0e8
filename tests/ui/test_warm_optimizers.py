"""The first optimiser a process makes imports torch._dynamo (torch.optim.Optimizer.__init__ is wrapped by
torch._disable_dynamo): seconds, and about 70 MB. In a Start callback that held the session's state for those
seconds, and a Stop clicked meanwhile waited for it (7-11 s under load, measured with a trace of the callbacks).
The app leaves it out (a lesson never trains), the pages that train import it in a thread of their own when
drawn, and the first Start then imports nothing. Each check runs in a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys
import ui  # the whole app, as a first page imports it
assert "torch._dynamo" not in sys.modules, "importing the app imported torch._dynamo"
from rnn.training import TrainConfig, Trainer, warm_optimizers
t = warm_optimizers()
assert warm_optimizers() is t, "a second call started a second import"
assert t.daemon and t.name == "warm-optimizers"
t.join(300)
assert not t.is_alive() and "torch._dynamo" in sys.modules
before = set(sys.modules)
Trainer(TrainConfig(task="adding", T=10, batch_size=4, model="rnn", hidden_size=8, optimizer="adam"))
new = sorted(set(sys.modules) - before)
assert not new, f"the first optimiser still imported {len(new)} modules: {new[:5]}"
print("ok")
"""

PAGE = r"""
import sys
sys.path.insert(0, "tests")
import ui
from apptest_helpers import open_app
import rnn.training as tr
assert tr._warm_thread is None
at = open_app({"T": 15, "hidden": 16}, "pages/{page}.py", timeout=120)
assert not at.exception, at.exception
assert tr._warm_thread is not None, "drawing the page started no import"
print("ok")
"""


def _run(code: str) -> None:
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def test_the_app_leaves_the_optimisers_import_out_and_the_warm_up_makes_it_once():
    _run(SCRIPT)


def test_the_pages_that_train_start_the_warm_up_when_drawn():
    for page in ("live_training", "text"):
        _run(PAGE.replace("{page}", page))
