"""The Slack bot: slack-bolt over the same Pipeline as POST /ask.

This is the only module that imports slack_bolt. Mounted in the FastAPI app at
``POST /slack/events`` when both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set;
``python -m service.slack --socket`` runs it over Socket Mode instead (SLACK_APP_TOKEN).
Start-up never calls Slack: the bot's own identity is looked up on the first event.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.answering import Answering, Busy, TooSlow
from service.config import Settings
from service.events import EventDeduper
from service.feedback import FeedbackStore
from service.observe import Metrics
from service.pipeline import Answer, Pipeline
from service.slack_blocks import (
    answer_message,
    error_message,
    notice_message,
    read_feedback_value,
    unescape,
    usage_message,
)
from service.threads import ThreadQuestions

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
MAX_QUESTION = 1000


def _question(text: str) -> str:
    """The question in a message or command as the user typed it: mentions out, Slack's
    entities back to ``&``, ``<`` and ``>``."""
    return _clean(unescape(_MENTION.sub(" ", text or "")))


def _clean(text: str) -> str:
    """Trimmed to what the pipeline is asked (a share button's value is already plain text)."""
    return text.strip()[:MAX_QUESTION]


def create_bolt_app(
    settings: Settings,
    get_pipeline: Callable[[], Pipeline | None],
    feedback: FeedbackStore,
    answering: Answering,
) -> App:
    """A bolt App whose listeners all answer through ``answering`` (the bound and deadline
    HTTP ``/ask`` has) over ``get_pipeline()``."""
    assert settings.slack_bot_token and settings.slack_signing_secret  # noqa: S101
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        token_verification_enabled=False,  # no auth.test at start-up
        process_before_response=False,  # ack first, answer afterwards
        raise_error_for_unhandled_request=False,
    )
    deduper = EventDeduper(settings.feedback_db, settings.slack_dedup_seconds)
    threads = ThreadQuestions(settings.feedback_db)
    ephemeral = settings.slack_ephemeral

    def answer(
        question: str, share_button: bool = False, context: str | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        pipeline = get_pipeline()
        if pipeline is None:
            return notice_message("Sorry, I'm still starting up. Please ask again in a minute.")
        try:
            result: Answer = answering.ask_blocking(pipeline, question, context=context)
        except Busy:
            return notice_message(
                "Sorry, I'm answering a lot of questions right now. Please ask again in a moment."
            )
        except TooSlow as exc:
            return notice_message(f"Sorry, that took too long ({exc}). Please ask again shortly.")
        return answer_message(result, share_button=share_button)

    @app.middleware
    def drop_retries(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id and not deduper.first_time(str(body.get("team_id", "")), str(event_id)):
            log.info("ignoring a repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    @app.command("/ask")
    def ask_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        ack()
        question = _question(command.get("text", ""))
        try:
            if not question:
                text, blocks = usage_message()
                respond(text=text, blocks=blocks, response_type="ephemeral")
                return
            text, blocks = answer(question, share_button=ephemeral)
            respond(
                text=text, blocks=blocks, response_type="ephemeral" if ephemeral else "in_channel"
            )
        except Exception:
            log.exception("/ask failed")
            text, blocks = error_message()
            respond(text=text, blocks=blocks, response_type="ephemeral")

    def earlier_question(team_id: str, event: dict[str, Any], question: str) -> str | None:
        """The first question of the thread a follow-up is in (None outside a thread); the
        question is remembered as its thread's first when it is the first."""
        channel, root = str(event.get("channel", "")), event.get("thread_ts")
        try:
            earlier = threads.first(team_id, channel, str(root)) if root else None
            threads.remember(team_id, channel, str(root or event.get("ts", "")), question)
        except sqlite3.Error:
            log.exception("the thread's earlier question is unavailable: answering alone")
            return None
        return earlier if earlier != question else None

    def reply(event: dict[str, Any], body: dict[str, Any], say: Any, thread_ts: str | None) -> None:
        question = _question(event.get("text", ""))
        try:
            if not question:
                text, blocks = usage_message()
            else:
                earlier = earlier_question(str(body.get("team_id", "")), event, question)
                text, blocks = answer(question, context=earlier)
        except Exception:
            log.exception("answering a Slack message failed")
            text, blocks = error_message()
        say(text=text, blocks=blocks, thread_ts=thread_ts)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], say: Any) -> None:
        if event.get("bot_id"):
            return
        reply(event, body, say, event.get("thread_ts") or event.get("ts"))

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], say: Any) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return  # channels are answered on mention only; never answer bots
        reply(event, body, say, event.get("thread_ts"))

    @app.action("share_answer")
    def share(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        question = _clean(body["actions"][0].get("value", ""))
        try:
            text, blocks = answer(question)
            respond(text=text, blocks=blocks, response_type="in_channel", delete_original=True)
        except Exception:
            log.exception("sharing an answer failed")
            text, blocks = error_message()
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    def vote(ack: Any, body: dict[str, Any], respond: Any, which: str) -> None:
        ack()
        clicked = read_feedback_value(body["actions"][0].get("value"))
        if clicked is None:
            log.warning("a %s click carried no answer to record: nothing stored", which)
            text = "Sorry, I couldn't read that feedback, so nothing was saved."
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        try:
            feedback.record(
                user_id=str(body.get("user", {}).get("id", "")),
                vote=which,
                question=clicked.question,
                answer=clicked.answer,
                citations=[{"doc_id": d, "start": s, "end": e} for d, s, e in clicked.citations],
            )
        except Exception:
            log.exception("storing feedback failed")
            text = "Sorry, I couldn't save that feedback. Please try again in a moment."
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        respond(text="Thanks for the feedback!", response_type="ephemeral", replace_original=False)

    @app.action("feedback_up")
    def up(ack: Any, body: dict[str, Any], respond: Any) -> None:
        vote(ack, body, respond, "up")

    @app.action("feedback_down")
    def down(ack: Any, body: dict[str, Any], respond: Any) -> None:
        vote(ack, body, respond, "down")

    return app


_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def _well_formed(text: str, content_type: str) -> bool:
    """A JSON object (events), or a form (slash commands) whose ``payload``, if any, is a
    JSON object (actions): what bolt can read without failing."""
    if "json" in content_type or text.lstrip().startswith(("{", "[", '"')):
        try:
            return isinstance(json.loads(text), dict)
        except ValueError:
            return False
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            return isinstance(json.loads(form["payload"][0]), dict)
        except ValueError:
            return False
    return bool(form)


def _bad_request(detail: str) -> Response:
    return JSONResponse(
        {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail},
        status_code=400,
        media_type="application/problem+json",
    )


def _unauthorized(detail: str) -> Response:
    return JSONResponse(
        {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": detail},
        status_code=401,
        media_type="application/problem+json",
    )


class SlackEndpoint:
    """``POST /slack/events``: verify the signature first, then hand over to bolt in a thread."""

    def __init__(self, bolt_app: App, signing_secret: str) -> None:
        self.handler = SlackRequestHandler(bolt_app)
        self.verifier = SignatureVerifier(signing_secret)

    async def __call__(self, request: Request) -> Response:
        import anyio

        body = await request.body()
        ts = request.headers.get("x-slack-request-timestamp", "")
        sig = request.headers.get("x-slack-signature", "")
        # ASCII digits, as many as a Unix time has ("²" and "١" pass str.isdigit(), and a
        # 5,000-digit number is too long for int())
        if not _TIMESTAMP.fullmatch(ts) or not re.fullmatch(r"v0=[0-9a-f]{64}", sig):
            return _unauthorized("missing or malformed Slack signature headers")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _bad_request("the request body is not UTF-8")
        if not self.verifier.is_valid(body=text, timestamp=ts, signature=sig):
            return _unauthorized("invalid or expired Slack signature")
        if not _well_formed(text, request.headers.get("content-type", "")):
            return _bad_request("the request body is not a Slack event, command or action")
        bolt_request = to_bolt_request(request, body)
        bolt_response = await anyio.to_thread.run_sync(self.handler.app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)


def main(argv: list[str] | None = None) -> int:
    """`python -m service.slack --socket`: run the bot over Socket Mode (no public URL)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from service.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m service.slack")
    parser.add_argument(
        "--socket",
        action="store_true",
        required=True,
        help="connect to Slack over Socket Mode (needs SLACK_APP_TOKEN)",
    )
    parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    if not settings.slack_enabled or not settings.slack_app_token:
        print("Socket Mode needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_APP_TOKEN")
        return 2
    pipeline = Pipeline.from_settings(settings)
    answering = Answering(
        max_in_flight=settings.max_in_flight,
        timeout_s=settings.request_timeout_s,
        threads=settings.threads_per_worker,
        metrics=Metrics(),
    )
    answering.run_own_loop()  # no web server here: answer on a loop of its own
    app = create_bolt_app(
        settings, lambda: pipeline, FeedbackStore(settings.feedback_db), answering
    )
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
