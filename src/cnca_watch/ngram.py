"""A small learned model over character n-grams: one logistic regression per head.

Pure Python, no dependencies.  The heads are the task areas plus ``in-domain``; the
weights ship as a compact gzipped JSON file in the package (``classifier_model.json.gz``)
and are read the first time something is classified, never at import.  Re-train with
:func:`cnca_watch.train.train_model` or ``bench/train_classifier.py``.

Features are the character 1-3-grams of the normalised title (value 1) and of the start
of the body (value ``body_weight``, below a title's), plus English words.  The evidence a
head gives is the title or body spans whose n-grams pushed it up most.
"""

from __future__ import annotations

import gzip
import heapq
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from cnca_watch.classify import normalise

MODEL_FILE = "classifier_model.json.gz"
DOMAIN_HEAD = "in-domain"
FORMAT = "cnca-watch-ngram-lr/1"

_WORD = re.compile(r"[a-z][a-z0-9.+-]*[a-z0-9]|[a-z]")
# punctuation and spacing carry no topic: a run of them becomes one separator
_SEPARATORS = re.compile(r"[\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\"'“”‘’《》（）()【】\[\]、，。：；！？·—\-_/|?!:;,<>~*#]+")


@dataclass(frozen=True, slots=True)
class Features:
    """The keys of one text: title n-grams (value 1), body n-grams not in the title (value
    ``body_value``), and the prepared texts they were cut from (for evidence spans)."""

    title_keys: tuple[str, ...]
    body_keys: tuple[str, ...]
    body_value: float
    title: str
    body: str

    @property
    def values(self) -> dict[str, float]:
        values = dict.fromkeys(self.body_keys, self.body_value)
        values.update(dict.fromkeys(self.title_keys, 1.0))
        return values


def prepare(text: str) -> str:
    """Normalised text with punctuation runs folded to one space."""
    return _SEPARATORS.sub(" ", normalise(text)).strip()


def _grams(text: str, max_n: int, word_pairs: bool = False) -> set[str]:
    n = len(text)
    grams = {text[i : i + size] for size in range(1, max_n + 1) for i in range(n - size + 1)}
    if " " in text:
        grams = {g for g in grams if " " not in g}
    if _HAS_LATIN.search(text):
        words = _WORD.findall(text)
        grams.update("w:" + word for word in words)
        if word_pairs:
            # English says its subject in two words ("spot checks", "implementation rules",
            # "mutual recognition") more than in one
            grams.update(f"w:{a} {b}" for a, b in zip(words, words[1:]))
    return grams


_HAS_LATIN = re.compile("[a-z]")


def features(title: str, body: str = "", *, body_weight: float, body_chars: int, max_n: int = 3, word_pairs: bool = False) -> Features:
    """The model's features for one text (title grams at 1, body grams at ``body_weight``)."""
    prepared_title = prepare(title)
    title_keys = _grams(prepared_title, max_n, word_pairs)
    prepared_body = ""
    body_keys: set[str] = set()
    if body and body_weight > 0 and body_chars > 0:
        prepared_body = prepare(body[: body_chars * 2])[:body_chars]
        body_keys = _grams(prepared_body, max_n, word_pairs) - title_keys
    return Features(tuple(title_keys), tuple(body_keys), body_weight, prepared_title, prepared_body)


@dataclass(frozen=True)
class NgramModel:
    """Weights of a trained model: feature -> one weight per head."""

    heads: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    body_weight: float
    body_chars: int
    max_n: int
    meta: Mapping[str, Any]
    word_pairs: bool = False  # English word pairs as features too
    # one dict per head (feature -> weight, zeros left out): summed with map() in C
    _per_head: tuple[dict[str, float], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not self._per_head:
            per_head = tuple(
                {key: row[h] for key, row in self.weights.items() if row[h]} for h in range(len(self.heads))
            )
            object.__setattr__(self, "_per_head", per_head)

    def featurise(self, title: str, body: str = "") -> Features:
        return features(
            title, body, body_weight=self.body_weight, body_chars=self.body_chars, max_n=self.max_n, word_pairs=self.word_pairs
        )

    def logits(self, feats: Features) -> list[float]:
        # one lookup per key into feature -> (weight per head), columns summed in C
        get = self.weights.get
        title_rows = list(filter(None, map(get, feats.title_keys)))
        totals = [b + t for b, t in zip(self.bias, map(sum, zip(*title_rows)))] if title_rows else list(self.bias)
        if feats.body_keys:
            body_rows = list(filter(None, map(get, feats.body_keys)))
            if body_rows:
                scale = feats.body_value
                totals = [t + scale * b for t, b in zip(totals, map(sum, zip(*body_rows)))]
        return totals

    def probabilities(self, feats: Features) -> dict[str, float]:
        return {head: _sigmoid(z) for head, z in zip(self.heads, self.logits(feats))}

    def evidence(self, feats: Features, head: str, limit: int = 3) -> list[tuple[str, str]]:
        """The spans (text, "title"|"body") whose n-grams raised ``head`` most, strongest first.

        The strongest n-grams are placed in their text and overlapping ones merged, so the
        evidence reads as a phrase ("实施规则") rather than as fragments ("实施", "施规"); a
        lone character or a number says nothing a reader can check and is left out."""
        weights = self._per_head[self.heads.index(head)]
        scored = [(w, key) for key in feats.title_keys if (w := weights.get(key, 0.0)) > 0]
        if feats.body_keys:
            scored += [(w * feats.body_value, key) for key in feats.body_keys if (w := weights.get(key, 0.0)) > 0]
        merged: dict[str, list[list[int]]] = {"title": [], "body": []}  # where -> [start, end, rank]
        for rank, (_, key) in enumerate(heapq.nlargest(limit * 3, scored)):
            word = key[2:] if key.startswith("w:") else key
            where = "title" if word in feats.title else "body"
            text = feats.title if where == "title" else feats.body
            start = text.find(word)
            if start < 0:
                continue
            end = start + len(word)
            for interval in merged[where]:
                if start <= interval[1] and end >= interval[0]:  # overlapping or touching
                    interval[0], interval[1] = min(interval[0], start), max(interval[1], end)
                    break
            else:
                merged[where].append([start, end, rank])
        spans = sorted(
            (rank, _whole_words(feats.title if where == "title" else feats.body, start, end), where)
            for where, intervals in merged.items()
            for start, end, rank in intervals
        )
        return [(text, where) for _, text, where in spans if len(text) >= 2 and not text.isdigit()][:limit]


def _whole_words(text: str, start: int, end: int) -> str:
    """The span, widened to whole words where it cuts into Latin letters ("nd" -> "second"):
    a fragment of an English word is no evidence a reader can check."""
    while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum() and text[start].isascii() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isascii() and text[end].isalnum() and text[end - 1].isascii() and text[end - 1].isalnum():
        end += 1
    return text[start:end].strip()


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# ---------------------------------------------------------------------------------------
# Loading and saving


def model_from_dict(data: Mapping[str, Any]) -> NgramModel:
    """A model from its JSON form; ``ValueError`` names what is wrong."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a cnca-watch n-gram model (format {data.get('format')!r}, expected {FORMAT!r})")
    heads = tuple(data["heads"])
    scale = float(data.get("scale", 1.0))
    width = len(heads)
    weights: dict[str, tuple[float, ...]] = {}
    for key, row in data["weights"].items():
        if len(row) != width:
            raise ValueError(f"weights for {key!r} have {len(row)} values, expected {width}")
        weights[key] = tuple(v / scale for v in row)
    return NgramModel(
        heads=heads,
        bias=tuple(float(b) for b in data["bias"]),
        weights=weights,
        body_weight=float(data["body_weight"]),
        body_chars=int(data["body_chars"]),
        max_n=int(data.get("max_n", 3)),
        meta=dict(data.get("meta", {})),
        word_pairs=bool(data.get("word_pairs", False)),
    )


def read_model(path: str | Path) -> NgramModel:
    """Read a model file (``.json`` or ``.json.gz``)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return model_from_dict(json.loads(raw.decode("utf-8")))


def write_model(data: Mapping[str, Any], path: str | Path) -> None:
    """Write a model dict compactly (gzipped when the name ends in .gz)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    path = Path(path)
    # a fixed mtime keeps the file byte-identical across re-trainings of the same data
    path.write_bytes(gzip.compress(text, 9, mtime=0) if path.name.endswith(".gz") else text)


@lru_cache(maxsize=1)
def packaged_model() -> NgramModel | None:
    """The model shipped in the package, or None when there is none (vocabulary only)."""
    resource = resources.files("cnca_watch").joinpath(MODEL_FILE)
    if not resource.is_file():
        return None
    raw = gzip.decompress(resource.read_bytes())
    return model_from_dict(json.loads(raw.decode("utf-8")))
