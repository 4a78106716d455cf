"""What a question asks for: the kind of answer, its focus, and the words it must be supported by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from index.analysis import Parse, Token, parse_text
from index.text import STOPWORDS, stem, words


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
    ROLE = "role"  # "what job does X hold": a title or description of a person
    OTHER = "other"


_ORG_NOUNS = (
    r"compan(?:y|ies)|firms?|organi[sz]ations?|universit(?:y|ies)|agenc(?:y|ies)|ministr(?:y|ies)|"
    r"government|institutions?|partners?|providers?|rivals?|competitors?|body|department|"
    r"tech giants?|businesses|institute|office|bod(?:y|ies)|banks?|lenders?|insurers?|"
    r"airlines?|carriers?|regulators?|suppliers?|manufacturers?|makers?|operators?|"
    r"authorit(?:y|ies)|councils?|charit(?:y|ies)|trusts?|unions?|consortium|investors?|"
    r"buyers?|bidders?|brands?|retailers?|groups?|outlets?|publications?|newspapers?|sites?"
)
_PLACE_NOUNS = (
    r"city|cities|country|countries|place|places|region|location|prefecture|state|island|site"
)
_NAME_NOUNS = (
    r"program(?:me)?s?|initiatives?|labs?|laborator(?:y|ies)|assistants?|tools?|services?|"
    r"strategy|process|challenge|platform|products?|models?|hub|fund|project|scheme|policy"
)
_ROLES = (
    r"ceo|cto|cfo|coo|president|chairman|chairperson|chair|governor|minister|prime minister|"
    r"head|founder|director|author|writer|reporter|spokesperson|ambassador|mayor|secretary"
)
# nouns for people by their English endings and the common roles: "which POLITICIAN",
# "which EXECUTIVE", "what ANALYST"
_PERSON_NOUNS = (
    rf"{_ROLES}|person|people|executive|official|leader|boss|chief|manager|officer|"
    r"spokesman|spokeswoman|chairwoman|man|woman|\w+(?:ian|ist|ologist|man|woman|person)"
)
_NOT_AUX_WORDS = frozenset(
    "is are was were will would does do did has have can could should".split()
)
_NOT_AUX = r"(?!(?:is|are|was|were|will|would|does|do|did|has|have|can|could|should)\b)"
_WHICH = rf"\b(?:what|which) {_NOT_AUX}(?:[\w-]+ ){{0,2}}"
# Ordered: the first pattern that matches decides the kind.
_RULES: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"\bhow many (?:years|months|decades|weeks|days)\b"), Kind.DURATION),
    (
        re.compile(
            r"\b(?:how long|over what (?:period|time)|what (?:period|timeframe|time frame)|"
            r"how many years)\b"
        ),
        Kind.DURATION,
    ),
    (re.compile(r"\b(?:what|which) (?:percentage|percent|share|proportion)\b"), Kind.PERCENT),
    (
        re.compile(
            r"\bhow much\b|\bhow big\b|\bhow large\b|\bwhat (?:amount|sum|figure|value)\b|"
            r"\bworth\b|\bamount (?:to|of)\b|\b(?:size|value|total) of\b|\bin [\w ]{0,20}dollars\b|"
            r"\bhow much money\b"
        ),
        Kind.MONEY,
    ),
    (
        re.compile(
            r"\bwhat (?:(?:is|was|will be|are|s) )?(?:the )?(?:[\w-]+ )?(?:price|cost|budget|"
            r"revenue|salary|pay|wage|fee|fine|valuation|deal value|profit|loss)\b"
        ),
        Kind.MONEY,
    ),
    (
        re.compile(
            r"\bhow many\b|\bwhat number\b|\bnumber of\b|\bwhat (?:(?:is|was|will be|are|s) )?"
            r"(?:the )?(?:[\w-]+ )?(?:workforce|headcount|population|staff|turnout|attendance)\b"
        ),
        Kind.COUNT,
    ),
    (
        re.compile(
            r"\bwhat (?:(?:is|was|are|s) )?(?:\w+ )?(?:job|role|title|position|post|occupation)\b|"
            r"\bwhat (?:job|role|title|position|post) does\b|\bwhat does \w+(?: \w+)? do\b"
        ),
        Kind.ROLE,
    ),
    (
        re.compile(
            r"^when\b|\b(?:what|which) (?:year|yr|date|day|month)\b|\bby what (?:year|date)\b|"
            r"\bin what year\b"
        ),
        Kind.DATE,
    ),
    (re.compile(rf"\b(?:which|what) (?:[\w-]+ )?(?:{_PERSON_NOUNS})\b"), Kind.PERSON),
    (re.compile(rf"{_WHICH}(?:{_PLACE_NOUNS})\b|\bwhere\b"), Kind.PLACE),
    (
        re.compile(
            rf"{_WHICH}(?:{_ORG_NOUNS})\b|"
            rf"\bwhat (?:is|was|are|were) the (?:[\w-]+ ){{0,2}}(?:{_ORG_NOUNS})\b"
        ),
        Kind.ORG,
    ),
    (
        re.compile(
            rf"\bwho\b|\bwhom\b|\bwhose\b|"
            rf"(?:^|\s)(?:{_ROLES})(?: of [\w ]+)?(?: name)?$|\b(?:{_ROLES}) name\b"
        ),
        Kind.PERSON,
    ),
    (
        re.compile(
            rf"\b(?:what|which) {_NOT_AUX}(?:[\w-]+ ){{0,2}}(?:{_NAME_NOUNS})\b|"
            r"\bwhat(?: is| s|s)? (?:the )?(?:full |official )?(?:name|title)\b|\bcalled\b|"
            r"\bstand for\b|\bshort for\b"
        ),
        Kind.NAME,
    ),
    (
        re.compile(
            r"\bwhy\b|\bwhat(?: is| was| are| s|s)? the (?:goal|aim|purpose|reason|motivation|"
            r"objective|point|rationale|thinking)s?\b|\bfor what purpose\b|\bwhat for\b|"
            r"\b(?:meant|supposed|designed|intended) to\b|\bin order to\b"
        ),
        Kind.REASON,
    ),
]
_WH = ("what", "which", "who", "whom", "whose", "when", "where", "why", "how")
# Currencies named in words, as their symbols are written in news: a table of the world's
# money, not of any article ("how much in Singapore dollars" wants the S$ figure).
_CURRENCIES = {
    "us": "US$",
    "usd": "US$",
    "american": "US$",
    "singapore": "S$",
    "sgd": "S$",
    "australian": "A$",
    "aud": "A$",
    "canadian": "C$",
    "cad": "C$",
    "hong kong": "HK$",
    "hkd": "HK$",
    "new zealand": "NZ$",
    "nzd": "NZ$",
    "yen": "¥",
    "jpy": "¥",
    "yuan": "¥",
    "renminbi": "¥",
    "euro": "€",
    "euros": "€",
    "eur": "€",
    "pound": "£",
    "pounds": "£",
    "sterling": "£",
    "gbp": "£",
    "rupee": "₹",
    "rupees": "₹",
}
_UNIT_WORDS = frozenset(w for name in _CURRENCIES for w in name.split()) | {"dollar", "dollars"}


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    terms: tuple[str, ...]  # stemmed content words
    entities: tuple[str, ...]  # capitalised names and numbers, lower-cased: must be supported
    focus: tuple[str, ...]  # stems of the noun the question asks about ("how many WORKERS")
    plural: bool  # "which COUNTRIES": a list may be the answer
    currency: str | None  # "S$" when asked "in Singapore dollars"
    wh: str | None  # the question word, typos mended
    parse: Parse | None = None  # spaCy's analysis of the question, its casing restored
    focus_lemma: str | None = None  # the head noun asked about: "which MINISTRY"

    @property
    def labels(self) -> frozenset[str]:
        """The entity labels an answer of this kind carries."""
        return LABELS.get(self.kind, frozenset())


LABELS: dict[Kind, frozenset[str]] = {
    Kind.MONEY: frozenset({"MONEY"}),
    Kind.COUNT: frozenset({"CARDINAL", "QUANTITY"}),
    Kind.PERCENT: frozenset({"PERCENT"}),
    Kind.DATE: frozenset({"DATE", "TIME"}),
    Kind.DURATION: frozenset({"DATE", "TIME"}),
    Kind.PERSON: frozenset({"PERSON"}),
    Kind.ORG: frozenset({"ORG"}),
    Kind.PLACE: frozenset({"GPE", "LOC", "FAC"}),
    Kind.NAME: frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "FAC"}),
}
_CASE_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z]")


def restore_case(text: str, cased: dict[str, str]) -> str:
    """A lower-case word the articles write capitalised, written as they do ('zentara' ->
    'Zentara'): spaCy finds the names of a chat question only when they look like names."""
    if not cased:
        return text
    return _CASE_WORD.sub(
        lambda m: cased.get(m.group(), m.group()) if m.group().islower() else m.group(), text
    )


_NOUNS = ("NOUN", "PROPN")
_GENERIC_HEADS = frozenset({"name", "kind", "type", "sort", "number", "amount", "size"})
_BEFORE_NOUN = ("ADJ", "NOUN", "PROPN", "NUM", "DET", "ADV", "PUNCT", "PART")


def _noun_run(toks: tuple[Token, ...], j: int) -> tuple[str | None, int]:
    """The last noun of the run of modifiers and nouns from token ``j``, and where the run
    ends."""
    noun = None
    while j < len(toks) and toks[j].pos in _BEFORE_NOUN:
        if toks[j].pos in _NOUNS:
            noun = toks[j].lemma
        elif noun is not None:
            break
        j += 1
    return noun, j


def focus_lemma(parse: Parse) -> str | None:
    """The noun the question asks about, from the parts of speech: 'which MINISTRY runs it',
    'what global TREND', 'what is the BUDGET of', 'how many WORKERS', 'who is the CEO';
    None when the question names none ('when', 'where', 'why ...')."""
    toks = parse.tokens
    for i, t in enumerate(toks):
        wh = t.lemma in ("which", "what", "whose", "who", "whom") or (
            t.lemma in ("many", "much") and i > 0 and toks[i - 1].lemma == "how"
        )
        if not wh:
            continue
        j = i + 1
        if (j < len(toks) and toks[j].lemma == "be") or t.lemma in ("who", "whom"):
            j += 1  # "what is the BUDGET of", "who is the CEO of"
        noun, j = _noun_run(toks, j)  # "what global TREND"
        if noun in _GENERIC_HEADS and j + 1 < len(toks) and toks[j].lemma == "of":
            # "what is the name OF the ASSISTANT", "what kind OF CHIPS"
            inner, _ = _noun_run(toks, j + 1)
            noun = inner or noun
        if noun is not None:
            return noun
        if t.lemma in ("who", "whom", "whose", "many", "much"):
            return None
    return None


def _mend_wh(ws: list[str]) -> list[str]:
    """Mend a misspelt leading question word ('wher' -> 'where'): one edit away, 4+ letters."""
    if not ws or ws[0] in _WH or len(ws[0]) < 4:
        return ws
    # a dropped or added letter is the commoner slip, so try those before a changed letter
    for wh in sorted(_WH, key=lambda w: len(w) == len(ws[0])):
        if _one_edit(ws[0], wh):
            return [wh, *ws[1:]]
    return ws


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def classify(text: str) -> Kind:
    """The kind of answer asked for, read from the first question word on ("which head of
    government was visiting when ...": a person, not a date)."""
    ws = _mend_wh(words(text))
    first = next((i for i, w in enumerate(ws) if w in _WH), 0)
    q = " ".join(ws[first:])
    for pattern, kind in _RULES:
        if pattern.search(q):
            return kind
    return Kind.OTHER


_ENTITY = re.compile(r"(?<![\w$])(?:[A-Z][\w&.'’-]*[A-Za-z0-9]|[A-Z]|\d[\d,.]*\d|\d)")
_FOCUS = re.compile(
    rf"\b(?:how (?:many|much)|(?:which|what|whose)"
    rf"(?:\s+(?:is|was|are|were)(?:\s+the|\s+[a-z]+(?=\s+[a-z]+\s+(?:of|in)\b))?)?)\s+{_NOT_AUX}"
    rf"((?:[a-z][\w-]*\s+){{0,3}}?[a-z][\w-]*)"
    r"(?=\s+(?:will|would|is|are|was|were|does|do|did|has|have|can|could|should|of|in|to|for|"
    r"from|on|at|by|that|which|who|with|get)\b)"
)


def _entities(text: str) -> tuple[str, ...]:
    """Capitalised words (not the first word of the question) and numbers, lower-cased."""
    found: list[str] = []
    for m in _ENTITY.finditer(text):
        if m.start() == 0:
            continue
        found.extend(t for t in words(m.group()) if t not in _WH and t not in STOPWORDS)
    return tuple(dict.fromkeys(found))


_GENERIC_FOCUS = frozenset(
    "size amount value number total figure sum kind type sort name people thing things year "
    "years date day month period time city country place location percentage percent share "
    "site region person money cash dollars funds funding".split()
)


_MODIFIERS = frozenset(
    "global new main other first last international critical local national "
    "two three existing latest major key big biggest largest small".split()
)


def _which_focus(ws: list[str]) -> str | None:
    """'which COUNTRIES ...', 'what global TREND ...': the first noun after which/what."""
    for i, w in enumerate(ws[:-1]):
        if w in ("which", "what"):
            rest = [x for x in ws[i + 1 : i + 4] if not x.endswith("based")]
            if not rest or rest[0] in _NOT_AUX_WORDS:
                return None
            for x in rest:
                if x not in _MODIFIERS:
                    return x
    return None


def _focus_word(ws: list[str]) -> str | None:
    """The head noun the question asks about: 'how many WORKERS', 'what is the BUDGET of'."""
    joined = " ".join(ws)
    m = _FOCUS.search(joined) or re.search(rf"\b(?:which|what)\s+{_NOT_AUX}(\w+)", joined)
    if not m:
        return None
    heads = [w for w in m.group(1).split() if w not in STOPWORDS and w not in _GENERIC_FOCUS]
    return heads[-1] if heads else None


def _focus(ws: list[str]) -> tuple[str, ...]:
    word = _focus_word(ws)
    return (stem(word),) if word else ()


def _plural(ws: list[str]) -> bool:
    """'which COUNTRIES', 'which Japanese-based COMPANIES': a list may be the answer."""
    word = _which_focus(ws) or ""
    return word.endswith("s") and not word.endswith("ss")


def _currency(q: str) -> str | None:
    if not re.search(r"\b(?:dollars?|yen|yuan|renminbi|euros?|pounds?|sterling|rupees?)\b", q):
        return None
    for name, symbol in _CURRENCIES.items():
        if re.search(rf"\b{name}\b", q):
            return symbol
    return None


def analyse(text: str, cased: dict[str, str] | None = None, parse: bool = True) -> Question:
    """What the question asks for; ``cased``: the articles' capitalised spellings, to mend a
    lower-case question's names before it is parsed."""
    ws = _mend_wh(words(text))
    joined = " ".join(ws)
    currency = _currency(joined)
    # "in Singapore dollars" names the unit of the answer, not something the text must say
    unit = _UNIT_WORDS if currency else frozenset()
    mended = restore_case(text, cased or {})
    parsed = parse_text(mended, entities=False) if parse else None
    return Question(
        text=text,
        kind=classify(text),
        terms=tuple(dict.fromkeys(stem(w) for w in ws if w not in STOPWORDS and w not in unit)),
        entities=tuple(e for e in _entities(mended) if e not in unit),
        focus=_focus(ws),
        plural=_plural(ws),
        currency=currency,
        wh=ws[0] if ws and ws[0] in _WH else next((w for w in ws if w in _WH), None),
        parse=parsed,
        focus_lemma=focus_lemma(parsed) if parsed else None,
    )
