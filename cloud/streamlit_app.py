"""The app on Streamlit Community Cloud: the repository's own app.py, started from this folder.

Community Cloud installs the dependency file that lies beside the entrypoint before the one at the
repository's root: this folder's requirements.txt brings the CPU build of torch, while the root
requirements.txt stays the one a local install uses. Community Cloud runs `streamlit run` from the
repository's root, so the root's .streamlit/config.toml applies here too, and the page registry hands
Streamlit absolute paths, so the pages and the icon are found from here as from app.py.

One thing more than a local run: glibc's allocator is set for a server many visitors share (allocator.py:
two arenas, free pages handed back five times a second), which keeps a lesson's worth of visitors inside the
smallest memory tier.
"""
import importlib
import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # Streamlit puts this folder on sys.path; the app imports ui/ and rnn/
    sys.path.insert(0, str(ROOT))

importlib.import_module("cloud.allocator")  # once per process (Python keeps the module): arenas, trimming

runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
