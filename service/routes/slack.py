"""``POST /slack/events``: the Slack bot's Events API endpoint (``service.slack``), present
only when Slack is configured."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from service.state import AppState

log = logging.getLogger("service.api")  # the logger these lines always had


def slack_router(state: AppState) -> APIRouter | None:
    """The router of POST /slack/events when Slack is configured; None (and a log line
    saying why) otherwise. Its bolt app asks through ``state``'s pipeline and bound."""
    settings = state.settings
    if not settings.slack_enabled:
        log.info("Slack bot not mounted: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it")
        return None
    from service.feedback import FeedbackStore
    from service.slack import SlackEndpoint, create_bolt_app

    assert settings.slack_signing_secret is not None  # noqa: S101 - implied by slack_enabled
    bolt_app = create_bolt_app(
        settings, lambda: state.pipeline, FeedbackStore(settings.feedback_db), state.answering
    )
    endpoint = SlackEndpoint(bolt_app, settings.slack_signing_secret.get_secret_value())
    router = APIRouter()
    router.add_api_route("/slack/events", endpoint, methods=["POST"], include_in_schema=False)
    log.info("Slack bot mounted at POST /slack/events (API %s)", settings.slack_api_url)
    return router
