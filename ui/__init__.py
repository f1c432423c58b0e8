"""The Streamlit side: settings ⇄ widgets ⇄ URL, cached calls into rnn/, and chart builders."""
