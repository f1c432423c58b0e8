"""The app on Streamlit Community Cloud: the repository's own app.py, started from this folder.

Community Cloud installs the dependency file that lies beside the entrypoint before the one at the
repository's root. This folder's requirements.txt gets the CPU build of torch (about a quarter of the
memory of PyPI's CUDA build, which Linux gets by default), while the root requirements.txt stays the
one a local install uses. Community Cloud runs `streamlit run` from the repository's root, so the root's
.streamlit/config.toml applies here too; the page registry gives Streamlit absolute paths, so the pages
and the icon are found from here as from app.py.
"""
import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # Streamlit puts this folder on sys.path; the app imports ui/ and rnn/
    sys.path.insert(0, str(ROOT))

runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
