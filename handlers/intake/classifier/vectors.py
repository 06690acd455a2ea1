"""A message as a sparse TF-IDF vector: two blocks (characters; words and lexicon), each L2-normalised.

Training fits scikit-learn's ``TfidfVectorizer`` (sublinear tf, smooth idf) on each block; the fitted
vocabulary and idf are kept as plain data, and one message is turned into (indices, values) here with
the same arithmetic, without scikit-learn's per-call overhead (the bot classifies one message at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from handlers.intake.classifier.features import Tokenizer, char_tokens, word_tokens
from handlers.intake.text import normalize

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Analyzer = Callable[[str], list[str]]


@dataclass
class Block:
    """One TF-IDF block: term → column, idf per column; columns start at ``offset`` in the whole vector."""

    terms: dict[str, int]
    idf: Floats
    offset: int = 0

    def weigh(self, tokens: list[str]) -> tuple[Ints, Floats]:
        """Columns and L2-normalised sublinear tf × idf of the known tokens (as TfidfVectorizer does)."""
        get = self.terms.get
        found = np.fromiter([get(t, -1) for t in tokens], dtype=np.int64, count=len(tokens))
        cols, counts = np.unique(found[found >= 0], return_counts=True)
        vals = (1.0 + np.log(counts)) * self.idf[cols]
        norm = np.sqrt(vals @ vals) or 1.0
        return cols + self.offset, vals / norm


class Vectorizer:
    def __init__(self, blocks: Sequence[Block], tokenizer: Tokenizer) -> None:
        self.blocks, self.tokenizer = list(blocks), tokenizer
        self.size = sum(len(b.terms) for b in self.blocks)
        self._names: list[str] | None = None

    def analyzers(self) -> tuple[Analyzer, Analyzer]:
        return char_tokens, lambda norm: word_tokens(norm, self.tokenizer)

    def transform(self, text: str) -> tuple[Ints, Floats]:
        """The message's non-zero columns and their values."""
        norm = normalize(text)
        chars = char_tokens(norm)
        c1, v1 = self.blocks[0].weigh(chars)
        c2, v2 = self.blocks[1].weigh(word_tokens(norm, self.tokenizer, chars))
        return np.concatenate((c1, c2)), np.concatenate((v1, v2))

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
        blocks, parts, offset = [], [], 0
        for analyze in shell.analyzers():
            fitted = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float64)
            parts.append(fitted.fit_transform(norms))
            terms = {t: int(i) for t, i in fitted.vocabulary_.items()}
            blocks.append(Block(terms, np.asarray(fitted.idf_, dtype=np.float64), offset))
            offset += len(terms)
        return cls(blocks, tokenizer), hstack(parts, format="csr")
