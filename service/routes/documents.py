"""``GET /documents`` (a page of the indexed articles' metadata) and
``GET /documents/{doc_id}`` (one article's text, which citation offsets index into)."""

from __future__ import annotations

import itertools
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from service.problems import errors
from service.schemas import DocumentDetail, DocumentMeta
from service.state import PipelineDep

PAGE, MAX_PAGE = 100, 1000  # GET /documents page sizes: default and largest
MAX_OFFSET = 2**63 - 1  # the largest offset a client may name (an int64); past the end is empty

router = APIRouter()


@router.get("/documents", response_model=list[DocumentMeta], responses=errors(422, 503))
def documents(
    pipeline: PipelineDep,
    response: Response,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="articles to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="articles to return")] = PAGE,
) -> list[DocumentMeta]:
    """Metadata of the indexed articles in id order, a page at a time.

    ``X-Total-Count`` says how many there are; ``Link: <...>; rel="next"`` names the
    next page while there is one.
    """
    docs = pipeline.store.documents
    total = len(docs)
    page = itertools.islice(docs.values(), min(offset, total), min(offset + limit, total))
    response.headers["X-Total-Count"] = str(total)
    if offset + limit < total:
        response.headers["Link"] = f'</documents?offset={offset + limit}&limit={limit}>; rel="next"'
    return [DocumentMeta.model_validate(d.metadata()) for d in page]


@router.get("/documents/{doc_id}", response_model=DocumentDetail, responses=errors(404, 503))
def document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    """One article: metadata and its original text (citation offsets index into it)."""
    doc = pipeline.store.documents.get(doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id[:100]!r}")
    spans = [(s.start, s.end) for s in pipeline.store.sentences_of(doc_id)]
    return DocumentDetail.model_validate({**doc.metadata(), "text": doc.text, "sentences": spans})
