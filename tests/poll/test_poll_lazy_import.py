"""The poll's SQL half (poll.config, poll.store, SQLAlchemy) is imported on first use, not with the app: a fresh
server's first page never waits for it (issue 23). Sessions that reach the poll together get one import and the
same objects. Each check runs in a fresh interpreter, where nothing is imported yet."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys, threading
import ui, poll
assert "sqlalchemy" not in sys.modules, "importing the app imported SQLAlchemy"
assert "poll.store" not in sys.modules and "poll.config" not in sys.modules
assert poll.clean_code("k7q2") == "K7Q2"  # the codes and the errors need no SQL
names = ["Store", "Tally", "ClassState", "describe", "url_from", "DEFAULT_URL", "SCHEMA_VERSION", "PURGE_DAYS",
         "normalize_url"]
got, errors = [], []
go = threading.Barrier(16)
def reach(i):
    try:
        go.wait()
        got.append(tuple(getattr(poll, n) for n in names))
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))
threads = [threading.Thread(target=reach, args=(i,)) for i in range(16)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
assert len(got) == 16 and all(g == got[0] for g in got)
from poll.store import Store
assert poll.Store is Store and "sqlalchemy" in sys.modules
try:
    poll.NoSuchName
except AttributeError as e:
    assert "NoSuchName" in str(e)
else:
    raise AssertionError("poll.NoSuchName did not raise AttributeError")
print("ok")
"""


def test_the_sql_half_is_imported_on_first_use_once_for_every_session():
    r = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
