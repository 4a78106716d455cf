"""The wire contract of the HTTP API (other tools rely on these names), and the one place
a pipeline's ``Answer`` becomes its wire form (``AskResponse.from_answer``)."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, field_validator

if TYPE_CHECKING:
    from service.pipeline import Answer

MAX_QUESTION_CHARS = 1000
MAX_TOP_K = 20
_CONTROL = "\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f"
# What the validator below accepts, for clients and schema-driven tests.
_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"


def _clean_question(value: str) -> str:
    """NFC, trimmed, free of control characters and lone surrogates."""
    value = unicodedata.normalize("NFC", value).strip()
    # zero-width and other invisible format characters are as empty as spaces
    if not any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in value):
        raise ValueError("question must not be empty or whitespace only")
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError(f"question must be at most {MAX_QUESTION_CHARS} characters")
    for ch in value:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\t\n") or cat == "Cs":
            raise ValueError("question must not contain control characters or lone surrogates")
    return value


def _whole_number(value: object) -> object:
    """A JSON number without a fractional part (5 or 5.0, as JSON Schema's integer has it);
    never a string or a boolean (True would otherwise read as 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Input should be a valid integer, without a fractional part")
        return int(value)
    return value


def _default_top_k() -> int:
    from service.config import get_settings

    return get_settings().top_k


class AskRequest(BaseModel):
    """``POST /ask`` body."""

    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(
        ...,
        description="1-1000 characters after trimming; no control characters but tab and newline",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": _PATTERN},
        examples=["how much is microsoft investing in japan"],
    )
    top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K), BeforeValidator(_whole_number)] = Field(
        default_factory=_default_top_k,
        description="how many retrieved passages to return (1-20; default RAG_TOP_K, 5)",
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _clean_question(value)


class Citation(BaseModel):
    """A verbatim quote: ``quote == article_text[start:end]``."""

    doc_id: str
    title: str | None
    source: str | None
    url: str | None
    published: str | None
    quote: str
    start: int
    end: int
    score: float


class Passage(BaseModel):
    """A retrieved chunk."""

    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    score: float


class Timings(BaseModel):
    embed: float
    search: float
    read: float
    total: float


class AskResponse(BaseModel):
    """``POST /ask`` answer; ``answer`` is null when the articles do not say."""

    question: str
    answer: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    answer_start: int | None = Field(
        None, description="offset of the answer in the article of citations[0] (null if none)"
    )
    answer_end: int | None = None
    citations: list[Citation]
    passages: list[Passage]
    timings_ms: Timings

    @classmethod
    def from_answer(cls, answer: Answer) -> AskResponse:
        """The wire form of the pipeline's ``Answer``: what ``/ask`` returns and what
        ``python -m eval`` scores."""
        return cls(
            question=answer.question,
            answer=answer.text,
            confidence=answer.confidence,
            answer_start=answer.answer_start,
            answer_end=None
            if answer.answer_start is None or answer.text is None
            else answer.answer_start + len(answer.text),
            citations=[Citation(**vars(c)) for c in answer.citations],
            passages=[Passage(**vars(p)) for p in answer.passages],
            timings_ms=Timings(**answer.timings_ms),
        )


class DocumentMeta(BaseModel):
    doc_id: str
    title: str | None
    source: str | None
    author: str | None
    published: str | None
    url: str | None


class DocumentDetail(DocumentMeta):
    text: str
    # pairs written as two-item arrays: OpenAPI 3.1 has no tuple form FastAPI writes right
    sentences: list[Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        description="(start, end) of every sentence kept as article text (page furniture left out)"
    )


class Health(BaseModel):
    status: str
    detail: str | None = None


class Readiness(Health):
    """``GET /readyz``: whether this process answers, and from which index generation."""

    degraded: str | None = Field(
        None,
        description="set while an older index generation is served because the live one "
        "failed its checks: why",
    )
    generation: str | None = Field(None, description="the index generation being served")


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error response has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = Field(None, description="per-field problems (422 only)")
