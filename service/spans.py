"""Candidate answer spans of each kind inside a sentence, as (start, end) offsets."""

from __future__ import annotations

import re
from collections.abc import Callable

from service.question import Kind

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|a hundred|dozens|hundreds|thousands|millions|billions|several|a few"
)
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|bn|mn)\b)"
_QUALIFIER = r"(?:(?:more than|over|nearly|almost|about|around|up to|some|at least|roughly|approximately)\s+)"
_NUM = rf"(?:\d[\d,]*(?:\.\d+)?\+?|(?:{_NUMBER_WORDS})\b)"

MONEY = re.compile(
    rf"{_QUALIFIER}?(?:(?:US|S|A|C|HK|NZ|USD|EUR|GBP|JPY)\s?\\?\$|\\?\$|€|£|¥|USD\s)\s?\d[\d,]*(?:\.\d+)?{_SCALE}?"
    rf"|{_QUALIFIER}?\d[\d,]*(?:\.\d+)?{_SCALE}?\s(?:dollars|yen|euros|pounds)\b",
    re.I,
)
PERCENT = re.compile(rf"{_QUALIFIER}?\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b)", re.I)
COUNT = re.compile(rf"{_QUALIFIER}?{_NUM}{_SCALE}?\+?(?:\s(?:{_NUMBER_WORDS}))?", re.I)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
DATE = re.compile(
    rf"(?:{_WEEKDAY},?\s)?{_MONTH}\.?\s\d{{1,2}}\b(?:\s?[A-Z]{{2}}\b)?(?:,?\s(?:19|20)\d{{2}}\b)?"
    rf"|{_MONTH}(?:\s(?:19|20)\d{{2}})?\b"
    rf"|\b(?:19|20)\d{{2}}s?\b"
    rf"|\b(?:last|this|next|later this|earlier this)\s(?:year|week|month)\b",
)
DURATION = re.compile(
    rf"(?:(?:over|within|for|in)\s)?(?:the\s)?(?:next|coming|past|last|following)\s(?:{_NUM}\s)?(?:years?|months?|decades?|weeks?)"
    rf"|{_QUALIFIER}?{_NUM}[\s-](?:years?|months?|decades?|weeks?|days?)\b",
    re.I,
)
# Proper-noun runs: capitalised words, allowing inner connectors ("of", "and", "for", "the").
PROPER = re.compile(
    r"(?:[A-Z][\w&’'.-]*[\w&]|[A-Z])(?:\s(?:(?:of|for|de)\s(?:the\s)?)?(?:[A-Z][\w&’'.-]*[\w&]|[A-Z]))*"
)
_ORG_WORDS = re.compile(
    r"\b(?:University|Universities|Ministry|Government|Institute|Secretariat|Partnership|Inc|Corp|"
    r"Corporation|Networks?|Group|Office|Agency|Council|Headquarters|Chamber|Commission|Bank|"
    r"Association|Foundation|Research|Services|Technologies|Labs?|Company|Microsoft|Google|Amazon|"
    r"AWS|Nvidia|NVIDIA|OpenAI|Meta|Arm|Apple|IBM|Intel|Oracle|Samsung|KDDI|GitHub|UNITAR|"
    r"United Nations|Mellon|Keio|Pacific)\b"
)
_PLACE_WORDS = re.compile(
    r"\b(?:Japan|Tokyo|Osaka|Kyoto|Hiroshima|China|Russia|Korea|Taiwan|India|Singapore|Vietnam|"
    r"Philippines|Hawaii|Guam|Washington|United States|U\.S\.?|US|America|Europe|Asia|"
    r"Asia-Pacific|APAC|California|New York|London|Beijing|Seoul|Mariana Islands|West Osaka|"
    r"East Tokyo|Australia|Indonesia|Thailand|Malaysia)\b"
)
_NOT_NAME_START = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "In",
        "On",
        "At",
        "By",
        "For",
        "From",
        "With",
        "As",
        "And",
        "But",
        "Or",
        "Now",
        "However",
        "Meanwhile",
        "Today",
        "Recently",
        "While",
        "Despite",
        "Alongside",
        "Reflecting",
        "Commenting",
        "Furthermore",
        "Together",
        "We",
        "Our",
        "I",
        "They",
        "He",
        "She",
        "Through",
        "To",
        "Of",
    ]
)


def _find(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]


def _proper_runs(text: str) -> list[tuple[int, int]]:
    """Proper-noun runs, without a leading sentence word such as 'The' or 'Meanwhile'."""
    runs = []
    for m in PROPER.finditer(text):
        start, end = m.start(), m.end()
        piece = text[start:end]
        first = piece.split(" ", 1)[0]
        if first in _NOT_NAME_START:
            if " " not in piece:
                continue
            # keep "The University of Tokyo" whole, drop a sentence-initial "Meanwhile"
            if first not in ("The",) or not _ORG_WORDS.search(piece):
                start += len(first) + 1
        piece = text[start:end].rstrip(".’'")
        end = start + len(piece)
        if piece.endswith("’s") or piece.endswith("'s"):
            end -= 2
        if end > start:
            runs.append((start, end))
    return runs


_TITLE_WORDS = re.compile(
    r"^(?:President|CEO|Minister|Prime|Chairperson|Chairman|Chair|Governor|Vice|Head|Chief|"
    r"Officer|Director|Ambassador|Secretary|Executive|Founder|Japanese|American|Senior)$"
)


def _persons(text: str) -> list[tuple[int, int]]:
    """Runs of 2-3 name-like words inside proper-noun runs, past titles and company names."""
    out = []
    for s, e in _proper_runs(text):
        group: list[tuple[int, int]] = []
        for m in re.finditer(r"\S+", text[s:e]):
            tok = m.group()
            name_like = not (
                _ORG_WORDS.search(tok)
                or _PLACE_WORDS.search(tok)
                or _TITLE_WORDS.match(tok)
                or (tok.isupper() and len(tok) > 1)
                or tok in ("of", "for", "de", "the")
            )
            if name_like:
                group.append((s + m.start(), s + m.end()))
                continue
            if 2 <= len(group) <= 3:
                out.append((group[0][0], group[-1][1]))
            group = []
        if 2 <= len(group) <= 3:
            out.append((group[0][0], group[-1][1]))
    return out


def _orgs(text: str) -> list[tuple[int, int]]:
    out = []
    for s, e in _proper_runs(text):
        piece = text[s:e]
        tokens = piece.split()
        is_acronym = len(tokens) == 1 and piece.isupper() and len(piece) > 1
        if _ORG_WORDS.search(piece) or is_acronym:
            out.append((s, e))
    return out


def _places(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in _proper_runs(text) if _PLACE_WORDS.search(text[s:e])]


def _names(text: str) -> list[tuple[int, int]]:
    """Titles of programmes, products, labs: multi-word proper runs or quoted titles."""
    out = [(m.start() + 1, m.end() - 1) for m in re.finditer(r"[“\"][^”\"]{3,80}[”\"]", text)]
    for s, e in _proper_runs(text):
        if len(text[s:e].split()) >= 2 or text[s:e].isupper():
            out.append((s, e))
    return out


EXTRACTORS: dict[Kind, Callable[[str], list[tuple[int, int]]]] = {
    Kind.MONEY: lambda t: _find(MONEY, t),
    Kind.PERCENT: lambda t: _find(PERCENT, t),
    Kind.COUNT: lambda t: [
        (s, e)
        for s, e in _find(COUNT, t)
        if not _inside_any((s, e), _find(MONEY, t) + _find(DATE, t))
    ],
    Kind.DATE: lambda t: _find(DATE, t),
    Kind.DURATION: lambda t: _find(DURATION, t),
    Kind.PERSON: _persons,
    Kind.ORG: _orgs,
    Kind.PLACE: _places,
    Kind.NAME: _names,
}


def _inside_any(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in others)


def candidates(kind: Kind, text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that could answer a question of this kind (empty for open kinds)."""
    extractor = EXTRACTORS.get(kind)
    return extractor(text) if extractor else []
