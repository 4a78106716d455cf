"""Word-level text handling shared by the index (BM25, the reader's word lists) and the service."""

from __future__ import annotations

import re
from functools import cache

import Stemmer

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'’][A-Za-z0-9]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_INITIALISM = re.compile(r"(?:[a-z]\.)+[a-z]?")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom whose why will with would you your
    yours yourself yourselves s t don ve ll re d m tell say said says according much many
    give given kind name named get gets got make makes made go goes going take takes use
    uses used mentioned""".split()
)

# Chat shorthand, mapped to the word it stands for before matching.
CHAT_WORDS = {
    "ppl": "people",
    "govt": "government",
    "gov": "government",
    "univ": "university",
    "uni": "university",
    "dev": "developer",
    "devs": "developers",
    "u": "you",
    "r": "are",
    "yr": "year",
    "yrs": "years",
    "mil": "million",
    "bn": "billion",
    "approx": "approximately",
    "info": "information",
    "w": "with",
    "abt": "about",
}


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _normal(w: str) -> str:
    w = w.lower()
    if "'" in w or "’" in w:  # the regexes only on the few words they can change
        w = _POSSESSIVE.sub("", w).replace("’", "").replace("'", "")
    if "." in w and _INITIALISM.fullmatch(w):
        w = w.replace(".", "")  # "U.S." and "US" are the same word
    return CHAT_WORDS.get(w, w)


def words(text: str) -> list[str]:
    """Lower-cased word tokens: '2.9' stays whole, "Japan's" is 'japan', chat shorthand expanded."""
    return [_normal(w) for w in _WORD.findall(text)]


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """``words`` with each word's offsets in ``text``."""
    return [(m.start(), m.end(), _normal(m.group())) for m in _WORD.finditer(text)]


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """Stemmed content terms: what BM25 indexes and what question support is measured on."""
    return terms_of(words(text))


def terms_of(ws: list[str]) -> list[str]:
    """The terms of already tokenized words (``terms(text) == terms_of(words(text))``)."""
    return list(_stemmer().stemWords([w for w in ws if w not in STOPWORDS]))
