"""Slack Block Kit messages for answers: pure functions, no Slack library needed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from service.pipeline import Answer, Citation

SECTION_LIMIT = 3000  # characters in a section's text
BUTTON_VALUE_LIMIT = 2000
FALLBACK_LIMIT = 4000
Block = dict[str, Any]
_HALF_ENTITY = re.compile(r"&(?:a(?:mp?)?|[lg]t?)?$")  # the start of &amp; &lt; or &gt;


def cut(text: str, limit: int) -> str:
    """Text no longer than ``limit``, marked with an ellipsis when cut; escaped text is never
    cut inside an entity (Slack would show "&am…")."""
    if len(text) <= limit:
        return text
    return _HALF_ENTITY.sub("", text[: limit - 1]).rstrip() + "…"


def escape(text: str) -> str:
    """Slack mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What the user typed: Slack sends ``&``, ``<`` and ``>`` as entities, which the pipeline
    would read as words and ``escape`` would escape again (``&amp;amp;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _quoted(text: str) -> str:
    """``text`` escaped as a block quote, every line of it."""
    return ">" + escape(text).replace("\n", "\n>")


def confidence_words(confidence: float) -> str:
    if confidence >= 0.7:
        return "high confidence"
    if confidence >= 0.45:
        return "medium confidence"
    return "low confidence"


def _source_line(n: int, c: Citation) -> str:
    title = escape(c.title or c.doc_id)
    name = f"<{c.url}|{title}>" if c.url else f"{title} (`{c.doc_id}`)"
    meta = ", ".join(x for x in (c.source, c.published) if x)
    return f"{n}. {name}" + (f" — {escape(meta)}" if meta else "")


def _sources(citations: tuple[Citation, ...], heading: str) -> Block:
    lines = [_source_line(i, c) for i, c in enumerate(citations, start=1)]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": cut(f"*{heading}*\n" + "\n".join(lines), SECTION_LIMIT)},
    }


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(mrkdwn, SECTION_LIMIT)}]}


def context_note(earlier: str) -> str:
    """Says which earlier question a follow-up was answered with, so a reader can judge it."""
    return f"Answered together with the thread's earlier question: “{escape(cut(earlier, 300))}”"


def feedback_value(answer: Answer) -> str:
    """What a 👍/👎 click needs to store, within Slack's button value limit."""
    payload: dict[str, Any] = {
        "q": answer.question[:500],
        "a": answer.text[:500] if answer.text else None,
        "c": [[c.doc_id, c.start, c.end] for c in answer.citations[:10]],
    }
    value = json.dumps(payload, ensure_ascii=False)
    while len(value) > BUTTON_VALUE_LIMIT and payload["c"]:
        payload["c"].pop()
        value = json.dumps(payload, ensure_ascii=False)
    return value


@dataclass(frozen=True)
class Vote:
    """What a 👍/👎 button carries: the question, the answer and its citations."""

    question: str
    answer: str | None
    citations: tuple[tuple[str, int, int], ...]


def _cited_span(item: object) -> tuple[str, int, int] | None:
    if not (isinstance(item, list) and len(item) == 3):
        return None
    doc_id, start, end = item
    offsets_ok = all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end))
    if not (isinstance(doc_id, str) and doc_id and offsets_ok and 0 <= start <= end):
        return None
    return doc_id, start, end


def read_feedback_value(value: object) -> Vote | None:
    """The ``Vote`` that ``feedback_value`` wrote, or None for any other value: a click that
    carries something else is answered but never stored."""
    if not isinstance(value, str) or len(value) > BUTTON_VALUE_LIMIT:
        return None
    try:
        payload = json.loads(value)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    question, answer, cited = payload.get("q"), payload.get("a"), payload.get("c")
    if not (isinstance(question, str) and question.strip()):
        return None
    if not (answer is None or isinstance(answer, str)) or not isinstance(cited, list):
        return None
    citations = [_cited_span(c) for c in cited]
    if any(c is None for c in citations):
        return None
    return Vote(question, answer, tuple(c for c in citations if c is not None))


def answer_message(answer: Answer, share_button: bool) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for an answer or an abstention."""
    blocks: list[Block] = []
    if answer.text is None:
        fallback = "The articles don't say."
        blocks.append(_section("*The articles don't say.*\n" + _quoted(cut(answer.question, 500))))
        if answer.closest:
            blocks.append(_sources(answer.closest, "Closest sources"))
    else:
        first = answer.citations[0]
        fallback = cut(escape(answer.text), FALLBACK_LIMIT)
        blocks.append(_section(f"*{cut(escape(answer.text), 1000)}*"))
        blocks.append(_section(_quoted(cut(first.quote, 2500))))
        blocks.append(_sources(answer.citations, "Sources"))
        if answer.context is not None:
            blocks.append(_context(context_note(answer.context)))
        blocks.append(_context(f"{confidence_words(answer.confidence)} ({answer.confidence:.2f})"))
    value = feedback_value(answer)
    actions: list[Block] = [
        {
            "type": "button",
            "action_id": "feedback_up",
            "text": {"type": "plain_text", "text": "👍"},
            "value": value,
        },
        {
            "type": "button",
            "action_id": "feedback_down",
            "text": {"type": "plain_text", "text": "👎"},
            "value": value,
        },
    ]
    if share_button:
        actions.insert(
            0,
            {
                "type": "button",
                "action_id": "share_answer",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": cut(answer.question, BUTTON_VALUE_LIMIT),
            },
        )
    blocks.append({"type": "actions", "elements": actions})
    return fallback, blocks


def usage_message() -> tuple[str, list[Block]]:
    text = (
        "Ask me about the news articles, e.g. `/ask how much is Microsoft investing in "
        "Japan?` or mention me with your question."
    )
    return text, [_section(text)]


def notice_message(text: str) -> tuple[str, list[Block]]:
    """A plain sentence (starting up, busy, too slow)."""
    return text, [_section(text)]


def error_message() -> tuple[str, list[Block]]:
    text = "Sorry, something went wrong while answering. Please try again in a moment."
    return text, [_section(text)]
