"""What a question asks for: the kind of answer, and the words it must be supported by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from service.text import STOPWORDS, stem, words


class Kind(StrEnum):
    MONEY = "money"
    COUNT = "count"
    PERCENT = "percent"
    DATE = "date"
    DURATION = "duration"
    PERSON = "person"
    ORG = "organization"
    PLACE = "place"
    NAME = "name"  # a title: a programme, product, lab, initiative
    REASON = "reason"
    OTHER = "other"


_ORG_NOUNS = (
    r"compan(?:y|ies)|firms?|organi[sz]ations?|universit(?:y|ies)|agenc(?:y|ies)|ministr(?:y|ies)|"
    r"government|institutions?|partners?|providers?|rivals?|competitors?|body|department|"
    r"tech giants?|businesses|institute|office"
)
_PLACE_NOUNS = r"city|cities|country|countries|place|region|location|prefecture|state|island"
_NAME_NOUNS = (
    r"program(?:me)?s?|initiatives?|labs?|laborator(?:y|ies)|assistants?|tools?|services?|"
    r"strategy|process|challenge|platform|products?|models?|hub|fund|project|scheme|policy|chips?"
)
_NOT_AUX = r"(?!(?:is|are|was|were|will|would|does|do|did|has|have|can|could|should)\b)"
# Ordered: the first pattern that matches decides the kind.
_RULES: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"\bhow many (?:years|months|decades|weeks|days)\b"), Kind.DURATION),
    (
        re.compile(
            r"\b(?:how long|for how long|over what (?:period|time)|what (?:period|timeframe|time frame)|how many years)\b"
        ),
        Kind.DURATION,
    ),
    (re.compile(r"\b(?:what|which) (?:percentage|percent|share|proportion)\b"), Kind.PERCENT),
    (
        re.compile(
            r"\bhow much\b|\bhow big\b|\bhow large\b|\bwhat (?:amount|sum|figure|value)\b|\bworth\b|\bhow much money\b"
        ),
        Kind.MONEY,
    ),
    (re.compile(r"\bhow many\b|\bwhat number\b|\bnumber of\b"), Kind.COUNT),
    (
        re.compile(
            r"\bwhen\b|\b(?:what|which) (?:year|date|day|month)\b|\bby what (?:year|date)\b|\bin what year\b"
        ),
        Kind.DATE,
    ),
    (
        re.compile(rf"\b(?:what|which) {_NOT_AUX}(?:\w+ )?(?:{_PLACE_NOUNS})\b|\bwhere\b"),
        Kind.PLACE,
    ),
    (re.compile(rf"\b(?:what|which) {_NOT_AUX}(?:\w+ )?(?:{_ORG_NOUNS})\b"), Kind.ORG),
    (
        re.compile(
            r"\bwho\b|\bwhose\b|\bwhich (?:person|executive|minister|official|leader|ceo|president)\b"
        ),
        Kind.PERSON,
    ),
    (
        re.compile(
            rf"\b(?:what|which) {_NOT_AUX}(?:\w+ ){{0,2}}(?:{_NAME_NOUNS})\b|\bwhat is (?:the )?name\b|\bcalled\b"
        ),
        Kind.NAME,
    ),
    (
        re.compile(
            r"\bwhy\b|\bwhat (?:is|was|are) the (?:goal|aim|purpose|reason|motivation|objective)s?\b|\bfor what purpose\b"
        ),
        Kind.REASON,
    ),
]
_WH = frozenset(["what", "which", "who", "whom", "whose", "when", "where", "why", "how"])


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    terms: tuple[str, ...]  # stemmed content words
    entities: tuple[str, ...]  # capitalised names and numbers, lower-cased: must be supported


def classify(text: str) -> Kind:
    q = " ".join(words(text))
    for pattern, kind in _RULES:
        if pattern.search(q):
            return kind
    return Kind.OTHER


_ENTITY = re.compile(r"(?<![\w$])(?:[A-Z][\w&.'’-]*[A-Za-z0-9]|[A-Z]|\d[\d,.]*\d|\d)")


def _entities(text: str) -> tuple[str, ...]:
    """Capitalised words (not the first word of the question) and numbers."""
    found = []
    for m in _ENTITY.finditer(text):
        token = m.group().lower().replace("’", "'").rstrip(".")
        if m.start() == 0 or token in _WH or token in STOPWORDS:
            continue
        found.append(token)
    return tuple(dict.fromkeys(found))


def analyse(text: str) -> Question:
    return Question(
        text=text,
        kind=classify(text),
        terms=tuple(dict.fromkeys(stem(w) for w in words(text) if w not in STOPWORDS)),
        entities=_entities(text),
    )
