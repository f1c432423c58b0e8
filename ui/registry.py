"""The one list of pages: path, title, icon, section and a one-line summary. The router (app.py) builds
its navigation from it and the Home page's guide prints it, so a new page is registered here once.

Paths are kept relative to the repository root and handed to Streamlit as absolute paths, so the app runs
the same from `app.py` and from the Community Cloud entrypoint in cloud/ (Streamlit resolves a relative
page path against the folder of the script it was started with)."""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICON = str(ROOT / "static" / "icon.png")  # the browser tab's icon


@dataclass(frozen=True)
class PageInfo:
    """One page of the app."""

    path: str  # relative to the repository root: pages/<name>.py
    title: str
    icon: str  # a material icon (emoji render as boxes without an emoji font)
    section: str  # the navigation's group
    summary: str  # one line for the Home page's guide

    @property
    def name(self) -> str:
        """The page's file name without .py: its URL path and the key of its controls in ui.settings."""
        return Path(self.path).stem

    @property
    def file(self) -> str:
        """The absolute path Streamlit is given (st.Page, st.page_link, st.switch_page)."""
        return str(ROOT / self.path)


PAGES: tuple[PageInfo, ...] = (
    PageInfo("pages/home.py", "Home", ":material/home:", "Learn",
             "What the app shows, classroom presets, and this guide."),
    PageInfo("pages/lesson.py", "Lesson", ":material/school:", "Learn",
             "The report's story in nine steps for a class, from the unfolded network to truncated BPTT, each "
             "with its settings and one live chart."),
    PageInfo("pages/activations.py", "Activations", ":material/show_chart:", "Learn",
             "f and f′ for tanh, sigmoid, relu, leaky relu and linear, the bound γ = sup|f′|, and how large f′ "
             "really is along your network's trajectory."),
    PageInfo("pages/jacobian_products.py", "Jacobian products", ":material/timeline:", "Learn",
             "The heart: ‖∏ ∂hⱼ/∂hⱼ₋₁‖ against the lag, with the bounds, the BPTT gradient and the regime."),
    PageInfo("pages/bptt_by_hand.py", "BPTT by hand", ":material/functions:", "Learn",
             "Backpropagation through time written out with the chain rule, step by step, and truncated BPTT."),
    PageInfo("pages/report_check.py", "The report, checked", ":material/fact_check:", "Learn",
             "The report's claims beside what the computation says, each with its number and a verdict."),
    PageInfo("pages/gated_cells.py", "Gated cells", ":material/memory:", "Compare",
             "The vanilla RNN beside an LSTM and a GRU on the same input; raise the memory gates' bias and "
             "watch the gated cells keep the gradient alive."),
    PageInfo("pages/phase_diagram.py", "Phase diagram", ":material/grid_on:", "Compare",
             "The regime over a grid of two settings: where vanishing turns into exploding; a cell loads its "
             "values."),
    PageInfo("pages/theory.py", "Theory", ":material/science:", "Compare",
             "Theory beside measurement: mean-field theory's edge of chaos over gain × input scale, the Lyapunov "
             "spectrum of the three cells, and why orthogonal W keeps more directions alive."),
    PageInfo("pages/live_training.py", "Live training", ":material/play_circle:", "Compare",
             "Train on a task with a long dependency and watch the loss and the gradient norms as it learns."),
    PageInfo("pages/text.py", "Text", ":material/text_fields:", "Compare",
             "A character-level RNN and an LSTM trained live on a text (yours or a sample): bits per character, "
             "samples, and how far back each one's gradient reaches over the text."),
    PageInfo("pages/glossary.py", "Glossary", ":material/menu_book:", "Help",
             "Every term of the app in plain words: decades per step, edge of chaos, spectral norm, ρ, σₘₐₓ, "
             "gain, saturation, LSTM, and more."),
    PageInfo("pages/teacher.py", "Teacher", ":material/co_present:", "Help",
             "Run the Lesson with a class: a code and a QR code to join, everyone answers each step's question "
             "before its chart, and you watch the answers come in, reveal them and move everyone on."),
)
HOME = PAGES[0]
BY_NAME = {p.name: p for p in PAGES}


def page(name: str) -> PageInfo:
    """The registered page called `name` (its file name without .py), or KeyError."""
    return BY_NAME[name]


def navigation() -> dict[str, list]:
    """st.navigation's argument: the pages as st.Page objects, grouped by section, Home the default. Each run
    gets copies of link_target's objects: st.navigation marks the page it runs on the object itself, so two
    sessions must never hold the same one, and a copy costs nothing where making an st.Page resolves its file
    on the disk."""
    return {section: [copy.copy(link_target(p.name)) for p in infos] for section, infos in sections().items()}


def sections() -> dict[str, list[PageInfo]]:
    """The pages grouped by section, in order (the sidebar's navigation)."""
    out: dict[str, list[PageInfo]] = {}
    for p in PAGES:
        out.setdefault(p.section, []).append(p)
    return out


_LINK_PAGES: dict[str, object] = {}
_LINK_LOCK = threading.Lock()


def link_target(name: str):
    """What st.page_link is given for page `name`: an st.Page made once per server process and only read after
    (navigation() hands st.navigation copies of it).

    Given a file path, st.page_link finds the page on the disk at every call (os.path.realpath and the main
    script's folder, for each link of each run: the sidebar's thirteen and Home's guide); given an st.Page it
    reads the page's URL path. Home is made as the default page, so its links open `/` as before."""
    target = _LINK_PAGES.get(name)
    if target is None:
        import streamlit as st

        with _LINK_LOCK:
            target = _LINK_PAGES.get(name)
            if target is None:
                p = page(name)
                target = _LINK_PAGES[name] = st.Page(p.file, title=p.title, icon=p.icon, default=p is HOME)
    return target


def link(name: str, label: str | None = None, sidebar: dict[str, str] | None = None, **kw) -> None:
    """st.page_link to a registered page, with its title and icon unless told otherwise, carrying the view it
    opens (ui.url.query_for: one history entry per visit; `sidebar`: ui.url.sidebar_query() read once for a
    list of links)."""
    import streamlit as st

    from .url import query_for

    p = page(name)
    st.page_link(link_target(name), label=label or p.title, icon=kw.pop("icon", p.icon),
                 query_params=query_for(name, sidebar), **kw)
