"""Config values that used to crash (exit 70) or slip through: every one is now a one-line
ConfigError naming the file, the key and the fix, and the CLI turns it into exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.config import load_config
from cnca_watch.errors import ConfigError

SOURCE = '[[sources]]\nname = "a"\nurl = "http://127.0.0.1:8080/a/"\n'
EMAIL = '[email]\nhost = "smtp.example.org"\nto = ["analyst@example.org"]\n'
WEBHOOK = '[[webhooks]]\nurl = "http://127.0.0.1:8080/hook"\n'
HUGE = "1" + "0" * 400  # a TOML integer too big for a float

BAD = [
    # 1. [email] timeout and port
    pytest.param(EMAIL + 'timeout = "abc"\n', '[email] timeout = "abc"; use a number of seconds above 0', id="email-timeout-text"),
    pytest.param(EMAIL + "timeout = -5\n", "[email] timeout = -5; use a number of seconds above 0", id="email-timeout-negative"),
    pytest.param(EMAIL + "timeout = 0\n", "[email] timeout = 0; use a number of seconds above 0", id="email-timeout-zero"),
    pytest.param(EMAIL + "timeout = inf\n", "[email] timeout = inf;", id="email-timeout-inf"),
    pytest.param(EMAIL + "timeout = true\n", "[email] timeout = true;", id="email-timeout-bool"),
    pytest.param(EMAIL + "port = true\n", "[email] port = true; use a TCP port number", id="email-port-bool"),
    pytest.param(EMAIL + "port = 0\n", "[email] port = 0; use a TCP port number from 1 to 65535", id="email-port-zero"),
    # 2. [[webhooks]] timeout
    pytest.param(WEBHOOK + 'timeout = "x"\n', '[[webhooks]] #1 timeout = "x"; use a number of seconds above 0', id="webhook-timeout-text"),
    pytest.param(WEBHOOK + "timeout = [1]\n", "[[webhooks]] #1 timeout = [1]; use a number of seconds", id="webhook-timeout-list"),
    pytest.param(WEBHOOK + "timeout = nan\n", "[[webhooks]] #1 timeout = nan;", id="webhook-timeout-nan"),
    pytest.param(WEBHOOK + f"timeout = {HUGE}\n", "[[webhooks]] #1 timeout = 1000", id="webhook-timeout-overflow"),
    pytest.param(EMAIL + "timeout = 1e300\n", "[email] timeout = 1e+300; use a number of seconds above 0 and at most 3600", id="email-timeout-huge"),
    pytest.param("[fetch]\nread_timeout = 3601\n", "[fetch] read_timeout = 3601 is not valid; use a number above 0 and at most 3600", id="read-timeout-above-an-hour"),
    # 3. [fetch] user_agent must be printable ASCII on one line
    pytest.param('[fetch]\nuser_agent = "中文"\n', '[fetch] user_agent = "中文" is not valid; use a string of printable ASCII', id="ua-non-ascii"),
    pytest.param('[fetch]\nuser_agent = "a\\nb"\n', '[fetch] user_agent = "a\\nb" is not valid', id="ua-newline"),
    pytest.param('[fetch]\nuser_agent = "a\\tb"\n', '[fetch] user_agent = "a\\tb" is not valid', id="ua-tab"),
    pytest.param('[fetch]\nuser_agent = "  "\n', '[fetch] user_agent = "  " is not valid', id="ua-blank"),
    # 4. numbers: finite, no true/false, ranges as before
    pytest.param("[fetch]\nconnect_timeout = inf\n", "[fetch] connect_timeout = inf is not valid; use a number above 0", id="connect-timeout-inf"),
    pytest.param("[fetch]\nread_timeout = inf\n", "[fetch] read_timeout = inf is not valid", id="read-timeout-inf"),
    pytest.param("[fetch]\nbackoff = inf\n", "[fetch] backoff = inf is not valid", id="backoff-inf"),
    pytest.param("[fetch]\nbackoff = nan\n", "[fetch] backoff = nan is not valid", id="backoff-nan"),
    pytest.param("[fetch]\nmax_retry_after = -inf\n", "[fetch] max_retry_after = -inf is not valid", id="retry-after-minus-inf"),
    pytest.param(f"[fetch]\nread_timeout = {HUGE}\n", "[fetch] read_timeout = 1000", id="read-timeout-overflow"),
    pytest.param("[fetch]\nconnect_timeout = true\n", "[fetch] connect_timeout = true is not valid", id="connect-timeout-bool"),
    pytest.param("[fetch]\nretries = true\n", "[fetch] retries = true is not valid; use a whole number of 0 or more", id="retries-bool"),
    pytest.param("[fetch]\nretries = -1\n", "[fetch] retries = -1 is not valid; use a whole number of 0 or more", id="retries-negative"),
    pytest.param("[fetch]\nmax_bytes = false\n", "[fetch] max_bytes = false is not valid", id="max-bytes-bool"),
    pytest.param("[fetch]\nper_host = true\n", "[fetch] per_host = true is not valid; use a whole number of 1 or more", id="per-host-bool"),
    pytest.param("[fetch]\nmax_connections = true\n", "[fetch] max_connections = true is not valid", id="max-connections-bool"),
    pytest.param("[fetch]\nmax_redirects = 2.5\n", "[fetch] max_redirects = 2.5 is not valid", id="max-redirects-float"),
    pytest.param(SOURCE + "pages = true\n", "[[sources]] #1 pages = true; use a whole number from 1 to 1000", id="pages-bool"),
    pytest.param(SOURCE + "page_size = inf\n", "[[sources]] #1 page_size = inf; use a whole number from 1 to 1000", id="page-size-inf"),
    pytest.param(SOURCE + "page_size = true\n", "[[sources]] #1 page_size = true;", id="page-size-bool"),
    # 5. source (and webhook) URLs: no spaces, no port 0
    pytest.param(
        '[[sources]]\nname = "a"\nurl = "http://127.0.0.1:8080/a b/"\n',
        "[[sources]] #1 (a) url 'http://127.0.0.1:8080/a b/' is not a valid URL (it contains a space); "
        'percent-encode the space as %20: url = "http://127.0.0.1:8080/a%20b/"',
        id="url-space",
    ),
    pytest.param(
        '[[sources]]\nname = "a"\nurl = "http://127.0.0.1:8080/a\\tb/"\n',
        "[[sources]] #1 (a) url 'http://127.0.0.1:8080/a\\tb/' is not a valid URL (it contains a line break",
        id="url-tab",
    ),
    pytest.param(
        '[[sources]]\nname = "a"\nurl = "http://127.0.0.1:0/a/"\n',
        "[[sources]] #1 (a) url 'http://127.0.0.1:0/a/' is not a valid URL (port 0); use a port between 1 and 65535",
        id="url-port-0",
    ),
    pytest.param(
        '[[webhooks]]\nurl = "http://127.0.0.1:0/hook"\n',
        "[[webhooks]] #1 url 'http://127.0.0.1:0/hook' is not a valid URL (port 0)",
        id="webhook-url-port-0",
    ),
    # 6. the message shows what was written (a table is "a table", arrays stay on one line)
    pytest.param("[fetch.max_bytes]\nlimit = 1\n", "[fetch] max_bytes = a table is not valid; use a whole number", id="max-bytes-table"),
    pytest.param("[[fetch.per_host]]\nx = 1\n", "[fetch] per_host = an array of tables is not valid", id="per-host-array-of-tables"),
    pytest.param("[fetch]\nmax_bytes = [1, 2]\n", "[fetch] max_bytes = [1, 2] is not valid", id="max-bytes-array"),
    pytest.param("[[sources]]\nname = true\nurl = 'http://127.0.0.1/a'\n", "[[sources]] #1 name must be a non-empty string (got true)", id="name-bool"),
    # 7. the same url twice
    pytest.param(
        '[[sources]]\nname = "first"\nurl = "http://127.0.0.1:8080/a/"\n'
        '[[sources]]\nname = "second"\nurl = "HTTP://127.0.0.1:8080/a/#list"\n',
        "[[sources]] 'first' and 'second' have the same url",
        id="duplicate-url-spelled-differently",
    ),
    pytest.param(
        '[[sources]]\nname = "first"\nurl = "http://127.0.0.1:8080/a/"\n'
        '[[sources]]\nname = "second"\nurl = "  http://127.0.0.1:8080/a/ "\n',
        "[[sources]] 'first' and 'second' have the same url 'http://127.0.0.1:8080/a/'; keep one of them",
        id="duplicate-url",
    ),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_value_is_a_one_line_config_error_naming_file_key_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_good_values_next_to_the_rejected_ones_still_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[fetch]\nretries = 0\nbackoff = 0.25\nconnect_timeout = 5\nmax_bytes = 1\n"
        'user_agent = "  Mozilla/5.0 (compatible; test/1.0)  "\n'
        '[[sources]]\nname = "a"\nurl = "http://127.0.0.1:8080/a%20b/"\n'
        '[[sources]]\nname = "b"\nurl = "http://127.0.0.1:65535/a%20b/?page=2"\n'
        '[email]\nhost = "smtp.example.org"\nport = 2525\ntimeout = 12\nto = ["analyst@example.org"]\n'
        '[[webhooks]]\nurl = "http://127.0.0.1:8080/hook"\ntimeout = 2.5\n'
        '[[webhooks]]\nurl = "http://127.0.0.1:8080/hook2"\n',
    )
    config = load_config(path)
    assert config.fetch.retries == 0 and config.fetch.backoff == 0.25 and config.fetch.max_bytes == 1
    assert config.fetch.connect_timeout == 5.0 and isinstance(config.fetch.connect_timeout, float)
    assert config.fetch.user_agent == "Mozilla/5.0 (compatible; test/1.0)"
    assert [s.url for s in config.sources] == ["http://127.0.0.1:8080/a%20b/", "http://127.0.0.1:65535/a%20b/?page=2"]
    assert config.email is not None and config.email.port == 2525
    assert config.email.timeout == 12.0 and isinstance(config.email.timeout, float)
    assert [w.timeout for w in config.webhooks] == [2.5, 30.0]


CLI_CASES = [
    pytest.param(EMAIL + 'timeout = "abc"\n', "[email] timeout", id="email-timeout"),
    pytest.param(EMAIL + "port = true\n", "[email] port", id="email-port"),
    pytest.param(WEBHOOK + 'timeout = "x"\n', "[[webhooks]] #1 timeout", id="webhook-timeout-text"),
    pytest.param(WEBHOOK + "timeout = [1]\n", "[[webhooks]] #1 timeout", id="webhook-timeout-list"),
    pytest.param('[fetch]\nuser_agent = "中文"\n', "[fetch] user_agent", id="ua-non-ascii"),
    pytest.param('[fetch]\nuser_agent = "a\\nb"\n', "[fetch] user_agent", id="ua-newline"),
    pytest.param("[fetch]\nconnect_timeout = inf\n", "[fetch] connect_timeout", id="connect-timeout-inf"),
    pytest.param(f"[fetch]\nread_timeout = {HUGE}\n", "[fetch] read_timeout", id="read-timeout-overflow"),
    pytest.param('[[sources]]\nname = "a"\nurl = "http://127.0.0.1:8080/a b/"\n', "(a) url", id="url-space"),
    pytest.param('[[sources]]\nname = "a"\nurl = "http://127.0.0.1:0/a/"\n', "(a) url", id="url-port-0"),
    pytest.param("[fetch.max_bytes]\nlimit = 1\n", "[fetch] max_bytes = a table", id="max-bytes-table"),
    pytest.param("[fetch]\nmax_bytes = [1, 2]\n", "[fetch] max_bytes = [1, 2]", id="max-bytes-array"),
    pytest.param(
        '[[sources]]\nname = "first"\nurl = "http://127.0.0.1:8080/a/"\n'
        '[[sources]]\nname = "second"\nurl = "http://127.0.0.1:8080/a/"\n',
        "'first' and 'second' have the same url",
        id="duplicate-url",
    ),
]


@pytest.mark.parametrize(("text", "key"), CLI_CASES)
def test_cli_reports_a_bad_config_value_in_one_line_with_exit_2(tmp_path: Path, text: str, key: str) -> None:
    # `sources list` reads the config and never touches the network, even if validation let a value through.
    path = write(tmp_path, text)
    result = CliRunner().invoke(app, ["sources", "list", "--config", str(path)], catch_exceptions=False)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    assert str(path) in result.stderr and key in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
