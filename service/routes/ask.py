"""``POST /ask``: a question in, an extractive answer with its citations (or none) out."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from service.answering import Busy, TooSlow
from service.problems import errors
from service.schemas import AskRequest, AskResponse
from service.state import PipelineDep, StateDep

router = APIRouter()


@router.post(
    "/ask", response_model=AskResponse, responses=errors(400, 408, 413, 422, 500, 503, 504)
)
async def ask(body: AskRequest, pipeline: PipelineDep, state: StateDep) -> Response:
    """Answer a question with a verbatim span and its citations, or abstain (answer null).

    The body is the validated ``AskResponse`` written once by pydantic's serializer:
    returned as a model, FastAPI would validate it again and encode it in Python.
    """
    try:
        answer = await state.answering.ask(pipeline, body.question, body.top_k)
    except Busy:
        raise HTTPException(
            status_code=503,
            detail="too many questions being answered; retry shortly",
            headers={"Retry-After": "1"},
        ) from None
    except TooSlow as exc:
        raise HTTPException(status_code=504, detail=str(exc)) from None
    body_json = AskResponse.from_answer(answer).model_dump_json()
    return Response(body_json, media_type="application/json")
