"""The Slack bot with the real slack-bolt and slack_sdk, a local fake Slack, and no network."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from service.api import create_app
from service.config import Settings
from service.feedback import FeedbackStore
from service.pipeline import Pipeline
from tests.conftest import ROOT, Gate, Server
from tests.fake_slack import FakeSlack

pytestmark = pytest.mark.integration
SECRET = "test-signing-secret"


def signed(body: str, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    return {"x-slack-request-timestamp": str(ts), "x-slack-signature": str(sig)}


class Bot:
    def __init__(self, server: Server, fake: FakeSlack, feedback: Path) -> None:
        self.server, self.fake, self.feedback = server, fake, feedback

    def post(self, body: str, ctype: str, headers: dict[str, str] | None = None) -> httpx.Response:
        h = {"content-type": ctype, **(headers if headers is not None else signed(body))}
        return httpx.post(f"{self.server.url}/slack/events", content=body, headers=h, timeout=30)

    def command(self, text: str, n: int = 1) -> httpx.Response:
        body = urlencode(
            {
                "command": "/ask",
                "text": text,
                "team_id": "T1",
                "user_id": "U1",
                "channel_id": "C1",
                "response_url": f"{self.fake.url}/response/{n}",
                "trigger_id": "1.2.3",
            }
        )
        return self.post(body, "application/x-www-form-urlencoded")

    def event(
        self, event: dict[str, Any], event_id: str, retry: int | None = None
    ) -> httpx.Response:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = signed(body)
        if retry is not None:
            headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        return self.post(body, "application/json", headers)

    def mention(self, text: str, ts: str, thread_ts: str | None = None) -> httpx.Response:
        event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": ts, "text": text}
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return self.event(event, f"Ev-mention-{ts}")

    def direct_message(self, text: str, ts: str) -> httpx.Response:
        event = {"type": "message", "channel_type": "im", "user": "U2", "channel": "D1"}
        return self.event({**event, "ts": ts, "text": text}, f"Ev-dm-{ts}")

    def click(self, action_id: str, value: str, n: int = 9) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U7"},
            "api_app_id": "A1",
            "token": "t",
            "trigger_id": "1.2",
            "response_url": f"{self.fake.url}/response/{n}",
            "container": {"type": "message"},
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "type": "button",
                    "action_ts": "1.1",
                }
            ],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )


def _bot(tmp_path: Path, pipeline: object, fake: FakeSlack, **overrides: Any) -> Iterator[Bot]:
    settings = Settings(
        index_dir=tmp_path,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=f"{fake.url}/api/",
        feedback_db=tmp_path / "feedback.sqlite3",
        **overrides,
    )
    app = create_app(settings, pipeline_factory=lambda _s: pipeline)  # type: ignore[arg-type,return-value]
    with Server(app) as server:
        server.wait_ready()
        yield Bot(server, fake, settings.feedback_db)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        yield f


@pytest.fixture
def bot(tmp_path: Path, pipeline: Pipeline, fake: FakeSlack) -> Iterator[Bot]:
    yield from _bot(tmp_path, pipeline, fake)


def _text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_slacks_documented_signing_example_verifies() -> None:
    # From Slack's "Verifying requests from Slack" page.
    class Fixed(Clock):
        def now(self) -> float:
            return 1531420618.0

    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        "-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770"
        "0885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d"
        "2c447fce8b6703c"
    )
    verifier = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5", clock=Fixed())
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert verifier.generate_signature(timestamp="1531420618", body=body) == expected
    assert verifier.is_valid(body=body, timestamp="1531420618", signature=expected)


def test_url_verification_challenge(bot: Bot) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    r = bot.post(body, "application/json")
    assert r.status_code == 200 and r.json() == {"challenge": "c-123"}
    assert bot.fake.calls == []  # start-up and the handshake never call Slack


@pytest.mark.parametrize(
    "headers",
    [
        {"x-slack-request-timestamp": str(int(time.time())), "x-slack-signature": "v0=" + "0" * 64},
        {},
        {"x-slack-request-timestamp": "not-a-number", "x-slack-signature": "v0=abc"},
        {"x-slack-request-timestamp": "1e30", "x-slack-signature": "garbage"},
    ],
    ids=["bad-signature", "missing-headers", "malformed-timestamp", "malformed-both"],
)
def test_unsigned_or_malformed_requests_get_401(bot: Bot, headers: dict[str, str]) -> None:
    r = bot.post("command=%2Fask&text=hi", "application/x-www-form-urlencoded", headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    time.sleep(0.2)
    assert bot.fake.calls == []


def test_stale_timestamp_gets_401(bot: Bot) -> None:
    body = "command=%2Fask&text=hi"
    r = bot.post(body, "application/x-www-form-urlencoded", signed(body, ts=int(time.time()) - 600))
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_slash_command_answers_through_response_url(bot: Bot) -> None:
    r = bot.command("How much is Microsoft investing in Japan?")
    assert r.status_code == 200
    (posted,) = bot.fake.wait_for("/response/1")
    assert posted["response_type"] == "ephemeral"
    blocks = posted["blocks"]
    assert blocks[0]["text"]["text"].startswith("*") and "2.9 billion" in blocks[0]["text"]["text"]
    assert blocks[1]["text"]["text"].startswith(">")  # the supporting sentence as a quote
    assert "*Sources*" in blocks[2]["text"]["text"] and "1. " in blocks[2]["text"]["text"]
    assert "confidence" in _text(blocks)
    action_ids = [e["action_id"] for e in blocks[-1]["elements"]]
    assert action_ids == ["share_answer", "feedback_up", "feedback_down"]


def test_empty_command_gets_a_usage_hint(bot: Bot) -> None:
    bot.command("   ")
    (posted,) = bot.fake.wait_for("/response/1")
    assert "/ask" in posted["text"]


def test_abstention_says_so_and_lists_closest_sources(bot: Bot) -> None:
    bot.command("Who won the 2022 World Cup?")
    (posted,) = bot.fake.wait_for("/response/1")
    assert "don't say" in posted["text"]
    assert "Closest sources" in _text(posted["blocks"])


def test_mention_is_answered_in_thread_once_despite_retries(bot: Bot) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C1",
        "ts": "1700000000.000100",
        "text": "<@UBOT> who is the president of Microsoft Japan?",
    }
    assert bot.event(event, "Ev1").status_code == 200
    assert bot.event(event, "Ev1", retry=1).status_code == 200
    assert bot.event(event, "Ev1", retry=2).status_code == 200
    (msg,) = bot.fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(bot.fake.posts("chat.postMessage")) == 1
    assert msg["thread_ts"] == "1700000000.000100" and msg["channel"] == "C1"
    assert "Miki Tsusaka" in _text(msg["blocks"])


def test_follow_up_in_a_thread_stays_in_that_thread(bot: Bot) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C1",
        "ts": "1700000000.000300",
        "thread_ts": "1700000000.000100",
        "text": "<@UBOT> and how many workers get training?",
    }
    bot.event(event, "Ev3")
    (msg,) = bot.fake.wait_for("chat.postMessage")
    assert msg["thread_ts"] == "1700000000.000100"


def test_direct_message_is_answered_and_bots_are_ignored(bot: Bot) -> None:
    bot.event(
        {
            "type": "message",
            "channel_type": "im",
            "user": "U2",
            "channel": "D1",
            "ts": "1.1",
            "text": "how many azure data centers are in japan",
        },
        "Ev10",
    )
    bot.event(
        {
            "type": "message",
            "channel_type": "im",
            "bot_id": "B9",
            "channel": "D1",
            "ts": "1.2",
            "text": "I am another bot",
        },
        "Ev11",
    )
    bot.event(
        {
            "type": "message",
            "channel_type": "im",
            "subtype": "bot_message",
            "channel": "D1",
            "ts": "1.3",
            "text": "me too",
        },
        "Ev12",
    )
    (msg,) = bot.fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(bot.fake.posts("chat.postMessage")) == 1
    assert msg["channel"] == "D1"


def test_feedback_click_is_stored(bot: Bot) -> None:
    value = json.dumps(
        {"q": "how much?", "a": "US$2.9 billion", "c": [["002_bc3d2b23fcc61d83", 10, 20]]}
    )
    assert bot.click("feedback_down", value).status_code == 200
    bot.fake.wait_for("/response/9")
    (row,) = FeedbackStore(bot.feedback).rows()
    assert (row["vote"], row["user_id"], row["question"], row["answer"]) == (
        "down",
        "U7",
        "how much?",
        "US$2.9 billion",
    )
    assert json.loads(row["citations"]) == [
        {"doc_id": "002_bc3d2b23fcc61d83", "start": 10, "end": 20}
    ]
    out = bot.feedback.parent / "fb.jsonl"
    assert FeedbackStore(bot.feedback).export_eval_items(out) == 1
    assert json.loads(out.read_text())["question"] == "how much?"


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        '["how much?", "US$2.9 billion"]',
        '{"a": "US$2.9 billion", "c": []}',
        '{"q": "how much?", "a": "US$2.9 billion", "c": [["002_bc3d2b23fcc61d83", "10", 20]]}',
    ],
    ids=["not-json", "not-an-object", "no-question", "offset-not-a-number"],
)
@pytest.mark.parametrize("action_id", ["feedback_up", "feedback_down"])
def test_a_malformed_feedback_click_is_answered_and_nothing_is_stored(
    bot: Bot, action_id: str, value: str
) -> None:
    assert bot.click(action_id, value).status_code == 200
    (posted,) = bot.fake.wait_for("/response/9", timeout=10)
    assert posted["response_type"] == "ephemeral" and posted["replace_original"] is False
    assert "nothing was saved" in posted["text"]
    time.sleep(0.2)
    assert FeedbackStore(bot.feedback).rows() == []


WIRE = "Who won the World Cup &amp; the Euros &lt;2022&gt;?"  # what Slack sends for TYPED
TYPED = "Who won the World Cup & the Euros <2022>?"


def _ask_over(bot: Bot, path: str) -> dict[str, Any]:
    """Send WIRE by slash command, mention or DM; what the bot posted back."""
    if path == "command":
        bot.command(WIRE)
        (posted,) = bot.fake.wait_for("/response/1")
    elif path == "mention":
        bot.mention(f"<@UBOT> {WIRE}", ts="1700000002.000100")
        (posted,) = bot.fake.wait_for("chat.postMessage")
    else:
        bot.direct_message(WIRE, ts="1700000003.000100")
        (posted,) = bot.fake.wait_for("chat.postMessage")
    return posted


@pytest.mark.parametrize("path", ["command", "mention", "dm"])
def test_slack_entities_are_read_as_typed_and_escaped_once(bot: Bot, path: str) -> None:
    posted = _ask_over(bot, path)
    echoed = posted["blocks"][0]["text"]["text"]
    assert echoed == "*The articles don't say.*\n>" + WIRE  # escaped once, as it came
    assert "&amp;amp;" not in json.dumps(posted) and "&amp;lt;" not in json.dumps(posted)
    buttons = {e["action_id"]: e["value"] for e in posted["blocks"][-1]["elements"]}
    assert json.loads(buttons["feedback_down"])["q"] == TYPED  # the question as typed


def test_a_thread_follow_up_is_answered_with_the_threads_earlier_question(bot: Bot) -> None:
    root = "1700000004.000100"
    bot.mention("<@UBOT> How much is Microsoft investing in Japan?", ts=root)
    (first,) = bot.fake.wait_for("chat.postMessage")
    assert "2.9 billion" in first["blocks"][0]["text"]["text"]

    bot.mention("<@UBOT> and when was it announced?", ts="1700000004.000200", thread_ts=root)
    follow_up = bot.fake.wait_for("chat.postMessage", count=2)[1]
    assert follow_up["thread_ts"] == root
    blocks = follow_up["blocks"]
    assert blocks[0]["text"]["text"] == "*Wednesday, April 10*"
    quote = blocks[1]["text"]["text"].removeprefix(">")
    assert "Wednesday, April 10" in quote
    assert quote in (ROOT / "seeds" / "004_851ebe4eaf63c61e.txt").read_text()  # verbatim
    assert (
        "Answered together with the thread's earlier question: "
        "“How much is Microsoft investing in Japan?”"
    ) in _text(blocks)

    # the same follow-up where no earlier question is known: the articles don't say
    bot.mention("<@UBOT> and when was it announced?", ts="1700000005.000200", thread_ts="1.0")
    lone = bot.fake.wait_for("chat.postMessage", count=3)[2]
    assert lone["thread_ts"] == "1.0" and "don't say" in lone["text"]
    assert "earlier question" not in _text(lone["blocks"])

    # a follow-up that the articles answer on its own is answered alone
    bot.mention(
        "<@UBOT> and how many people will be trained?", ts="1700000004.000300", thread_ts=root
    )
    alone = bot.fake.wait_for("chat.postMessage", count=4)[3]
    assert alone["thread_ts"] == root and "Million" in alone["text"]
    assert "earlier question" not in _text(alone["blocks"])


def test_ack_arrives_while_the_answer_is_still_being_computed(
    tmp_path: Path, pipeline: Pipeline, fake: FakeSlack
) -> None:
    gate = Gate(pipeline)
    for bot in _bot(tmp_path, gate, fake):
        r = bot.command("How much is Microsoft investing in Japan?")
        assert r.status_code == 200  # acknowledged while ask() is blocked
        assert fake.posts("/response/1") == []
        gate.open.set()
        (posted,) = fake.wait_for("/response/1")
        assert "2.9 billion" in posted["text"]


def test_slack_and_http_share_one_bound_on_questions_being_answered(
    tmp_path: Path, pipeline: Pipeline, fake: FakeSlack
) -> None:
    gate = Gate(pipeline)
    for bot in _bot(tmp_path, gate, fake, max_in_flight=1):
        url = bot.server.url
        held = threading.Thread(
            target=httpx.post,
            args=(f"{url}/ask",),
            kwargs={"json": {"question": "held"}, "timeout": 30},
        )
        held.start()
        deadline = time.monotonic() + 30
        while "newsqa_answers_in_flight 1.0" not in httpx.get(f"{url}/metrics").text:
            assert time.monotonic() < deadline, "the HTTP question never started"
            time.sleep(0.02)
        bot.command("How much is Microsoft investing in Japan?")
        (posted,) = fake.wait_for("/response/1")
        assert "answering a lot of questions" in posted["text"]  # the one slot is taken
        gate.open.set()
        held.join(30)


def test_slack_answers_get_the_request_timeout(
    tmp_path: Path, pipeline: Pipeline, fake: FakeSlack
) -> None:
    gate = Gate(pipeline)
    for bot in _bot(tmp_path, gate, fake, request_timeout_s=1.0):
        bot.command("How much is Microsoft investing in Japan?")
        (posted,) = fake.wait_for("/response/1")
        assert "took too long (no answer within 1 s)" in posted["text"]
        gate.open.set()


def test_internal_errors_become_a_short_apology(
    tmp_path: Path, pipeline: Pipeline, fake: FakeSlack
) -> None:
    for bot in _bot(tmp_path, Gate(pipeline, fail=True), fake):
        bot.command("anything")
        (posted,) = fake.wait_for("/response/1")
        assert posted["text"].startswith("Sorry")
        assert "boom" not in json.dumps(posted) and "Traceback" not in json.dumps(posted)


@pytest.mark.parametrize("secret", ["", "   "])
def test_not_mounted_without_both_secrets(tmp_path: Path, pipeline: Pipeline, secret: str) -> None:
    settings = Settings(index_dir=tmp_path, slack_bot_token="xoxb-1", slack_signing_secret=secret)
    assert not settings.slack_enabled
    app = create_app(settings, pipeline_factory=lambda _s: pipeline)
    with Server(app) as server:
        r = httpx.post(f"{server.url}/slack/events", content="{}", headers=signed("{}", "any"))
        assert r.status_code == 404


def test_rate_limited_web_api_calls_are_retried(bot: Bot) -> None:
    bot.fake.rate_limit_next = 2  # auth.test and/or chat.postMessage get 429 + Retry-After
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C9",
        "ts": "1700000001.000100",
        "text": "<@UBOT> who is the president of microsoft japan",
    }
    bot.event(event, "Ev429")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        p.get("thread_ts") == "1700000001.000100" for p in bot.fake.posts("chat.postMessage")
    ):
        time.sleep(0.05)
    api_calls = [path for path, _ in bot.fake.calls if "/api/" in path]
    assert len(api_calls) >= 3  # two refused, then served
    delivered = [
        p for p in bot.fake.posts("chat.postMessage") if p.get("thread_ts") == "1700000001.000100"
    ]
    assert len(delivered) == 1 and "Miki Tsusaka" in json.dumps(delivered[0]["blocks"])


def test_socket_mode_entry_point_needs_its_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.config import get_settings
    from service.slack import main

    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    try:
        assert main(["--socket"]) == 2
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "timestamp",
    ["9" * 5000, "17000000²", "١٧٠٠٠٠٠٠٠٠"],  # huge; a superscript and Arabic digits pass isdigit()
    ids=["5000-digits", "superscript", "arabic-digits"],
)
def test_odd_timestamps_get_401_before_any_signature_check(bot: Bot, timestamp: str) -> None:
    headers = {
        b"content-type": b"application/x-www-form-urlencoded",
        b"x-slack-request-timestamp": timestamp.encode("utf-8"),  # as raw bytes on the wire
        b"x-slack-signature": b"v0=" + b"0" * 64,
    }
    r = httpx.post(
        f"{bot.server.url}/slack/events", content=b"command=%2Fask&text=hi", headers=headers
    )
    assert r.status_code == 401


def test_a_body_that_is_not_utf8_gets_400(bot: Bot) -> None:
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": "v0=" + "0" * 64,
    }
    r = httpx.post(
        f"{bot.server.url}/slack/events", content=b"\xff\xfe\xfa", headers=headers, timeout=30
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        ("not json at all", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("payload=%5B1%5D", "application/x-www-form-urlencoded"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ],
    ids=["not-json", "json-array", "json-string", "payload-array", "payload-broken"],
)
def test_signed_bodies_of_the_wrong_shape_get_400(bot: Bot, body: str, ctype: str) -> None:
    r = bot.post(body, ctype)  # correctly signed
    assert r.status_code == 400
    assert "body" in r.json()["detail"]
    time.sleep(0.2)
    assert bot.fake.calls == []
