"""Candidate answer spans of each kind inside a sentence, as (start, end) offsets."""

from __future__ import annotations

import re
from collections.abc import Callable

from index.text import stem
from service.question import Kind

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|a hundred|dozens|hundreds|thousands|millions|billions|several|a few"
)
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|bn|mn)\b)"
_QUALIFIER = r"(?:(?:more than|over|nearly|almost|about|around|up to|some|at least|roughly|approximately)\s+)"
_NUM = rf"(?:\d[\d,]*(?:\.\d+)?\+?|(?:{_NUMBER_WORDS})\b)"

MONEY = re.compile(
    rf"{_QUALIFIER}?(?:(?-i:\b(?:US|S|A|C|HK|NZ))\\?\$|\\?\$|€|£|¥|(?-i:\bUSD)\s?)\d[\d,]*(?:\.\d+)?{_SCALE}?"
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
    # "over the next two years", "the coming years"; not "last year" (a point in time)
    rf"(?:(?:over|within|for|in)\s)?(?:the\s)?(?:next|coming|past|last|following)\s"
    rf"(?:{_NUM}\s(?:years?|months?|decades?|weeks?)|(?:years|months|decades|weeks))"
    rf"|{_QUALIFIER}?{_NUM}[\s-](?:years?|months?|decades?|weeks?|days?)\b",
    re.I,
)
# Proper-noun runs: capitalised words, allowing inner connectors ("of", "and", "for", "the").
PROPER = re.compile(
    r"(?:[A-Z][\w&’'.-]*[\w&]|[A-Z])(?:\s(?:(?:of|for|de)\s(?:the\s)?)?(?:[A-Z][\w&’'.-]*[\w&]|[A-Z]))*"
)
# Lists of proper nouns: "Ministry of Economy, Trade and Industry", "China and Russia".
_LIST_SEP = r"(?:,\s(?:the\s)?|\s(?:and|&)\s(?:the\s)?|,\sand\s(?:the\s)?)"
PROPER_LIST = re.compile(
    rf"(?:{PROPER.pattern})(?:\s\([A-Z]{{2,}}\))?(?:{_LIST_SEP}(?:{PROPER.pattern})(?:\s\([A-Z]{{2,}}\))?)*"
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


def _proper_runs(
    text: str, common: frozenset[str], pattern: re.Pattern[str] = PROPER
) -> list[tuple[int, int]]:
    """Proper-noun runs, without a sentence-initial common word such as 'The' or 'Opening'."""
    runs = []
    for m in pattern.finditer(text):
        start, end = m.start(), m.end()
        piece = text[start:end]
        first = piece.split(" ", 1)[0]
        bare = first.rstrip(",;:")
        at_start = not text[:start].strip(" \"'“‘([")
        drop_first = bare in _NOT_NAME_START or (at_start and bare.lower() in common)
        if drop_first and not (first == "The" and _ORG_WORDS.search(piece)):
            if " " not in piece:
                continue
            start += len(first) + 1
            while start < end and not text[start].isalnum():
                start += 1
        piece = text[start:end].rstrip(".’'")
        end = start + len(piece)
        if piece.endswith(("’s", "'s")):
            end -= 2
        # "Microsoft’s AI", "Japan’s Cabinet Secretariat": the owner is not part of the name
        cut = start
        for m2 in re.finditer(r"[’']s\s", text[start:end]):
            owner_end = start + m2.start()
            if owner_end > cut:
                runs.append((cut, owner_end))
            cut = start + m2.end()
        if end > cut:
            runs.append((cut, end))
    return runs


_TITLE_WORDS = re.compile(
    r"^(?:President|CEO|Minister|Prime|Chairperson|Chairman|Chair|Governor|Vice|Head|Chief|"
    r"Officer|Director|Ambassador|Secretary|Executive|Founder|Japanese|American|Senior)$"
)


def _persons(text: str, common: frozenset[str]) -> list[tuple[int, int]]:
    """Runs of 2-3 name-like words inside proper-noun runs, past titles and company names."""
    out = []
    for s, e in _proper_runs(text, common):
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


_KNOWN = re.compile(
    r"^(?:Microsoft|Google|Amazon|AWS|Nvidia|NVIDIA|OpenAI|Meta|Arm|Apple|IBM|Intel|Oracle|"
    r"Samsung|KDDI|GitHub)$"
)


def _stands_alone(member: str) -> bool:
    """Could this list member be a name of its own ('Keio University', 'Russia', 'KDDI')?"""
    words_ = member.split()
    if len(words_) >= 2 or _PLACE_WORDS.search(member) or _KNOWN.match(member):
        return True
    return member.isupper() and len(member) > 2


def _runs_and_lists(text: str, common: frozenset[str]) -> list[tuple[int, int]]:
    """Each proper-noun run, and each list of them ('China and Russia') as one more candidate.

    A "list" whose later members cannot stand alone is one long name ("Ministry of
    Economy, Trade and Industry"): then its first run is not offered on its own.
    """
    runs = set(_proper_runs(text, common))
    for s, e in _proper_runs(text, common, PROPER_LIST):
        members = [(s + m.start(), s + m.end()) for m in PROPER.finditer(text[s:e])]
        if len(members) > 1 and not all(_stands_alone(text[a:b]) for a, b in members[1:]):
            runs = {r for r in runs if not (r[0] == s or (s <= r[0] and r[1] <= e))}
        runs.add((s, e))
    return sorted(runs)


def _orgs(text: str, common: frozenset[str]) -> list[tuple[int, int]]:
    out = []
    for s, e in _runs_and_lists(text, common):
        piece = text[s:e]
        is_acronym = " " not in piece and piece.isupper() and len(piece) > 2
        if _ORG_WORDS.search(piece) or is_acronym:
            out.append((s, e))
    return out


def _places(text: str, common: frozenset[str]) -> list[tuple[int, int]]:
    out = []
    for s, e in _runs_and_lists(text, common):
        piece = text[s:e]
        if _PLACE_WORDS.search(piece) and not _ORG_WORDS.search(piece):
            out.append((s, e))
    return out


_QUOTED = re.compile(r"[“\"]([^”\"]{3,80})[”\"]")


def _quoted(text: str) -> list[tuple[int, int]]:
    """Inside quotation marks, without a trailing comma or full stop."""
    out = []
    for m in _QUOTED.finditer(text):
        s, e = m.start(1), m.end(1)
        while e > s and text[e - 1] in ".,;:":
            e -= 1
        out.append((s, e))
    return out


def _names(text: str, common: frozenset[str]) -> list[tuple[int, int]]:
    """Titles of programmes, products, labs: quoted titles, multi-word runs, long acronyms."""
    out = _quoted(text)
    for s, e in _proper_runs(text, common):
        piece = text[s:e]
        if len(piece.split()) >= 2 or (piece.isupper() and len(piece) > 2):
            out.append((s, e))
    return out


_FUNCTION = frozenset(
    "a an the its their his her our this that these those to of and or with for by in on at "
    "as from into will would be is are was were has have had it which who that also than "
    "such including".split()
)
_BREAK = re.compile(r"[,;:()\[\]—–]|\s-\s")


def open_spans(text: str, question_words: frozenset[str]) -> list[tuple[int, int]]:
    """Phrases of the sentence that the question does not already say, for open questions.

    The sentence is cut at punctuation and at the question's own words; what is left,
    trimmed of function words at both ends, are the candidates (1-10 words).
    """
    out = _quoted(text)
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\s,;:()\[\]]+", text)]
    run: list[tuple[int, int, str]] = []

    def emit(part: list[tuple[int, int, str]]) -> None:
        while part and part[0][2].lower() in _FUNCTION:
            part = part[1:]
        while part and part[-1][2].lower().strip(".") in _FUNCTION:
            part = part[:-1]
        if part and len(part) <= 10:
            start, end = part[0][0], part[-1][1]
            while end > start and text[end - 1] in ".!?":
                end -= 1
            if end > start and (start, end) not in out:
                out.append((start, end))

    def flush() -> None:
        emit(list(run))
        # "deflation and stimulate": each side of a conjunction is a candidate too
        cuts = [i for i, t in enumerate(run) if t[2].lower() in ("and", "or")]
        for a, b in zip([-1, *cuts], [*cuts, len(run)], strict=True):
            if cuts:
                emit(run[a + 1 : b])
        run.clear()

    prev_end = 0
    for s, e, tok in tokens:
        if _BREAK.search(text[prev_end:s]):
            flush()
        prev_end = e
        key = tok.lower().strip(".’'\"“”").replace("’s", "").replace("'s", "")
        if key in question_words or stem(key) in question_words:
            flush()
            continue
        run.append((s, e, tok))
    flush()
    return out


def _counts(text: str) -> list[tuple[int, int]]:
    taken = _find(MONEY, text) + _find(DATE, text) + _find(DURATION, text) + _find(PERCENT, text)
    return [sp for sp in _find(COUNT, text) if not _overlaps_any(sp, taken)]


EXTRACTORS: dict[Kind, Callable[[str, frozenset[str]], list[tuple[int, int]]]] = {
    Kind.MONEY: lambda t, c: _find(MONEY, t),
    Kind.PERCENT: lambda t, c: _find(PERCENT, t),
    Kind.COUNT: lambda t, c: _counts(t),
    Kind.DATE: lambda t, c: _find(DATE, t),
    Kind.DURATION: lambda t, c: _find(DURATION, t),
    Kind.PERSON: _persons,
    Kind.ORG: _orgs,
    Kind.PLACE: _places,
    Kind.NAME: _names,
}


def _overlaps_any(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e in others)


def candidates(
    kind: Kind, text: str, common: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Spans of ``text`` that could answer a question of this kind (empty for open kinds).

    ``common`` holds words seen in lower case in the corpus: a sentence-initial capital on
    one of them ('Opening', 'Meanwhile') does not start a name.
    """
    extractor = EXTRACTORS.get(kind)
    return extractor(text, common) if extractor else []
