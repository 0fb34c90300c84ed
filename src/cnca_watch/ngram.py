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
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
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
_SEPARATORS = re.compile(r"[\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\"'“”‘’《》（）()【】\[\]、，。：；！？·—\-_/|]+")


@dataclass(frozen=True, slots=True)
class Features:
    """Feature -> value, and where each char n-gram sits (for evidence spans)."""

    values: dict[str, float]
    title: str  # the prepared title text the n-grams were cut from
    body: str  # the prepared body prefix


def prepare(text: str) -> str:
    """Normalised text with punctuation runs folded to one space."""
    return _SEPARATORS.sub(" ", normalise(text)).strip()


def _grams(text: str, sizes: range, out: dict[str, float], value: float) -> None:
    n = len(text)
    for size in sizes:
        for i in range(n - size + 1):
            gram = text[i : i + size]
            if " " in gram:
                continue
            if out.get(gram, 0.0) < value:
                out[gram] = value
    for word in _WORD.findall(text):
        key = "w:" + word
        if out.get(key, 0.0) < value:
            out[key] = value


def features(title: str, body: str = "", *, body_weight: float, body_chars: int, max_n: int = 3) -> Features:
    """The model's features for one text (title grams at 1, body grams at ``body_weight``)."""
    prepared_title = prepare(title)
    values: dict[str, float] = {}
    sizes = range(1, max_n + 1)
    _grams(prepared_title, sizes, values, 1.0)
    prepared_body = ""
    if body and body_weight > 0 and body_chars > 0:
        prepared_body = prepare(body[: body_chars * 2])[:body_chars]
        body_values: dict[str, float] = {}
        _grams(prepared_body, sizes, body_values, body_weight)
        for key, value in body_values.items():
            if key not in values:
                values[key] = value
    return Features(values, prepared_title, prepared_body)


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

    def head_index(self, head: str) -> int | None:
        try:
            return self.heads.index(head)
        except ValueError:
            return None

    def featurise(self, title: str, body: str = "") -> Features:
        return features(title, body, body_weight=self.body_weight, body_chars=self.body_chars, max_n=self.max_n)

    def logits(self, feats: Features) -> list[float]:
        totals = list(self.bias)
        weights = self.weights
        heads = range(len(totals))
        for key, value in feats.values.items():
            row = weights.get(key)
            if row is not None:
                for h in heads:
                    totals[h] += row[h] * value
        return totals

    def probabilities(self, feats: Features) -> dict[str, float]:
        return {head: _sigmoid(z) for head, z in zip(self.heads, self.logits(feats))}

    def evidence(self, feats: Features, head: str, limit: int = 3) -> list[tuple[str, str]]:
        """The spans (text, "title"|"body") whose n-grams raised ``head`` most, strongest first."""
        index = self.heads.index(head)
        contributions = []
        for key, value in feats.values.items():
            row = self.weights.get(key)
            if row is not None and row[index] * value > 0:
                contributions.append((row[index] * value, key))
        contributions.sort(key=lambda item: (-item[0], -len(item[1]), item[1]))
        spans: list[tuple[str, str]] = []
        for _, key in contributions[: limit * 3]:
            word = key[2:] if key.startswith("w:") else key
            where = "title" if word in feats.title else "body"
            source = feats.title if where == "title" else feats.body
            span = _widen(source, word, feats, index, self.weights)
            if not any(span in seen or seen in span for seen, _ in spans):
                spans.append((span, where))
            if len(spans) >= limit:
                break
        return spans


def _widen(text: str, gram: str, feats: Features, index: int, weights: Mapping[str, tuple[float, ...]]) -> str:
    """Grow a gram over neighbouring characters whose bigrams also point to the head, so the
    evidence reads as a phrase ("实施规则") rather than a fragment ("施规")."""
    start = text.find(gram)
    if start < 0:
        return gram
    end = start + len(gram)
    for _ in range(6):
        grown = False
        if start > 0 and text[start - 1] != " ":
            row = weights.get(text[start - 1 : start + 1])
            if row is not None and row[index] > 0:
                start -= 1
                grown = True
        if end < len(text) and text[end] != " ":
            row = weights.get(text[end - 1 : end + 1])
            if row is not None and row[index] > 0:
                end += 1
                grown = True
        if not grown:
            break
    return text[start:end]


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
