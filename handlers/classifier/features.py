"""Turning a chat message into sparse features: jieba words plus character 1–3-grams."""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import tempfile
import threading
import unicodedata
from collections import Counter
from pathlib import Path

import jieba

log = logging.getLogger(__name__)

# jieba's full dictionary takes about a second to unmarshal on a small VM; the words frequent enough
# to matter as features load in ~0.2 s. Rarer words fall back to single characters, which the
# character n-grams cover anyway. Changing this changes features: bump model.FORMAT_VERSION.
MIN_WORD_FREQ = 20
# Words of this domain that jieba's general dictionary splits badly.
DOMAIN_WORDS = (
    "专精特新", "留抵退税", "加计扣除", "不动产权证", "排污许可证", "稳岗返还", "供电公司", "人社局",
    "经信局", "税务局", "金融局", "金融工作局", "发改委", "住建局", "政务服务中心", "市场监管局",
    "生态环境局", "应急管理局", "应急局", "交通运输局", "自然资源和规划局", "规划局", "管委会",
    "环评", "危废", "续贷", "抽贷", "转贷", "贴息", "社保", "公积金", "欠薪", "停产", "断电", "接龙",
)  # fmt: skip
_URL = re.compile(r"https?://\S+|www\.\S+")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_BLOCKS = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")
_LENGTH_BUCKETS = (2, 4, 8, 16, 32, 64)


class Tokenizer:
    """A jieba tokenizer over a trimmed dictionary, built lazily on first use."""

    def __init__(self, cache_dir: Path) -> None:
        self._cache_dir = cache_dir
        self._jieba: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    def ready(self) -> jieba.Tokenizer:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer(str(self._dictionary()))
                    tokenizer.tmp_dir = str(self._cache_dir)
                    tokenizer.initialize()
                    self._jieba = tokenizer
        return self._jieba

    def words(self, text: str) -> list[str]:
        """Dictionary-only segmentation (jieba's DAG + best route, no HMM) of Chinese runs.

        Calling jieba's `get_DAG`/`calc` directly skips the generator layers of `lcut`, which cost
        half of a short message's prediction time.
        """
        tokenizer = self.ready()
        words: list[str] = []
        for block in _BLOCKS.findall(text):
            if not block[0] >= "\u4e00":
                words.append(block)
                continue
            route: dict[int, tuple[float, int]] = {}
            tokenizer.calc(block, tokenizer.get_DAG(block), route)
            start = 0
            while start < len(block):
                end = route[start][1] + 1
                words.append(block[start:end])
                start = end
        return words

    def _dictionary(self) -> Path:
        path = self._cache_dir / f"jieba-min{MIN_WORD_FREQ}-v1.txt"
        if path.exists():
            return path
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        source = Path(jieba.__file__).with_name("dict.txt")
        lines = [f"{w} 1000\n" for w in DOMAIN_WORDS]
        with source.open(encoding="utf-8") as full:
            for line in full:
                parts = line.split()
                if len(parts) >= 2 and int(parts[1]) >= MIN_WORD_FREQ:
                    lines.append(f"{parts[0]} {parts[1]}\n")
        # Write then rename so a concurrent start never reads half a dictionary.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(lines), encoding="utf-8")
        tmp.replace(path)
        log.info("trimmed jieba dictionary written to %s (%d words)", path, len(lines))
        return path


@functools.lru_cache(maxsize=8)
def shared_tokenizer(cache_dir: Path | None = None) -> Tokenizer:
    return Tokenizer(cache_dir or Path(tempfile.gettempdir()) / "zhuqi-jieba")


def normalize(text: str) -> str:
    """Full-width to half-width, lower case; URLs and numbers collapse to one symbol each."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub("🔗", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def raw_features(text: str, tokenizer: Tokenizer) -> Counter[str]:
    """Counts of character 1–3-grams (with start/end marks), jieba words and a length bucket."""
    norm = normalize(text)
    counts: Counter[str] = Counter(c for c in norm if c != " ")
    marked = f"\x02{norm}\x03"
    for n in (2, 3):
        counts.update(marked[i : i + n] for i in range(len(marked) - n + 1))
    counts.update("w:" + w for w in tokenizer.words(norm))
    bucket = next((b for b in _LENGTH_BUCKETS if len(norm) <= b), 999)
    counts[f"#len<={bucket}"] += 1
    return counts


def weigh(counts: Counter[str], idf: dict[str, float], default_idf: float) -> dict[str, float]:
    """Sublinear tf × idf, L2-normalised: long complaints and one-word replies become comparable."""
    get = idf.get
    vector = {f: (1.0 + math.log(c) if c > 1 else 1.0) * get(f, default_idf) for f, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {f: v / norm for f, v in vector.items()}
