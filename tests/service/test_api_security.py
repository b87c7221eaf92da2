"""Start-up refusals, stream tokens, the metrics key, and secrets kept out of the logs."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from tests.fakes.api import READ_KEY, TRADE_KEY, api_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.api.app import create_app
from swingdesk.api.key_strength import key_weakness
from swingdesk.api.redaction import install_redaction, redact
from swingdesk.api.security import KeyRing, Scope
from swingdesk.config import Settings, load_settings
from swingdesk.domain.errors import ConfigurationError


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"host": "0.0.0.0"}, "refusing to start without APP_API_KEY"),
        ({"profile": "paper", "strategy_provider": "rules"}, "refusing to start"),
        ({"api_key": "changeme"}, "shorter than 16"),
        ({"api_key": "short-key"}, "shorter than 16"),
        ({"api_key": "aaaaaaaaaaaaaaaaaaaaaaaa"}, "placeholder"),
        ({"api_key": TRADE_KEY, "read_api_key": "your-api-key"}, "APP_READ_API_KEY"),
        ({"api_key": TRADE_KEY, "read_api_key": TRADE_KEY}, "must differ"),
    ],
)
def test_create_app_when_unsafe_then_refuses_to_start(
    overrides: dict[str, str], message: str
) -> None:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=message):
        create_app(settings)


def test_create_app_when_demo_on_loopback_without_key_then_open_with_loud_warning(
    caplog: pytest.LogCaptureFixture, clock: ManualClock
) -> None:
    with caplog.at_level(logging.WARNING):
        create_app(Settings())
    assert "OPEN to anyone" in caplog.text
    assert KeyRing(Settings(), clock).scope_of(None) is Scope.TRADE


def test_settings_when_secret_is_set_then_never_shown_publicly() -> None:
    settings = load_settings(api_key=SecretStr(TRADE_KEY), read_api_key=SecretStr(READ_KEY))
    assert TRADE_KEY not in str(settings.public())
    assert READ_KEY not in str(settings.public())
    assert TRADE_KEY not in repr(settings)


def test_stream_token_when_tampered_or_expired_then_refused(clock: ManualClock) -> None:
    keys = KeyRing(load_settings(api_key=TRADE_KEY, stream_token_ttl_s=60), clock)
    token, expires = keys.issue_stream_token(Scope.READ)
    assert expires == int(clock.now().timestamp()) + 60
    assert keys.stream_token_scope(token) is Scope.READ
    body, sig = token.split(".")
    assert keys.stream_token_scope(body + "." + sig[::-1]) is Scope.NONE
    assert keys.stream_token_scope("garbage") is Scope.NONE
    other = KeyRing(load_settings(api_key="another-IyInynjYblAPGFQLN2SAsIKc"), clock)
    assert other.stream_token_scope(token) is Scope.NONE
    clock.advance(61)
    assert keys.stream_token_scope(token) is Scope.NONE


async def test_metrics_when_key_configured_then_required_and_text_format(
    tmp_path: Path, clock: ManualClock
) -> None:
    metrics_key = "metrics-HII4GaN_TikSso_K7oPplzPJ"
    async with api_harness(tmp_path, clock, metrics_api_key=metrics_key) as h:
        await h.trade.post("/api/trigger", json={"ticker": "AAPL"})
        assert (await h.anon.get("/metrics")).status_code == 401
        r = await h.anon.get("/metrics", headers={"Authorization": f"Bearer {metrics_key}"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = r.text
        assert "# TYPE swingdesk_decisions_total counter" in text
        # Parsed as Prometheus does (label order is the client library's business).
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        inf = (("le", "+Inf"), ("method", "POST"), ("route", "/api/trigger"), ("status", "200"))
        assert samples[("swingdesk_http_request_duration_seconds_bucket", inf)] == 1
        assert samples[("swingdesk_trading_state", (("state", "ACTIVE"),))] == 1
        assert any(name == "swingdesk_llm_latency_ms_count" for name, _ in samples)


async def test_logs_when_trigger_runs_then_no_key_or_vendor_secret_appears(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    alpaca, openai = "alpaca-secret-ABCDEFGH12345678", "sk-openai-ZYXWVUTS87654321"
    with caplog.at_level(logging.DEBUG):
        async with api_harness(
            tmp_path, clock, alpaca_secret_key=alpaca, openai_api_key=openai
        ) as h:
            await h.trade.post("/api/trigger", json={"ticker": "AAPL"})
            await h.anon.get("/api/portfolio", headers={"X-API-Key": TRADE_KEY + "x"})
            await h.anon.get(f"/api/stream?api_key={READ_KEY}x&token=abc.def")
            # What uvicorn's access log would write for a browser stream with a key in the URL:
            logging.getLogger("uvicorn.access").info(
                '%s - "%s %s HTTP/%s" %d',
                "127.0.0.1:5555",
                "GET",
                f"/api/stream?api_key={TRADE_KEY}",
                "1.1",
                200,
            )
            logging.getLogger("swingdesk.test").warning("config %s %s", alpaca, openai)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "401 GET /api/portfolio" in text
    assert "/api/stream?api_key=***" in text
    for secret in (TRADE_KEY, READ_KEY, alpaca, openai):
        assert secret not in text


def test_redact_when_query_holds_secrets_then_masked() -> None:
    assert redact("GET /api/stream?token=a.b&x=1") == "GET /api/stream?token=***&x=1"
    assert redact("X-API-Key: abcdef") == "X-API-Key: ***"


SPECIAL_SECRET = "Zq8+w/Vx=9kL#mN2 pQ&é"


def _encodings(secret: str) -> list[str]:
    upper = quote(secret, safe="")
    every = "".join(f"%{b:02X}" for b in secret.encode())
    return [
        upper,
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), upper),
        quote_plus(secret),
        every,
        every.lower(),
        quote(secret, safe="+/="),  # only some characters encoded
    ]


@pytest.mark.parametrize("form", range(6))
def test_redact_when_a_secret_is_percent_or_plus_encoded_under_any_parameter_then_masked(
    form: int,
) -> None:
    install_redaction([SPECIAL_SECRET])
    encoded = _encodings(SPECIAL_SECRET)[form]
    line = redact(f'127.0.0.1:5555 - "GET /api/stream?foo={encoded}&x=1 HTTP/1.1" 200')
    assert line == '127.0.0.1:5555 - "GET /api/stream?foo=***&x=1 HTTP/1.1" 200'


async def test_access_log_when_key_is_encoded_under_an_unknown_parameter_then_masked(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with api_harness(tmp_path, clock):
        with caplog.at_level(logging.INFO):
            for encoded in ("".join(f"%{b:02x}" for b in TRADE_KEY.encode()), quote(READ_KEY)):
                # uvicorn's access format; not its logger, which a served app may stop
                # propagating (the record factory cleans records of every logger alike).
                logging.getLogger("swingdesk.test.access").info(
                    '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5555", "GET",
                    f"/api/portfolio?q={encoded}", "1.1", 200,
                )  # fmt: skip
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text.count("/api/portfolio?q=***") == 2


WEAK_KEYS = [
    "change_me_please_now",
    "your-api-key-here",
    "replace-me-with-a-long-random-key",
    "passwordpassword",
    "correct-horse-battery-staple",
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "CHANGEME-CHANGEME-CHANGEME",
    "0123456789abcdef0123456789abcdef",
]


@pytest.mark.parametrize("field", ["api_key", "read_api_key", "metrics_api_key"])
@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_create_app_when_a_key_is_a_placeholder_or_words_then_refused_with_how_to_generate(
    field: str, weak: str
) -> None:
    keys = {"api_key": TRADE_KEY, field: weak}
    with pytest.raises(ConfigurationError) as refused:
        create_app(Settings(**keys))  # type: ignore[arg-type]
    message = str(refused.value)
    assert "placeholder" in message
    assert "secrets.token_urlsafe(32)" in message
    assert weak not in message  # even a weak key is not echoed


def _keys_in(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        found += re.findall(r'^\s*\w*KEY = "([^"]+)"', path.read_text(), flags=re.M)
    return found


def test_key_strength_when_keys_used_by_tests_benches_and_generators_then_accepted() -> None:
    root = Path(__file__).resolve().parents[2]
    sources = [root / "tests" / "fakes" / "api.py", root / "tests" / "fakes" / "desk_server.py"]
    fixtures = _keys_in([*sources, *sorted((root / "bench").glob("bench_*.py"))])
    assert TRADE_KEY in fixtures
    assert READ_KEY in fixtures
    generated = [secrets.token_urlsafe(32) for _ in range(50)]
    generated += [secrets.token_hex(24) for _ in range(50)]  # deploy/k8s/secret.example.yaml
    for key in [*fixtures, *generated]:
        assert key_weakness(key) is None, key
