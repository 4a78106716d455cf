"""Candidate answer spans of a sentence, from its parse and a few typed patterns.

Candidates are what an answer can be: named entities (with spaCy's label), noun chunks and
their ``of``/``for`` extensions, coordinated lists, appositions, clauses ("to ...",
"because ...", "by ..."), quoted phrases, amounts, counts, percentages, dates and
durations written in the ways news writes them, and the whole sentence. Nothing here knows
any name: types come from the model and the shape of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.analysis import Parse
from index.text import words

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|a hundred|dozens|hundreds|thousands|millions|billions|several|a few"
)
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|bn|mn|m|k)\b)"
_QUALIFIER = (
    r"(?:(?:more than|over|nearly|almost|about|around|up to|some|at least|roughly|"
    r"approximately|fewer than|less than|under)\s+)"
)
_NUM = rf"(?:\d[\d,]*(?:\.\d+)?\+?|(?:{_NUMBER_WORDS})\b)"
_SYMBOL = r"(?:(?-i:\b[A-Z]{1,3})?\\?\$|€|£|¥|₹|(?-i:\b(?:USD|EUR|GBP|JPY|CHF|SEK|NOK|DKK)\b)\s?)"
_UNIT = (
    r"dollars|yen|euros?|pounds|kroner|krona|kronor|francs|rupees|yuan|won|pesos|rand|"
    r"(?-i:[A-Z]{3})"
)

MONEY = re.compile(
    rf"{_QUALIFIER}?{_SYMBOL}\d[\d,]*(?:\.\d+)?{_SCALE}?"
    rf"|{_QUALIFIER}?\d[\d,]*(?:\.\d+)?{_SCALE}?\s(?:{_UNIT})\b",
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
    rf"|(?:{_WEEKDAY},?\s)?\d{{1,2}}\s{_MONTH}\b(?:,?\s(?:19|20)\d{{2}}\b)?"
    rf"|\b(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}\b"
    rf"|(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)\squarter\sof\s|late\s|early\s|mid-)?"
    rf"{_MONTH}(?:\s(?:19|20)\d{{2}})?\b"
    rf"|(?:(?:first|second|third|fourth)\squarter\sof\s|late\s|early\s|mid-)?\b(?:19|20)\d{{2}}s?\b"
    rf"|\b(?:last|this|next|later this|earlier this)\s(?:year|week|month)\b"
    rf"|\b{_WEEKDAY}\b",
)
DURATION = re.compile(
    # "over the next two years", "the coming years"; not "last year" (a point in time)
    rf"(?:(?:over|within|for|in)\s)?(?:the\s)?(?:next|coming|past|last|following)\s"
    rf"(?:{_NUM}\s(?:years?|months?|decades?|weeks?|days?)|(?:years|months|decades|weeks))"
    rf"|{_QUALIFIER}?{_NUM}[\s-](?:years?|months?|decades?|weeks?|days?|hours?)\b",
    re.I,
)
PATTERNS: dict[str, re.Pattern[str]] = {
    "MONEY": MONEY,
    "PERCENT": PERCENT,
    "DATE": DATE,
    "DURATION": DURATION,
    "COUNT": COUNT,
}
# Proper-noun runs the model may miss: capitalised words with inner connectors.
PROPER = re.compile(
    r"(?:[A-Z][\w&’'.-]*[\w&]|[A-Z])(?:\s(?:(?:of|for|de|and|&)\s(?:the\s)?)?(?:[A-Z][\w&’'.-]*[\w&]|[A-Z]))*"
)
_QUOTED = re.compile(r"[“\"‘]([^”\"’]{3,80})[”\"’]")
_CLAUSE_DEPS = frozenset({"advcl", "xcomp", "acl", "relcl", "ccomp", "pcomp"})
_CLAUSE_PREPS = frozenset({"by", "through", "for", "because", "due", "amid", "after"})
_DETS = frozenset({"the", "a", "an", "its", "their", "his", "her", "our", "this", "that"})
_EDGE = " \t\n,;:.!?()[]—–-\"'“”‘’"


@dataclass(frozen=True)
class Candidate:
    """A span of one sentence that could answer; offsets into the sentence's text."""

    start: int
    end: int
    label: str  # the model's entity label, or ""
    pattern: str  # the typed pattern it matches (MONEY, PERCENT, DATE, DURATION, COUNT), or ""
    sources: frozenset[str]  # entity, chunk, extended, list, apposition, clause, quoted, ...
    head: int  # the token that heads it (dependency distance is measured from it), -1 if none
    first: int  # the tokens it covers: [first, stop)
    stop: int
    words: tuple[str, ...]  # its words (``index.text.words``)
    key: str  # what two spans share when they state the same answer: words and digits


def answer_key(ws: tuple[str, ...]) -> str:
    """The words and numbers without currency prefixes: 'US$2.9 billion' and '$2.9 billion'
    state the same answer. (``ws`` come from ``index.text.words``, which never keeps a
    comma.)"""
    return " ".join(w for w in ws if w not in {"us", "usd", "s"})


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in _EDGE:
        s += 1
    while e > s and text[e - 1] in _EDGE:
        # keep a closing bracket whose opening one is inside ("processing units (GPUs)")
        if text[e - 1] == ")" and "(" in text[s : e - 1]:
            break
        e -= 1
    return s, e


def _token_at(p: Parse, offset: int) -> int:
    for i, t in enumerate(p.tokens):
        if t.start <= offset < t.end or t.start >= offset:
            return i
    return len(p.tokens) - 1


def _head_of(p: Parse, first: int, stop: int) -> int:
    """The token of [first, stop) whose head lies outside it (the span's syntactic head)."""
    for i in range(first, stop):
        h = p.tokens[i].head
        if h == i or not first <= h < stop:
            return i
    return first


def candidates(p: Parse) -> list[Candidate]:
    """Every candidate span of the sentence ``p``, each once (sources merged)."""
    text = p.text
    found: dict[tuple[int, int], tuple[str, str, set[str], int]] = {}
    toks = p.tokens

    def add(
        s: int, e: int, source: str, label: str = "", head: int = -1, pattern: str = ""
    ) -> None:
        s, e = _trim(text, s, e)
        if e <= s:
            return
        if head < 0 and toks:
            first = _token_at(p, s)
            stop = first
            while stop < len(toks) and toks[stop].start < e:
                stop += 1
            head = _head_of(p, first, max(stop, first + 1)) if stop > first else first
        old = found.get((s, e))
        if old is None:
            found[(s, e)] = (label, pattern, {source}, head)
        else:
            old[2].add(source)
            found[(s, e)] = (old[0] or label, old[1] or pattern, old[2], old[3])

    if not toks:
        return []
    for first, stop, label in p.entities():
        s, e = p.span(first, stop)
        if toks[first].lemma == "the" and stop - first > 1:
            s = toks[first + 1].start
        add(s, e, "entity", label, _head_of(p, first, stop))
    for first, stop in p.chunks:
        f = first
        while f < stop - 1 and toks[f].lemma in _DETS | {"'s", "’s"}:
            f += 1
        head = _head_of(p, first, stop)
        add(toks[f].start, toks[stop - 1].end, "chunk", head=head)
        # "the University of Tokyo", "funding for universities": the chunk and its of/for phrase
        for j in p.children(head):
            if toks[j].dep == "prep" and toks[j].lemma in ("of", "for", "in", "on") and j >= stop:
                lo, hi = p.subtree(j)
                if hi - f <= 14:
                    add(toks[f].start, toks[hi - 1].end, "extended", head=head)
        # lists: "AWS, Microsoft, Arm and Nvidia"
        conj = [j for j in p.children(head) if toks[j].dep == "conj"]
        if conj:
            last = conj[-1]
            while True:
                more = [j for j in p.children(last) if toks[j].dep == "conj"]
                if not more:
                    break
                last = more[-1]
            hi = p.subtree(last)[1]
            if hi - f <= 25:
                add(toks[f].start, toks[hi - 1].end, "list", head=head)
    for i, t in enumerate(toks):
        if t.dep == "appos":
            lo, hi = p.subtree(i)
            add(toks[lo].start, toks[hi - 1].end, "apposition", head=i)
        if t.dep in _CLAUSE_DEPS and t.pos in ("VERB", "AUX"):
            lo, hi = p.subtree(i)
            if hi - lo >= 2:
                add(toks[lo].start, toks[hi - 1].end, "clause", head=i)
        if (t.dep == "prep" or t.dep == "mark") and t.lemma in _CLAUSE_PREPS | {
            "because",
            "so",
            "as",
        }:
            lo, hi = p.subtree(t.head if t.dep == "mark" else i)
            lo = min(lo, i)
            if hi - lo >= 3:
                add(toks[lo].start, toks[hi - 1].end, "clause", head=i)
        if t.dep == "conj" and t.pos in ("VERB",):
            lo, hi = p.subtree(i)
            if hi - lo >= 2:
                add(toks[lo].start, toks[hi - 1].end, "clause", head=i)
    for name, regex in PATTERNS.items():
        for m in regex.finditer(text):
            if m.end() > m.start():
                add(m.start(), m.end(), "pattern", pattern=name)
    for m in PROPER.finditer(text):
        s, e = m.start(), m.end()
        lead = text[s:e].split(" ", 1)[0]
        if lead.lower() in _DETS and " " in text[s:e]:
            s += len(lead) + 1
        add(s, e, "proper")
    for m in _QUOTED.finditer(text):
        add(m.start(1), m.end(1), "quoted")
    add(0, len(text), "sentence", head=next((i for i, t in enumerate(toks) if t.dep == "ROOT"), 0))
    out = []
    for (s, e), (label, pattern, src, head) in sorted(found.items()):
        inside = [i for i, t in enumerate(toks) if s <= t.start and t.end <= e]
        first, stop = (inside[0], inside[-1] + 1) if inside else (0, 0)
        ws = tuple(words(text[s:e]))
        out.append(
            Candidate(s, e, label, pattern, frozenset(src), head, first, stop, ws, answer_key(ws))
        )
    return out
