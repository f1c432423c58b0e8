"""Hostile input: every setting passes one validation (ui.settings.parse_field) whether it comes from a widget
or from the URL, and every page answers a hostile link with a short warning and safe defaults, never a
traceback or an exception box. The warning never echoes the visitor's markup.

- a unit fuzz of ui.settings.parse / from_mapping (thousands of examples, no Streamlit);
- 220+ hostile query strings through the real app (AppTest) on the cheap Home page, each a fresh session:
  non-numbers, huge and negative numbers, NaN, inf, empty, unicode, markup, unknown keys, repeated keys;
- a fixed hostile set and a smaller hypothesis run on every other page, page-local controls
  (ui.sidebar.page_setting: the live page's task/model/…/steps, BPTT's trunc) included;
- the widgets' own domains (slider bounds, options) are the fields' domains.
Small models (hidden 8) keep every page cheap; the whole file runs in well under a minute and a half."""
from __future__ import annotations

import math
import re
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from apptest_helpers import APP
from ui import settings as S
from ui import sidebar
from ui.settings import DEFAULTS, FIELDS, Settings, SettingError, from_mapping, parse, parse_field, to_query

PAGES = ("pages/home.py", "pages/activations.py", "pages/jacobian_products.py", "pages/bptt_by_hand.py",
         "pages/gated_cells.py", "pages/phase_diagram.py", "pages/live_training.py")
# the page-local controls kept in the URL (ui.sidebar.page_setting) and their defaults
LIVE_KEYS = {"task": "adding", "model": "rnn", "opt": "adam", "lr": "0.01", "clip": "none", "clip_c": "1",
             "N": "full", "batch": "32", "steps": "1000"}
PAGE_KEYS = {**LIVE_KEYS, "trunc": None, "gate_bias": "1"}

BAD_NUMBERS = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e309", "-1e309", "1e999999",
               "9" * 400, "-" + "9" * 60, "-1", "-0.5", "-1e-300", "1e-400", "0x10", "0b1", "1_000", "١٢",
               "１２", "𝟙𝟚", "1,5", "1/2", "--1", "+-1", "1e", "e5", ".", "", " ", "\t\n", "0" * 60 + "1",
               "3.5", "2.0000000001", "1e3000", "257", "2001", "2147483648", "101", "10.5", "True", "None", "[]"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold**", "__x__", "_x_",
          "[x](javascript:alert(1))", "![i](http://x/y.png)", "$\\frac{1}{0}$", "$$x$$", ":red[boom]",
          ":material/warning:", "`code`", "```py", "# head", "| a | b |", "\\", "&lt;b&gt;", "%3Cscript%3E",
          "{{7*7}}", "${7*7}", "' OR 1=1 --", "\x00", "\u202etxt", "😀", "<b>5</b>", "tanh<b>", "relu\n# x",
          "<style>*{display:none}</style>", "javascript:alert(1)", "a" * 5000, "tanh" + " " * 50 + "x"]
UNKNOWN_KEYS = ["foo", "", " ", "t", "TT", "Hidden", "__proto__", "constructor", "<b>k</b>", "😀", "embed_x",
                "page", "w_T", "p_trunc", "_settings_loaded", "x" * 300, "T ", "a[b]"]
SAFE_SPAN = re.compile(r"`[A-Za-z0-9 .+\-_?]*…?`")  # ui.settings._shown: how a visitor's value may appear
MARKUP_CHARS = set("<>[]$*\\|~#!`{}&;")
LABELS = {f.label for f in FIELDS.values()} | {"Task", "Model", "Optimiser", "Learning rate α", "Clipping",
                                               "Clip threshold c", "Truncation N", "Batch size", "Steps in a run"}
LINE = re.compile(r"^(?:- )?(?P<label>[^:]+): expected (?P<what>.+), got (?:`[^`]*`|an empty value) — using "
                  r"(?P<default>.+)\.$")


def _valid_texts(name: str) -> list[str]:
    fd = FIELDS[name]
    if fd.kind is bool:
        return ["true", "false", "1", "0", "on", "OFF"]
    if fd.kind is str:
        return list(fd.choices) + [c.upper() for c in fd.choices]
    lo, hi = fd.lo, fd.hi
    vals = [lo, hi, (lo + hi) / 2, lo + 1] if fd.kind is float else [lo, hi, lo + 1, (lo + hi) // 2]
    return [S.to_text(fd.kind(v)) for v in vals]


hostile = hs.one_of(
    hs.sampled_from(BAD_NUMBERS), hs.sampled_from(MARKUP), hs.text(max_size=60),
    hs.integers(-10**40, 10**40).map(str), hs.floats(allow_nan=True, allow_infinity=True).map(repr),
    hs.floats(allow_nan=True, allow_infinity=True).map(str))
any_key = hs.one_of(hs.sampled_from(list(FIELDS)), hs.sampled_from(list(PAGE_KEYS)),
                    hs.sampled_from(UNKNOWN_KEYS), hs.text(max_size=12))


@hs.composite
def value_for(draw, key: str):
    """A URL value for `key`: mostly hostile, sometimes a valid one."""
    if key in FIELDS and draw(hs.booleans()) and draw(hs.booleans()):
        return draw(hs.sampled_from(_valid_texts(key)))
    return draw(hostile)


@hs.composite
def query(draw, min_keys: int = 1):
    """A query string as AppTest takes it: key → value, or a list of values for a repeated key."""
    keys = draw(hs.lists(any_key, min_size=min_keys, max_size=8, unique=True))
    q = {}
    for k in keys:
        vals = draw(hs.lists(value_for(k), min_size=1, max_size=3))
        q[k] = vals[0] if len(vals) == 1 else vals
    return q


def _last(v):
    return v[-1] if isinstance(v, list) else v


def expected_settings(q: dict) -> tuple[Settings, list[str]]:
    """What the app must hold for query q: ui.settings.from_mapping of what the URL carries."""
    return from_mapping({k: (v if isinstance(v, list) else [v]) for k, v in q.items()})


def assert_safe_message(text: str) -> None:
    """A warning about visitor values: the values appear only as plain code spans, the rest is ours."""
    rest = SAFE_SPAN.sub("", text)
    bad = MARKUP_CHARS & set(rest)
    assert not bad, f"markup {bad} outside a safe code span in {text!r}"
    assert len(text) < 2000, "a short message"
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("Some values in the link") or line.startswith("- … and"):
            continue
        m = LINE.match(line)
        assert m, f"unexpected warning line {line!r}"
        assert m["label"].strip("- ") in LABELS, line


def assert_within_domain(s: Settings) -> None:
    for f in fields(s):
        v = getattr(s, f.name)
        assert parse(f.name, v) == v, (f.name, v)
        assert type(v) is FIELDS[f.name].kind, (f.name, v)


def app_with(q: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(q)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.get("exception")


def held(at: AppTest) -> Settings:
    return Settings(**{f.name: at.session_state["w_" + f.name] for f in fields(Settings)})


# ---------------------------------------------------------------------------------------------------------
# unit fuzz: ui.settings alone

@settings(max_examples=3000, deadline=None)
@given(name=hs.sampled_from(list(FIELDS)), raw=hs.one_of(hostile, hs.integers(), hs.floats(), hs.booleans(),
                                                           hs.none(), hs.lists(hs.text(max_size=3))))
def test_parse_returns_a_value_in_the_domain_or_a_short_safe_error(name, raw):
    try:
        v = parse(name, raw)
    except SettingError as e:
        msg = str(e)
        assert len(msg) < 300 and msg.startswith(FIELDS[name].label)
        assert_safe_message(f"{msg} — using {getattr(DEFAULTS, name)}.")
        return
    fd = FIELDS[name]
    assert type(v) is fd.kind
    if fd.kind in (int, float):
        assert math.isfinite(v) and fd.lo <= v <= fd.hi
    elif fd.kind is str:
        assert v in fd.choices
    assert parse(name, S.to_text(v)) == v  # the URL text of a value reads back as the same value


@settings(max_examples=1500, deadline=None)
@given(q=query())
def test_from_mapping_never_raises_and_keeps_defaults_for_bad_values(q):
    s, warnings = expected_settings(q)
    assert_within_domain(s)
    for k in FIELDS:
        if k not in q:
            assert getattr(s, k) == getattr(DEFAULTS, k)
            continue
        try:
            want = parse(k, _last(q[k]))
        except SettingError:
            want = getattr(DEFAULTS, k)
        assert getattr(s, k) == want, k
    assert len(warnings) == sum(_fails(k, _last(q[k])) for k in q if k in FIELDS)
    for w in warnings:
        assert_safe_message(w)


def _fails(k, raw) -> bool:
    try:
        parse(k, raw)
        return False
    except SettingError:
        return True


@settings(max_examples=500, deadline=None)
@given(T=hs.integers(1, S.MAX_T), act=hs.sampled_from(S.ACTIVATION_NAMES),
       scale=hs.floats(0, S.MAX_SCALE), kind=hs.sampled_from(S.SCALE_KINDS), init=hs.sampled_from(S.INITS),
       hidden=hs.integers(1, S.MAX_HIDDEN), inp=hs.floats(0, S.MAX_INPUT_SCALE), seed=hs.integers(0, S.MAX_SEED),
       f64=hs.booleans(), dev=hs.sampled_from(S.DEVICES))
def test_every_valid_setting_round_trips_through_the_url_exactly(T, act, scale, kind, init, hidden, inp, seed,
                                                                  f64, dev):
    s = Settings(T, act, scale, kind, init, hidden, inp, seed, f64, dev)
    back, warnings = from_mapping(to_query(s))
    assert back == s and not warnings


@pytest.mark.parametrize("raw, ok", [
    ("1_000", False), ("١٢", False), ("１２", False), ("0x10", False), ("nan", False), (" 12 ", True),
    ("1e2", True), ("100.0", True), ("0." + "0" * 45 + "1", False), ("-0", True), (True, False)])
def test_numbers_are_plain_ascii_decimals(raw, ok):
    """float() would take '1_000', Arabic-Indic and full-width digits, and a cut-off long value would read
    as another number; the field takes plain decimal notation only and refuses over-long text."""
    fd = FIELDS["T"] if raw not in ("-0",) else FIELDS["scale"]
    if ok:
        v = parse_field(fd, raw)
        assert math.isfinite(v) and str(v) != "-0.0"
    else:
        with pytest.raises(SettingError):
            parse_field(fd, raw)


def test_widget_domains_are_the_fields_domains():
    """The sidebar's widgets offer exactly what the URL path accepts: every option parses to itself, the
    slider's and number input's bounds are the fields' bounds, the select boxes list the fields' choices."""
    for v in sidebar.SCALE_STEPS:
        assert parse("scale", v) == v == parse("scale", S.to_text(v))
    for v in sidebar.INPUT_STEPS:
        assert parse("input_scale", v) == v == parse("input_scale", S.to_text(v))
    for v in sidebar.HIDDEN_STEPS:
        assert parse("hidden", v) == v == parse("hidden", S.to_text(v))
    assert max(sidebar.SCALE_STEPS) == FIELDS["scale"].hi and min(sidebar.SCALE_STEPS) == FIELDS["scale"].lo
    assert max(sidebar.HIDDEN_STEPS) == FIELDS["hidden"].hi
    assert max(sidebar.INPUT_STEPS) == FIELDS["input_scale"].hi
    at = app_with({})
    no_exception(at)
    T = at.sidebar.select_slider(key="w_T")
    assert (T.options[0], T.options[-1]) == (str(FIELDS["T"].lo), str(FIELDS["T"].hi))
    for v in sidebar.T_STEPS:
        assert parse("T", v) == v == parse("T", S.to_text(v))
    seed = at.sidebar.number_input(key="w_seed")
    assert (seed.min, seed.max) == (FIELDS["seed"].lo, FIELDS["seed"].hi)
    # the activations as the screen writes them (issue 20.8: "leaky ReLU"), one for each of the field's choices
    assert list(at.sidebar.selectbox(key="w_activation").options) == [S.display_name(c)
                                                                     for c in FIELDS["activation"].choices]
    assert list(at.sidebar.selectbox(key="w_device").options) == list(FIELDS["device"].choices)
    assert len(at.sidebar.selectbox(key="w_init").options) == len(FIELDS["init"].choices)


def test_widget_values_go_through_the_same_parse():
    """The page reads the widgets' values through the same parse as the URL (ui.sidebar.current): a
    segmented control clicked off (None) falls back to the default; a widget value and its URL text give the
    same setting."""
    at = app_with({"hidden": "8", "scale_kind": "rho"})
    at.session_state["w_scale_kind"] = None
    at.sidebar.select_slider(key="w_T").set_value(30)
    at.sidebar.select_slider(key="w_scale").set_value(0.18)
    at.run()
    no_exception(at)
    assert at.session_state["w_scale_kind"] == DEFAULTS.scale_kind
    s = held(at)
    assert (s.T, s.scale) == (30, 0.18)
    assert from_mapping(dict(at.query_params))[0] == s  # the URL the widgets wrote reads back the same


# ---------------------------------------------------------------------------------------------------------
# the real app: 220 hostile query strings on Home, each a new session

@settings(max_examples=220, deadline=None, suppress_health_check=list(HealthCheck))
@given(q=query())
def test_home_answers_any_hostile_link_with_defaults_and_a_short_warning(q):
    at = app_with(q)
    no_exception(at)
    want, warnings = expected_settings(q)
    s = held(at)
    assert s == want  # the same validation as ui.settings.from_mapping: bad values fell back to the default
    assert_within_domain(s)
    shown = [w.value for w in at.warning]
    if warnings:
        assert len(shown) == 1
        assert_safe_message(shown[0])
        assert shown[0].count("\n- ") == min(len(warnings), 6) + (len(warnings) > 6)
    else:
        assert not shown
    url = {k: _last(v) for k, v in at.query_params.items()}
    for k, v in to_query(s).items():  # the address bar now holds the values in use
        assert url[k] == v


# ---------------------------------------------------------------------------------------------------------
# every page: a fixed hostile set, then a smaller hypothesis run

FIXED = [
    {"T": "nan", "scale": "inf", "activation": "<script>alert(1)</script>", "seed": "-1", "hidden": "8"},
    {"T": ["5", "1e309"], "scale": "-3", "init": "**bold**", "scale_kind": ":red[x]", "hidden": "8",
     "input_scale": "1e-400", "float64": "maybe", "device": "tpu"},
    {"T": "", "hidden": "1e9", "seed": "😀", "foo": "<b>x</b>", "<i>k</i>": "1", "activation": ["relu", "$x$"]},
    {"T": "12", "hidden": "8", "task": "<script>", "model": "transformer", "opt": "nan", "lr": "1e9",
     "clip": "[x](javascript:alert(1))", "clip_c": "-1", "N": "<b>5</b>", "batch": "0", "steps": "9" * 500,
     "trunc": "-5"},
    {"T": "12", "hidden": "8", "trunc": "1e309", "N": "", "steps": ["200", "x"], "lr": "0.0001 ", "task": "ADDING"},
]


def _check_page(at: AppTest, q: dict, page: str) -> None:
    no_exception(at)
    want, warnings = expected_settings(q)
    assert held(at) == want
    for w in at.warning:
        if "could not be used" in w.value or ": expected " in w.value:
            assert_safe_message(w.value)
    texts = [w.value for w in at.warning] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    for t in texts:  # nothing a visitor typed comes back as markup, on any page
        for bad in ("<script", "<img", "javascript:", ":red[", "**bold**", "<b>"):
            assert bad not in t, (page, t)
    if page == "pages/live_training.py":
        for k, default in LIVE_KEYS.items():
            if k in q:  # the URL's value if it is one of the control's options, else the default
                raw = str(_last(q[k])).strip().lower().replace("-", "_")
                assert at.session_state["p_" + k] in (default, raw), k
    if page == "pages/bptt_by_hand.py" and "trunc" in q:
        assert 0 <= at.session_state["p_trunc"] <= max(want.T - 1, 1)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_the_fixed_hostile_links(page):
    for q in FIXED:
        if page == "pages/phase_diagram.py" and _fails("hidden", _last(q.get("hidden", "8"))):
            q = {**q, "hidden": "8"}  # n = 64 (the default) costs the grid 10–60 s here; Home checks hidden
        at = app_with(q)
        if page != "pages/home.py":
            at.switch_page(page).run()
        _check_page(at, q, page)


page_query = query().map(lambda q: {**q, "hidden": "8", "T": _last(q.get("T", "20"))
                                    if _small_T(_last(q.get("T", "20"))) else "20"})


def _small_T(raw) -> bool:
    """Keep T valid-and-small or hostile (→ the default 100): the pages then stay cheap."""
    try:
        return parse("T", raw) <= 200
    except SettingError:
        return True


@settings(max_examples=42, deadline=None, suppress_health_check=list(HealthCheck))
@given(page=hs.sampled_from(PAGES[1:]), q=page_query)
def test_every_page_answers_hostile_links(page, q):
    at = app_with(q)
    at.switch_page(page).run()
    _check_page(at, q, page)


@pytest.mark.parametrize("key, raw", [("task", "<img src=x onerror=alert(1)>"), ("lr", "1e-3"),
                                      ("steps", "-200"), ("N", "0"), ("batch", "3.5"), ("model", ":red[x]")])
def test_live_page_controls_reject_hostile_values_with_a_safe_warning(key, raw):
    at = app_with({"T": "12", "hidden": "8", key: raw})
    at.switch_page("pages/live_training.py").run()
    no_exception(at)
    assert at.session_state["p_" + key] == LIVE_KEYS[key]
    msgs = [w.value for w in at.warning if ": expected " in w.value]
    assert len(msgs) == 1, [w.value for w in at.warning]
    assert_safe_message(msgs[0])


@pytest.mark.parametrize("raw", ["abc", "-3", "5.5", "1e9", "nan", "", "<script>", "<b>5</b>"])
def test_bptt_truncation_rejects_hostile_values_with_a_safe_warning(raw):
    at = app_with({"T": "30", "hidden": "8", "trunc": raw})
    at.switch_page("pages/bptt_by_hand.py").run()
    no_exception(at)
    msgs = [w.value for w in at.warning if "Truncation N" in w.value]
    assert len(msgs) == 1 and "<b>" not in msgs[0] and "<script>" not in msgs[0], msgs
    assert_safe_message(msgs[0])
    assert at.slider(key="p_trunc").value == 10  # the default


def test_the_url_schema_is_declared_once_and_keys_do_not_collide():
    """Every page key this file attacks is declared in ui.settings.PAGE_CONTROLS with the default the page
    shows (trunc's default is capped by T on the page), and no page key shadows a sidebar key."""
    assert set(PAGE_KEYS) <= set(S.PAGE_CONTROLS)
    assert not set(S.PAGE_CONTROLS) & set(FIELDS)
    for key, default in LIVE_KEYS.items():
        assert S.PAGE_CONTROLS[key].default == default, key
        assert S.PAGE_CONTROLS[key].page == "live_training"


@pytest.mark.parametrize("key", sorted(S.PAGE_CONTROLS))
def test_every_page_control_answers_a_hostile_link_with_a_safe_warning(key):
    """Whatever page key a link carries (the schema in ui.settings), its page opens without an exception and
    any warning it shows is short and safe."""
    control = S.PAGE_CONTROLS[key]
    at = app_with({"T": "12", "hidden": "8", key: "<img src=x onerror=alert(1)>"})
    if control.page != "*":
        at.switch_page(f"pages/{control.page}.py").run()
    no_exception(at)
    said = [w.value for w in at.warning if control.field.label in w.value]
    assert said, [w.value for w in at.warning]  # the bad value is refused, and the page says so
    for text in said:
        assert not MARKUP_CHARS & set(SAFE_SPAN.sub("", text)), text  # the value only inside a code span
        assert len(text) < 2000
