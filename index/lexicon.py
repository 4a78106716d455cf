"""Every sentence's words, tokenized once when the index is built and stored as arrays.

BM25 and the reader both work on the words (``index.text.words``) and stemmed terms of
sentences. Tokenizing every sentence when the service starts took most of a large index's
start-up (54 s at 10,000 articles), and keeping the tokens as Python lists and sets most of
its memory. Here each sentence is a run of 4-byte ids into one vocabulary, loaded mapped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.files import load_npy, npy_bytes
from index.text import STOPWORDS, stem, words

VOCABULARY = "lexicon.json"
WORD_IDS = "sentence_words.npy"
OFFSETS = "sentence_word_offsets.npy"
FILES = (VOCABULARY, WORD_IDS, OFFSETS)


@dataclass(frozen=True)
class Lexicon:
    """Sentence ``i``'s words are ``vocabulary[word_ids[offsets[i]:offsets[i + 1]]]``."""

    vocabulary: list[str]  # distinct words
    stems: list[str | None]  # per word: its stemmed term, None for a stopword
    word_ids: np.ndarray  # int32, all sentences' words in order
    offsets: np.ndarray  # int64, one more than there are sentences

    @classmethod
    def build(cls, texts: Iterable[str]) -> Lexicon:
        ids: dict[str, int] = {}
        flat: list[int] = []
        offsets = [0]
        for text in texts:
            flat.extend(ids.setdefault(w, len(ids)) for w in words(text))
            offsets.append(len(flat))
        vocabulary = list(ids)
        return cls(
            vocabulary=vocabulary,
            stems=[None if w in STOPWORDS else stem(w) for w in vocabulary],
            word_ids=np.asarray(flat, dtype=np.int32),
            offsets=np.asarray(offsets, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def ids(self, i: int) -> list[int]:
        return self.word_ids[self.offsets[i] : self.offsets[i + 1]].tolist()

    def words(self, i: int) -> list[str]:
        """Sentence ``i``'s words, as ``index.text.words`` gives them."""
        vocabulary = self.vocabulary
        return [vocabulary[w] for w in self.ids(i)]

    def terms(self, i: int) -> list[str]:
        """Sentence ``i``'s stemmed terms, as ``index.text.terms`` gives them."""
        stems = self.stems
        return [t for t in (stems[w] for w in self.ids(i)) if t is not None]

    def payloads(self) -> dict[str, bytes]:
        """The files that hold it, by name (JSON and .npy: nothing pickled)."""
        vocab = {"words": self.vocabulary, "stems": self.stems}
        return {
            VOCABULARY: json.dumps(vocab, ensure_ascii=False).encode("utf-8"),
            WORD_IDS: npy_bytes(self.word_ids),
            OFFSETS: npy_bytes(self.offsets),
        }

    @classmethod
    def read(cls, folder: Path, mapped: bool = False) -> Lexicon:
        """Load what ``payloads`` wrote; raises ValueError when the parts disagree.

        ``mapped``: map the word ids instead of reading them (see ``index.store``)."""
        vocab = json.loads((folder / VOCABULARY).read_text(encoding="utf-8"))
        word_ids = load_npy(folder / WORD_IDS, mapped)
        offsets = load_npy(folder / OFFSETS)
        lexicon = cls(vocab["words"], vocab["stems"], word_ids, offsets)
        if (
            len(lexicon.stems) != len(lexicon.vocabulary)
            or word_ids.ndim != 1
            or offsets.ndim != 1
            or len(offsets) == 0
            or offsets[0] != 0
            or offsets[-1] != len(word_ids)
            or np.any(np.diff(offsets) < 0)
            or (
                len(word_ids)
                and not 0 <= int(word_ids.min()) <= int(word_ids.max()) < len(vocab["words"])
            )
        ):
            raise ValueError("the sentence word arrays do not match their vocabulary")
        return lexicon
