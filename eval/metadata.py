"""How often ingestion finds the headline, publisher, author and date a reader sees."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from eval.corpus import TrueMetadata


class HasMetadata(Protocol):
    title: str | None
    source: str | None
    author: str | None
    published: str | None


def _norm(value: str | None) -> str:
    """Case, spacing and surrounding punctuation aside, the same words."""
    return " ".join(re.sub(r"[^\w$€£¥%&'’.-]+", " ", (value or "").lower()).split())


def accuracy(found: Mapping[str, HasMetadata], truth: Mapping[str, TrueMetadata]) -> dict[str, Any]:
    """Per field: how many of the articles that state it got it right; wrong ones listed.

    Publisher and author count only where the page states one; a found value where the
    page states none is wrong.
    """
    fields = {"title": "title", "publisher": "source", "author": "author", "date": "published"}
    out: dict[str, dict[str, Any]] = {}
    wrong: list[str] = []
    for name, attr in fields.items():
        right = of = 0
        for doc_id, true in truth.items():
            want = getattr(true, name)
            doc = found.get(doc_id)
            got = getattr(doc, attr) if doc is not None else None
            if want is None and name != "title":
                if got is not None and name == "date":
                    wrong.append(f"{doc_id} {name}: found {got!r}, the page states none")
                continue
            of += 1
            if _norm(got) == _norm(want):
                right += 1
            else:
                wrong.append(f"{doc_id} {name}: found {got!r}, true {want!r}")
        out[name] = {"right": right, "of": of, "share": round(right / of, 4) if of else 1.0}
    return {"fields": out, "wrong": wrong}
