"""Two word statistics over the whole corpus, computed when the index is built.

The service needs both from its first question:
- which words the articles write in lower case somewhere ("the", "opening"): the reader
  does not take a sentence-initial "The" or "Opening" for the start of a name;
- how often each run of letters occurs: the speller mends question words towards them.

Both scanned every article's text with a regex at each start-up, about a second per
1,000 articles on this project's 2-core machine; here they are one small JSON file.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

FILE = "corpus_words.json"
# A token that starts with a lower-case letter where it is written ("iPhone" counts): the
# same as findall(r"[A-Za-z0-9]+") and w[0].islower(), in C.
LOWER_TOKEN = re.compile(r"(?<![A-Za-z0-9])[a-z][A-Za-z0-9]*")
# The speller's words: runs of ASCII letters.
LETTER_RUN = re.compile(r"[A-Za-z]+")


def letter_counts(texts: Iterable[str]) -> Counter[str]:
    """Case-folded runs of letters in ``texts``, counted (C loops: start-up at scale)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(map(str.lower, LETTER_RUN.findall(text)))
    return counts


@dataclass(frozen=True)
class CorpusWords:
    """Lower-case words of the sentences, and letter-run counts of the article files."""

    lowercase: frozenset[str]  # case-folded, as the reader compares them
    counts: Mapping[str, int]

    @classmethod
    def build(cls, sentences: Iterable[str], documents: Iterable[str]) -> CorpusWords:
        """``sentences``: the kept sentences' texts; ``documents``: whole article files."""
        lowercase: set[str] = set()
        for text in sentences:
            lowercase.update(map(str.lower, LOWER_TOKEN.findall(text)))
        return cls(frozenset(lowercase), dict(letter_counts(documents)))

    def payload(self) -> bytes:
        body = {"lowercase": sorted(self.lowercase), "counts": dict(sorted(self.counts.items()))}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    @classmethod
    def read(cls, path: Path) -> CorpusWords:
        """Load what ``payload`` wrote; raises ValueError when it is not that shape."""
        body = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(body, dict):
            raise ValueError(f"{path.name} is not a JSON object")
        lowercase, counts = body.get("lowercase"), body.get("counts")
        if (
            not isinstance(lowercase, list)
            or not isinstance(counts, dict)
            or not all(isinstance(w, str) for w in lowercase)
            or not all(type(n) is int and n > 0 for n in counts.values())  # not a bool
        ):
            raise ValueError(f"{path.name} is not a list of words and a table of counts")
        return cls(frozenset(lowercase), counts)
