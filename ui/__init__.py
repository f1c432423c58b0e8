"""The Streamlit side: settings ⇄ widgets ⇄ URL, cached calls into rnn/, and chart builders.

Importing ui imports all of it: every module below, and through them rnn, torch, pandas and altair, once,
under Python's import lock for this package. When a class opens links on a server that has just started,
several sessions make their first imports at the same moment, each from its own page. Python's per-module
locks do not order two threads that enter one package at different modules (one at rnn, one at
rnn.jacobians): the race ends in partially initialised modules and a traceback for some of the class
(seen: `KeyError: 'rnn'`, "cannot import name 'sidebar' from 'ui'"). So app.py and every page import ui
before anything else of the app (tests/app/test_first_imports.py checks the order): the first session to get here
imports everything while the others wait for it, and then every import is a lookup.
"""
import importlib as _importlib
import pkgutil as _pkgutil

for _module in _pkgutil.walk_packages(__path__, __name__ + "."):
    _importlib.import_module(_module.name)
