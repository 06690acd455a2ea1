"""The policy/FAQ library: entries from a TOML file, matched by keywords and text similarity.

Matching is deliberately conservative: an entry needs at least one of its own keywords in the
message (a specific word such as 留抵退税 counts fully, a two-character one only partly), and
character-bigram overlap breaks ties. A wrong policy answer in a busy group costs trust.
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import rjieba

from handlers.roster.model import Enterprise, Fit

DEFAULT_POLICY_FILE = Path(__file__).with_name("data") / "policies.toml"
STRONG = 1.0  # a keyword of three or more characters
WEAK = 0.8  # a two-character keyword (技改, 贴息): specific, yet short words hide inside others
MIN_SCORE = 0.8
SECOND_RATIO = 0.7  # a second entry is shown only when nearly as good as the first
SYNONYM_WEIGHT = 0.6  # a synonym counts this much of a typed word
SEARCH_RATIO = 0.3  # a list to choose from: entries a third as good as the best are shown too
SYNONYMS_FILE = Path(__file__).with_name("data") / "synonyms.toml"


class PolicyError(ValueError):
    """A broken library file; the message names the entry and the key."""


@dataclass(frozen=True)
class Policy:
    title: str
    summary: str
    keywords: tuple[str, ...]
    link: str = ""
    contact: str = ""
    category: str | None = None
    id: int = 0  # the 政策编号 people type (申请 3); the entry's place in the file when not given
    fit: Fit = field(default_factory=Fit)  # which enterprises it is for (适用对象)
    deadline: date | None = None  # 申报截止 (the last day)
    department: str | None = None  # who answers 申请 / questions; else the category's department

    def fits(self, enterprise: Enterprise | None) -> bool:
        """An enterprise we know nothing about is shown every entry; a known one only its own."""
        return enterprise is None or not enterprise.words() or self.fit.fits(enterprise)

    def open_on(self, day: date) -> bool:
        return self.deadline is None or day <= self.deadline


@dataclass(frozen=True)
class Match:
    policy: Policy
    score: float
    keyword_hits: float


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace(" ", "")


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class PolicyLibrary:
    def __init__(self, policies: Iterable[Policy], source: Path | None = None) -> None:
        self.policies = tuple(policies)
        self.source = source
        self._index = [
            (p, tuple(_norm(k) for k in p.keywords), _bigrams(_norm(p.title + "".join(p.keywords))))
            for p in self.policies
        ]

    def __len__(self) -> int:
        return len(self.policies)

    def get(self, policy_id: int) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def search(self, words: str, limit: int = 3) -> list[Policy]:
        """政策 <关键词>: the best few entries for what was typed, by meaning as well as by letter.
        Every word typed (jieba's words, a few filler words aside) must be found in an entry — as
        it is, or as one of its synonyms (``data/synonyms.toml``) — in its keywords, title or
        summary; entries are ranked by how well, plus character-bigram overlap, best first."""
        wanted = _search_words(words)
        if not wanted:
            return []
        query = _norm(words)
        scored = [(self._search_score(wanted, query, i), i) for i in range(len(self.policies))]
        best = sorted(((s, i) for s, i in scored if s > 0), key=lambda pair: (-pair[0], pair[1]))[:limit]
        return [self.policies[i] for s, i in best if s >= SEARCH_RATIO * best[0][0]]

    def _search_score(self, wanted: list[dict[str, float]], query: str, i: int) -> float:
        """0 unless every wanted word is found; else how well (a keyword counts most)."""
        policy, keywords, grams = self._index[i]
        title, summary = _norm(policy.title), _norm(policy.summary)
        score = 0.0
        for terms in wanted:
            found = [w * _place(t, keywords, title, summary) for t, w in terms.items()]
            if not any(found):
                return 0.0
            score += max(found)
        return score + 0.5 * len(_bigrams(query) & grams) / max(1, len(_bigrams(query)))

    def match(self, text: str, enterprise: Enterprise | None = None, limit: int = 2) -> list[Match]:
        """The best one or two entries for ``text``; entries for other kinds of enterprise are
        skipped (an enterprise we know nothing about sees them all)."""
        norm = _norm(text)
        grams = _bigrams(norm)
        found = []
        for policy, keywords, policy_grams in self._index:
            if not policy.fits(enterprise):
                continue
            hits = sum(STRONG if len(k) >= 3 else WEAK for k in keywords if k and k in norm)
            if not hits:
                continue
            overlap = len(grams & policy_grams) / max(1, min(len(grams), len(policy_grams)))
            score = min(hits, 2 * STRONG) + overlap
            if score >= MIN_SCORE:
                found.append(Match(policy, round(score, 3), hits))
        found.sort(key=lambda m: -m.score)
        best = found[:1]
        best += [m for m in found[1:limit] if best and m.score >= SECOND_RATIO * best[0].score]
        return best


@functools.cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """The small synonym table kept with the library (read once, on the first search)."""
    table = tomllib.loads(SYNONYMS_FILE.read_text(encoding="utf-8")).get("synonyms", {})
    return {_norm(word): tuple(_norm(s) for s in same) for word, same in table.items()}


FILLER = frozenset(
    {"政策", "有没有", "什么", "怎么", "如何", "申请", "哪些", "我们", "企业", "公司", "请问", "不到"}
)


def _search_words(words: str) -> list[dict[str, float]]:
    """For each word typed (as typed, or jieba's words of it when it is a phrase), the terms that
    find it: the word itself (weight 1) and its synonyms (``SYNONYM_WEIGHT``)."""
    found: list[dict[str, float]] = []
    for typed in (_norm(w) for w in words.split() if w.strip()):
        parts = [typed] if typed in synonyms() or len(typed) <= 2 else [_norm(w) for w in rjieba.cut(typed)]
        kept = [p for p in parts if (len(p) >= 2 or p == typed) and p not in FILLER] or [typed]
        for word in kept:
            found.append({word: 1.0, **{s: SYNONYM_WEIGHT for s in synonyms().get(word, ()) if s != word}})
    return found


def _place(term: str, keywords: tuple[str, ...], title: str, summary: str) -> float:
    """How much finding ``term`` in an entry counts: in a keyword 1, the title 0.8, the summary 0.4."""
    if any(term in k or (len(k) >= 2 and k in term) for k in keywords):
        return 1.0
    return 0.8 if term in title else 0.4 if term in summary else 0.0


def load_policies(path: Path) -> PolicyLibrary:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError("file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"not valid TOML: {exc}") from None
    entries = data.get("policies", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PolicyError("policies: should be an array of tables ([[policies]])")
    policies = [_policy(e, i) for i, e in enumerate(entries)]
    seen: dict[int, int] = {}
    for i, p in enumerate(policies):
        if p.id in seen:
            raise PolicyError(f"policies[{i}].id: {p.id} is used by policies[{seen[p.id]}] too")
        seen[p.id] = i
    return PolicyLibrary(policies, path)


KEYS = {
    "title",
    "summary",
    "keywords",
    "link",
    "contact",
    "category",
    "id",
    "tags",
    "industries",
    "scales",
    "districts",
    "deadline",
    "department",
}


def _whole(entry: Mapping[str, Any], key: str, i: int) -> int:
    value = entry.get(key, i + 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99_999:
        raise PolicyError(f"policies[{i}].{key}: should be a whole number from 1 to 99999, got {value!r}")
    return value


def _day(entry: Mapping[str, Any], key: str, i: int) -> date | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise PolicyError(f"policies[{i}].{key}: should be a date such as 2026-12-31, got {value!r}")
    return value


def _policy(entry: Mapping[str, Any], i: int) -> Policy:
    def text(key: str, required: bool = False) -> str:
        value = entry.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise PolicyError(f"policies[{i}].{key}: should be a non-empty string, got {value!r}")
        return value.strip()

    def words(key: str) -> tuple[str, ...]:
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise PolicyError(f"policies[{i}].{key}: should be a list of non-empty strings")
        return tuple(v.strip() for v in values)

    unknown = set(entry) - KEYS
    if unknown:
        raise PolicyError(f"policies[{i}].{sorted(unknown)[0]}: unknown key")
    policy = Policy(
        title=text("title", True),
        summary=text("summary", True),
        keywords=words("keywords"),
        link=text("link"),
        contact=text("contact"),
        category=text("category") or None,
        id=_whole(entry, "id", i),
        fit=Fit(words("industries"), words("scales"), words("tags"), words("districts")),
        deadline=_day(entry, "deadline", i),
        department=text("department") or None,
    )
    if not policy.keywords:
        raise PolicyError(f"policies[{i}].keywords: needs at least one keyword")
    if not (policy.link or policy.contact):
        raise PolicyError(f"policies[{i}]: needs a link or a contact")
    return policy
