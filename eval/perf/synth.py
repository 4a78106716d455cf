"""Synthetic news-like articles for measuring cost as the corpus grows (no network).

Each article recombines body sentences of the seed articles (so sentence lengths, token
counts and punctuation are real) with its own entities: every company, place, person and
figure the seeds use is swapped for one drawn for that article, and digits are redrawn.
Articles get a headline, a date line and a byline in the seeds' page layout, so they go
through the same boilerplate stripping and chunking as the real ones. Lengths follow the
seeds' range. The same seed number always gives the same files.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from index.corpus import read_corpus, sentences_of

# What the seeds name, by kind: each occurrence is swapped for the article's own choice.
SEED_NAMES = {
    "company": ["Microsoft", "Amazon Web Services", "AWS", "Amazon", "Meta", "Oracle", "Google"],
    "place": ["Japan", "Tokyo", "Osaka", "United States", "Washington D.C.", "Asia"],
    "person": ["Brad Smith", "Fumio Kishida", "Miki Tsusaka", "Mark Zuckerberg", "Rahm Emanuel"],
}
COMPANIES = [
    f"{a}{b}"
    for a in ("North", "Blue", "Silver", "Nova", "Apex", "Cedar", "Quantum", "Harbor", "Lumen")
    for b in ("wind", "stone", "field", "core", "gate", "works", "soft", "data", "link")
]
PLACES = [
    "Brazil", "Kenya", "Norway", "Vietnam", "Chile", "Poland", "Ghana", "Canada", "Peru",
    "Morocco", "Finland", "Mexico", "Egypt", "Ireland", "Nigeria", "Portugal", "Thailand",
    "Seoul", "Lagos", "Lima", "Oslo", "Hanoi", "Warsaw", "Nairobi", "Dublin", "Lisbon",
]  # fmt: skip
FIRST = ["Ana", "Kofi", "Lena", "Ravi", "Sofia", "Tomas", "Yuki", "Omar", "Ines", "Piotr"]
LAST = ["Okafor", "Lindqvist", "Mendes", "Novak", "Haddad", "Tanaka", "Silva", "Moreau"]
SOURCES = ["Daily Ledger", "Tech Wire", "Market Post", "The Courier", "Global Herald"]
_DIGITS = re.compile(r"\d+")
_QUOTES = set("\"“”‘’'")


@dataclass(frozen=True)
class SyntheticCorpus:
    folder: Path
    articles: int
    words: int


def _seed_sentences(seeds_dir: Path) -> list[str]:
    out: list[str] = []
    for doc in read_corpus(seeds_dir):
        out.extend(doc.text[s.start : s.end] for s in sentences_of(doc))
    return [s for s in out if len(s.split()) >= 6]  # headings and labels are not body text


def _name_pattern() -> re.Pattern[str]:
    names = sorted((n for ns in SEED_NAMES.values() for n in ns), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


def _article(rng: random.Random, sentences: list[str], names: re.Pattern[str]) -> str:
    kind_of = {n: k for k, ns in SEED_NAMES.items() for n in ns}
    cast = {
        "company": rng.choice(COMPANIES),
        "place": rng.choice(PLACES),
        "person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
    }

    def redraw(m: re.Match[str]) -> str:
        digits = m.group()
        first = str(rng.randint(1, 9)) if digits[0] != "0" else "0"
        return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])

    def rewrite(text: str) -> str:
        text = names.sub(lambda m: cast[kind_of[m.group()]], text)
        return _DIGITS.sub(redraw, text)

    headlines = [s for s in sentences if 8 <= len(s.split()) <= 20 and not _QUOTES & set(s)]
    n = rng.randint(12, 60)  # the seeds' bodies run from ~15 to ~60 sentences
    body = [rewrite(s) for s in rng.sample(sentences, k=min(n, len(sentences)))]
    paragraphs = []
    while body:
        take = rng.randint(1, 4)
        paragraphs.append(" ".join(body[:take]))
        body = body[take:]
    day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))
    headline = rewrite(rng.choice(headlines))
    byline = f"By {rng.choice(FIRST)} {rng.choice(LAST)}"
    dateline = f"{day:%B} {day.day}, {day.year} | {rng.choice(SOURCES)}"
    return "\n\n".join([headline.rstrip("."), dateline, byline, *paragraphs]) + "\n"


def articles(seeds_dir: Path, count: int, seed: int = 0) -> Iterator[str]:
    """``count`` article texts, the same for the same ``seed``."""
    sentences = _seed_sentences(seeds_dir)
    names = _name_pattern()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    for _ in range(count):
        yield _article(rng, sentences, names)


def write_corpus(
    seeds_dir: Path, out: Path, count: int, seed: int = 0, first: int = 0
) -> SyntheticCorpus:
    """Write ``count`` synthetic articles (UTF-8 .txt files, seeds-style names) into ``out``.

    ``first`` skips that many: the articles a corpus of ``first`` articles would add next.
    """
    out.mkdir(parents=True, exist_ok=True)
    words = 0
    for i, text in enumerate(articles(seeds_dir, first + count, seed)):
        if i < first:
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        (out / f"{i:06d}_{digest}.txt").write_text(text, encoding="utf-8")
        words += len(text.split())
    return SyntheticCorpus(out, count, words)
