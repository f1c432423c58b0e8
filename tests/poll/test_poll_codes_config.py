"""Class codes, student ids and the database's configuration (no database needed)."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

import poll
from poll.codes import ALPHABET

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_alphabet_leaves_out_the_lookalikes():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("0O1I") & set(ALPHABET)


def test_new_codes_are_four_readable_characters_and_vary():
    codes = {poll.new_code() for _ in range(500)}
    assert all(len(c) == 4 and set(c) <= set(ALPHABET) for c in codes)
    # 500 draws from 32**4 ≈ 1.05e6 codes: P(≥ 10 collisions) is negligible
    assert len(codes) > 490


@pytest.mark.parametrize("text, expected", [("K7Q2", "K7Q2"), (" k7q2 ", "K7Q2"), ("zzzz", "ZZZZ")])
def test_clean_code_strips_and_upper_cases(text, expected):
    assert poll.clean_code(text) == expected


@pytest.mark.parametrize("text", ["", "K7Q", "K7Q22", "K7Q0", "KOQ2", "K1Q2", "KIQ2", "K7-2", "K7Q2;",
                                  "'; DROP TABLE poll_answers; --", "ＫＡＢＣ", None, 1234, b"K7Q2"])
def test_clean_code_refuses_what_is_not_a_code(text):
    with pytest.raises(poll.BadInput):
        poll.clean_code(text)


def test_student_ids():
    ids = {poll.new_student_id() for _ in range(200)}
    assert len(ids) == 200
    for sid in ids:
        assert len(sid) == 10 and sid.isascii() and sid.isalnum() and sid == sid.lower()
        assert poll.clean_student_id(f" {sid}\n") == sid


@pytest.mark.parametrize("text", ["", "abc", "abcdefghijk", "ABCDEFGHIJ", "abcde fghi", "abcdefghi'", "abcdéfghij",
                                  None, 12345678901])
def test_clean_student_id_refuses_malformed(text):
    with pytest.raises(poll.BadInput):
        poll.clean_student_id(text)


def test_bad_input_is_a_value_error_and_a_poll_error():
    assert issubclass(poll.BadInput, ValueError) and issubclass(poll.BadInput, poll.PollError)
    for exc in (poll.ClassNotFound, poll.ClassClosed, poll.AlreadyRevealed, poll.PollUnavailable):
        assert issubclass(exc, poll.PollError)


def test_default_url_is_a_file_in_the_apps_poll_folder(tmp_path):
    assert poll.DEFAULT_URL(tmp_path) == f"sqlite:///{tmp_path}/.poll/poll.sqlite3"


def test_url_from_prefers_secrets_then_environment_then_default(tmp_path):
    secrets = {"connections": {"poll": {"url": "postgresql+psycopg://a@h1/db"}}}
    env = {"POLL_DB_URL": "postgresql+psycopg://b@h2/db"}
    assert poll.url_from(secrets, env, tmp_path) == "postgresql+psycopg://a@h1/db"
    assert poll.url_from(None, env, tmp_path) == "postgresql+psycopg://b@h2/db"
    assert poll.url_from({"connections": {}}, env, tmp_path) == "postgresql+psycopg://b@h2/db"
    assert poll.url_from({"connections": {"poll": {"url": "  "}}}, env, tmp_path) == "postgresql+psycopg://b@h2/db"
    assert poll.url_from({}, {}, tmp_path) == poll.DEFAULT_URL(tmp_path)
    assert poll.url_from(None, {"POLL_DB_URL": ""}, tmp_path) == poll.DEFAULT_URL(tmp_path)
    # without app_dir: the repository's root
    assert poll.url_from(None, {}) == poll.DEFAULT_URL(ROOT)


def test_url_from_reads_a_secrets_object_that_raises_when_there_is_no_file(tmp_path):
    class NoSecretsFile:
        def __getitem__(self, key):
            raise FileNotFoundError("No secrets found")

    assert poll.url_from(NoSecretsFile(), {}, tmp_path) == poll.DEFAULT_URL(tmp_path)


def test_describe_never_shows_the_password():
    d = poll.describe("postgresql+psycopg://teacher:s3cr3t-pw@db.example.org:5433/poll")
    assert d == "Postgres (host db.example.org:5433, database poll)"
    assert "s3cr3t" not in d
    assert poll.describe("sqlite:////srv/app/.poll/poll.sqlite3") == "SQLite (file /srv/app/.poll/poll.sqlite3)"
    assert poll.describe("not a url") == "an unreadable database URL"


@pytest.mark.parametrize("url", ["postgres://u:p@h/db", "postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"])
def test_hosted_postgres_urls_are_read_as_psycopg3(url):
    assert poll.normalize_url(url).drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["", "nonsense", "mysql://u@h/db", "oracle://u@h/db"])
def test_urls_the_store_does_not_speak_are_refused_plainly(url):
    with pytest.raises(poll.PollError) as e:
        poll.Store(url)
    assert "Traceback" not in str(e.value)


def test_poll_never_imports_streamlit():
    for path in (ROOT / "poll").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), path
    out = subprocess.run([sys.executable, "-c", "import sys, poll; print('streamlit' in sys.modules)"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
