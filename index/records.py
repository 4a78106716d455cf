"""Documents -> sentences and chunks, with offsets into the original files."""

from __future__ import annotations

from collections.abc import Sequence

from index.chunk import TokenCounter, chunk_segment
from index.types import Chunk, Document, Sentence


def build_records(
    docs: Sequence[Document], counter: TokenCounter
) -> tuple[list[Sentence], list[Chunk]]:
    """Cut every document's segments into sentences and overlapping chunks of them."""
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc in docs:
        for segment in doc.segments:
            spans, groups = chunk_segment(doc.text, segment, counter)
            base = len(sentences)
            owners: list[list[int]] = [[] for _ in spans]
            for first, last in groups:
                chunk_id = len(chunks)
                start, end = spans[first].start, spans[last].end
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id,
                        doc_id=doc.doc_id,
                        start=start,
                        end=end,
                        text=doc.text[start:end],
                        sentence_ids=tuple(range(base + first, base + last + 1)),
                    )
                )
                for i in range(first, last + 1):
                    owners[i].append(chunk_id)
            for i, span in enumerate(spans):
                sentences.append(
                    Sentence(
                        sentence_id=base + i,
                        doc_id=doc.doc_id,
                        start=span.start,
                        end=span.end,
                        text=span.text,
                        chunk_ids=tuple(owners[i]),
                    )
                )
    return sentences, chunks
