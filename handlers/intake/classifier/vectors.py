"""A message as a sparse TF-IDF vector: two blocks (characters; words and lexicon), each L2-normalised.

Training fits scikit-learn's ``TfidfVectorizer`` (sublinear tf, smooth idf) on each block; the fitted
vocabulary and idf are kept as plain data, and one message is turned into (indices, values) here with
the same arithmetic, without scikit-learn's per-call overhead (the bot classifies one message at a time).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from handlers.intake.classifier.features import LEXICON_WORDS, Tokenizer, char_tokens, word_tokens
from handlers.intake.text import normalize

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Analyzer = Callable[[str], list[str]]
KEYS_FROM = 60  # characters: below this, string look-ups are cheaper than NumPy calls
RECENT = 8  # texts whose vectors are remembered: a message is vectorised up to three times in a row


@dataclass
class Block:
    """One TF-IDF block: term → column, idf per column; columns start at ``offset`` in the whole vector."""

    terms: dict[str, int]
    idf: Floats
    offset: int = 0

    def weigh(self, tokens: list[str]) -> tuple[Ints, Floats]:
        """Columns and L2-normalised sublinear tf × idf of the known tokens (as TfidfVectorizer does)."""
        get = self.terms.get
        cols: list[int] = []
        tfs: list[int] = []
        for token, n in Counter(tokens).items():
            col = get(token)
            if col is not None:
                cols.append(col)
                tfs.append(n)
        return self._weights(np.array(cols, dtype=np.int64), np.array(tfs, dtype=np.float64))

    def _weights(self, cols: Ints, tf: Floats) -> tuple[Ints, Floats]:
        vals = (1.0 + np.log(tf)) * self.idf[cols]
        norm = np.sqrt(vals @ vals) or 1.0
        return cols + self.offset, vals / norm


class CharBlock(Block):
    """The character n-gram block, looked up by integer keys made in NumPy (no string per n-gram)."""

    def __init__(self, terms: dict[str, int], idf: Floats, offset: int = 0) -> None:
        super().__init__(terms, idf, offset)
        keys = np.fromiter((term_key(t) for t in terms), dtype=np.int64, count=len(terms))
        order = np.argsort(keys)
        self.keys = keys[order]
        self.key_cols = np.fromiter(terms.values(), dtype=np.int64, count=len(terms))[order]

    def weigh_keys(self, keys: Ints) -> tuple[Ints, Floats]:
        if not len(self.keys):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        cols, counts = np.unique(self.key_cols[pos[self.keys[pos] == keys]], return_counts=True)
        return self._weights(cols, counts.astype(np.float64))


def term_key(term: str) -> int:
    """An n-gram (n ≤ 3) as one integer: 21 bits per code point + 1, so lengths never collide."""
    key = 0
    for ch in term:
        key = (key << 21) | (ord(ch) + 1)
    return key


def char_keys(norm: str) -> Ints:
    """``term_key`` of every ``char_tokens(norm)`` item, computed on the code point array."""
    cp = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    marked = np.concatenate(([3], cp, [4]))  # "\x02" and "\x03", as in char_tokens
    bigrams = (marked[:-1] << 21) | marked[1:]
    trigrams = (marked[:-2] << 42) | (marked[1:-1] << 21) | marked[2:]
    return np.concatenate((cp[cp != ord(" ") + 1], bigrams, trigrams))


_SHORT_LEXICON = {term_key(w): w for w in LEXICON_WORDS if len(w) <= 3}
_SHORT_LEXICON_KEYS = np.array(sorted(_SHORT_LEXICON), dtype=np.int64)


def short_lexicon(keys: Ints) -> set[str]:
    """The lexicon words of up to three characters among a message's n-gram keys."""
    pos = np.minimum(np.searchsorted(_SHORT_LEXICON_KEYS, keys), len(_SHORT_LEXICON_KEYS) - 1)
    return {_SHORT_LEXICON[k] for k in keys[_SHORT_LEXICON_KEYS[pos] == keys].tolist()}


class Vectorizer:
    def __init__(self, blocks: Sequence[Block], tokenizer: Tokenizer) -> None:
        self.blocks, self.tokenizer = list(blocks), tokenizer
        self.size = sum(len(b.terms) for b in self.blocks)
        self._names: list[str] | None = None
        # An appeal is vectorised for its verdict, then for its 共性问题 signature and measure.
        self.transform = functools.lru_cache(maxsize=RECENT)(self._transform)

    def analyzers(self) -> tuple[Analyzer, Analyzer]:
        return char_tokens, lambda norm: word_tokens(norm, self.tokenizer)

    def _transform(self, text: str) -> tuple[Ints, Floats]:
        """The message's non-zero columns and their values (the same as the fitted blocks give),
        read-only: ``transform`` hands the same arrays to every caller of a recent text.

        Short messages look their n-grams up as strings; from ``KEYS_FROM`` characters on, NumPy's
        fixed cost per call is worth it and the n-grams become integer keys looked up in bulk.
        """
        norm = normalize(text)
        chars, words = self.blocks
        assert isinstance(chars, CharBlock)
        if len(norm) < KEYS_FROM:
            grams = char_tokens(norm)
            (c1, v1), lexicon = chars.weigh(grams), set(grams) & LEXICON_WORDS
        else:
            keys = char_keys(norm)
            (c1, v1), lexicon = chars.weigh_keys(keys), short_lexicon(keys)
        c2, v2 = words.weigh(word_tokens(norm, self.tokenizer, lexicon))
        cols, vals = np.concatenate((c1, c2)), np.concatenate((v1, v2))
        cols.flags.writeable = vals.flags.writeable = False
        return cols, vals

    def name(self, col: int) -> str:
        """The feature a column stands for (built on first use: only 共性问题 signatures ask)."""
        if self._names is None:
            names = [""] * self.size
            for block in self.blocks:
                for term, c in block.terms.items():
                    names[c + block.offset] = term
            self._names = names
        return self._names[col]

    @classmethod
    def fit(cls, texts: Sequence[str], tokenizer: Tokenizer) -> tuple[Vectorizer, Any]:
        """Fitted blocks and the training matrix (scipy CSR), with scikit-learn."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        norms = [normalize(t) for t in texts]
        shell = cls([], tokenizer)
        blocks: list[Block] = []
        parts, offset = [], 0
        for analyze in shell.analyzers():
            fitted = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float64)
            parts.append(fitted.fit_transform(norms))
            terms = {t: int(i) for t, i in fitted.vocabulary_.items()}
            kind = CharBlock if not blocks else Block
            blocks.append(kind(terms, np.asarray(fitted.idf_, dtype=np.float64), offset))
            offset += len(terms)
        return cls(blocks, tokenizer), hstack(parts, format="csr")
