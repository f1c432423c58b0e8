"""Gradients through time — the router: page config, the shared sidebar (one Settings object), navigation
over the one page registry (ui.registry)."""
import streamlit as st

from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from ui import projector, registry, sidebar, url
from ui.session import lesson

st.set_page_config(page_title="Gradients through time", page_icon=registry.ICON, layout="wide")
# Text that reads on both themes (ui.theme): Streamlit writes a slider's value and the chosen option of a segmented
# control in its primary red, and no red reads both as text on the dark background (4.5:1 wants a light red) and
# behind a primary button's white label (4.5:1 wants a dark one; Streamlit's dark red gives 4.6:1 there but 3.5:1
# as text on the sidebar). So those two labels take the text colour around them; the slider's thumb and the
# chosen option's frame keep the red. (!important: Streamlit's rule for the chosen option is more specific.)
# A segmented control narrower than its options wraps them onto a second row instead of hiding the last ones
# behind its edge with no cue (at 1024 px: Task "rem…", GRU, "valu"), and an option wider than the control wraps
# its label at a space: every choice stays visible and whole.
# A constant; st.html keeps a lone <style> out of the layout.
st.html("<style>[data-testid='stSliderThumbValue'], [data-testid='stButtonGroup'] button[aria-checked='true'] "
        "{ color: inherit !important; } "
        "[data-testid='stButtonGroup'] [role='radiogroup'] { flex-wrap: wrap; max-width: 100%; } "
        "[data-testid='stButtonGroup'] [role='radiogroup'] > button { flex: 0 0 auto; max-width: 100%; } "
        "[data-testid='stButtonGroup'] [role='radiogroup'] > button * { overflow: visible; text-overflow: clip; "
        "white-space: normal; }"
        "</style>")
pg = st.navigation(registry.navigation(), position="hidden")  # drawn by the sidebar, links carrying the view
url.follow_history()  # Back or Forward: the address's view, before any control is drawn
sidebar.follow_go_to()  # a preset's page: switched to before anything is drawn
if pg.url_path == registry.page("lesson").name:  # a Lesson step's settings go in before the sidebar is drawn
    sidebar.load_query_once()  # a link's settings are the visitor's own, kept for "Put my settings back"
    lesson.arrive(lesson.current(), sidebar.current(), early=True)
sidebar.draw()
projector.draw()
sidebar.show_url_warnings()
sidebar.show_changes()
try:
    pg.run()
except StopException:  # a page that stopped early (a refused setting) still shows its view in the address bar
    url.write()
    raise
url.write()  # once per run, after every control has said what it holds (ui.url)
