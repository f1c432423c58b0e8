"""Cached calls into the engine, one module per page (ui/cached/<page>.py, for pages/<page>.py) and one for
the model every page analyses (model). Plain values in (Settings, numbers), numpy arrays and plain dicts out,
never a model that trains, so st.cache_data can share them safely between visitors."""
