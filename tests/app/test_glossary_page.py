"""The Glossary page under AppTest: every term the app's pages lean on is defined, the filter finds a term by a
word of its definition, and a visitor's query is never echoed onto the page."""
from __future__ import annotations

from apptest_helpers import open_app
from ui import glossary

# words the pages use that a second-year student may not know (the classroom walkthrough's list)
NEEDED = ["decades per step", "edge of chaos", "sup", "codomain", "IRNN", "Frobenius", "spectral norm", "σ_max",
          "ρ", "gain g", "symmetric-log",
          # issue 20: words the Text, Live training and Theory pages print without defining them
          "bits per character", "unigram", "adding problem", "temperature", "chance level", "dynamical isometry",
          "q*"]


def test_every_needed_term_is_defined():
    names = glossary._plain(" ".join(glossary.TERMS))  # as a student types it: "σ_max" for σₘₐₓ
    for word in NEEDED:
        assert glossary._plain(word) in names, word
    assert all(len(d) > 40 for d in glossary.TERMS.values())  # a sentence, not a symbol


def test_page_lists_terms_and_filters():
    at = open_app({}, "pages/glossary.py")
    assert not at.exception
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(shown) == len(glossary.TERMS)
    at.text_input(key="glossary_query").set_value("flat part").run()
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(shown) == 1 and shown[0].startswith("**saturation**")


def test_a_hostile_query_is_not_echoed():
    at = open_app({}, "pages/glossary.py")
    at.text_input(key="glossary_query").set_value("<script>alert(1)</script>").run()
    assert not at.exception
    page = " ".join(m.value for m in list(at.markdown) + list(at.info) + list(at.caption))
    assert "<script>" not in page and "No term matches" in page
