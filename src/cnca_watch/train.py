"""Train the character n-gram model from labelled rows (pure Python, deterministic).

    model = train_model(read_labelled("train.tsv"))
    write_model(model, "src/cnca_watch/classifier_model.json.gz")

One logistic regression per head (each task area seen in the rows, plus ``in-domain``),
fitted with AdaGrad and L2 on the features of :func:`cnca_watch.ngram.features`.  Rare
features are dropped before training and near-zero weights after it, so the file stays
small.  Same rows and options, same file.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnca_watch.ngram import DOMAIN_HEAD, FORMAT, features

if TYPE_CHECKING:
    from cnca_watch.evaluate import LabelledRow


@dataclass(frozen=True, slots=True)
class TrainOptions:
    epochs: int = 20
    learning_rate: float = 0.3
    l2: float = 1e-4
    min_count: int = 2  # features seen in fewer rows are dropped
    prune: float = 0.02  # weights smaller than this (all heads) are dropped from the file
    # a body n-gram's value (a title n-gram's is 1); 0 = the model reads titles only.  Five-fold
    # cross-validation on 301 blind-labelled rows: 0.25 gives macro-F1 0.882 on titles and
    # 0.859 with bodies, 0 gives 0.872 and 0.863; on the dev split 0.928/0.894 vs 0.904/0.903
    body_weight: float = 0.25
    body_chars: int = 200  # how much of the body the model reads
    max_n: int = 3
    positive_weight: float = 2.0  # areas are rare per head: a missed label costs more
    word_pairs: bool = False  # English word pairs as features (see docs/CLASSIFIER.md)
    seed: int = 20240112
    # runs over different shuffles (seeds seed, seed+1, …) whose weights are averaged.  CV on the
    # 1,261-row pool: two 3-run models agree within 0.003 macro-F1 where two single runs differ
    # by 0.02, and they score 0.01 higher (docs/CLASSIFIER.md)
    fits: int = 3


def _in_domain(row: "LabelledRow") -> bool:
    if row.in_domain is not None:
        return row.in_domain
    return bool(row.areas)


def _fit(samples: list[tuple[dict[str, float], list[float]]], kept: set[str], width: int, opts: TrainOptions, seed: int) -> tuple[dict[str, list[float]], list[float]]:
    """One AdaGrad run over the samples in the order ``seed`` shuffles them: (weights, bias)."""
    weights: dict[str, list[float]] = {key: [0.0] * width for key in kept}
    squares: dict[str, list[float]] = {key: [1e-8] * width for key in kept}
    bias = [0.0] * width
    bias_squares = [1e-8] * width
    # heads start from their base rate so early steps are not spent learning it
    for h in range(width):
        rate = sum(t[h] for _, t in samples) / len(samples)
        rate = min(max(rate, 1e-3), 1 - 1e-3)
        bias[h] = math.log(rate / (1 - rate))

    # each sample's features as (weight row, squares row, value): the rows are the lists the
    # loop updates in place, so the hot loop does no dict look-ups (same arithmetic, same order)
    prepared = [([(weights[key], squares[key], value) for key, value in values.items()], targets) for values, targets in samples]
    order = list(range(len(samples)))
    rng = random.Random(seed)
    lr, l2, pos_w = opts.learning_rate, opts.l2, opts.positive_weight
    sqrt, exp = math.sqrt, math.exp
    heads = range(width)
    for _ in range(opts.epochs):
        rng.shuffle(order)
        for i in order:
            feats, targets = prepared[i]
            logits = bias[:]
            for weight_row, _, value in feats:
                for h in heads:
                    logits[h] += weight_row[h] * value
            for h in heads:
                z = logits[h]
                p = 1.0 / (1.0 + exp(-z)) if z >= 0 else exp(z) / (1.0 + exp(z))
                y = targets[h]
                g = (p - y) * (pos_w if y > 0 else 1.0)
                if g == 0.0:
                    continue
                bias_squares[h] += g * g
                bias[h] -= lr * g / sqrt(bias_squares[h])
                for weight_row, square_row, value in feats:
                    grad = g * value + l2 * weight_row[h]
                    square_row[h] += grad * grad
                    weight_row[h] -= lr * grad / sqrt(square_row[h])

    return weights, bias


def train_model(rows: Sequence["LabelledRow"], options: TrainOptions | None = None, areas: Sequence[str] | None = None) -> dict[str, Any]:
    """A model dict (JSON-ready) trained on ``rows``; ``areas`` fixes the head order
    (default: the areas in the order they first appear)."""
    opts = options or TrainOptions()
    if not rows:
        raise ValueError("no labelled rows to train on")
    if areas is None:
        seen: dict[str, None] = {}
        for row in rows:
            for area in row.areas:
                seen.setdefault(area, None)
        areas = list(seen)
    heads = [*areas, DOMAIN_HEAD]

    # each labelled text is learnt from its title alone and, when it has a body, with it:
    # the model then serves both title-only and title+body classification
    samples: list[tuple[dict[str, float], list[float]]] = []
    for row in rows:
        targets = [1.0 if area in row.areas else 0.0 for area in areas] + [1.0 if _in_domain(row) else 0.0]
        variants = [""] + ([row.body] if row.body and opts.body_weight > 0 and opts.body_chars > 0 else [])
        for body in variants:
            feats = features(
                row.title, body, body_weight=opts.body_weight, body_chars=opts.body_chars, max_n=opts.max_n, word_pairs=opts.word_pairs
            )
            values = feats.values
            # a fixed feature order: float sums (and so the rounded weights) must not depend
            # on the interpreter's string hashing
            samples.append((dict(sorted(values.items())), targets))

    counts: Counter[str] = Counter()
    for values, _ in samples:
        counts.update(values.keys())
    kept = {key for key, n in counts.items() if n >= opts.min_count}
    samples = [({k: v for k, v in values.items() if k in kept}, targets) for values, targets in samples]

    width = len(heads)
    # the weights are the mean of `fits` runs over different shuffles: one run ends wherever
    # its order left it (two seeds differ by up to 0.02 macro-F1 in cross-validation); the
    # loss is convex, so the mean of the runs is at least as good as the runs on average
    runs = [_fit(samples, kept, width, opts, opts.seed + i) for i in range(opts.fits)]
    weights = {key: [sum(run[0][key][h] for run in runs) / len(runs) for h in range(width)] for key in sorted(kept)}
    bias = [sum(run[1][h] for run in runs) / len(runs) for h in range(width)]

    scale = 1000
    packed = {
        key: [round(w * scale) for w in head_weights]
        for key, head_weights in weights.items()
        if max(abs(w) for w in head_weights) >= opts.prune
    }
    return {
        "format": FORMAT,
        "heads": heads,
        "bias": [round(b, 4) for b in bias],
        "scale": scale,
        "weights": packed,
        "body_weight": opts.body_weight,
        "body_chars": opts.body_chars,
        "max_n": opts.max_n,
        **({"word_pairs": True} if opts.word_pairs else {}),
        "meta": {
            "rows": len(rows),
            "samples": len(samples),
            "features": len(packed),
            "options": {k: getattr(opts, k) for k in opts.__slots__},
        },
    }


# ---------------------------------------------------------------------------------------
# Grouped k-fold cross-validation: how every choice of the classifier is made

CV_SEED = "cnca-watch-cv-v1"


def cv_group(title: str) -> str:
    """The group a title belongs to: the same title (NFKC, spaces dropped, lower-cased) from
    two sources is one group, so a repost never sits on both sides of a fold."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", title).split()).lower()


def cv_fold(title: str, folds: int = 5, seed: str = CV_SEED) -> int:
    """The fold (0 .. folds-1) of a title: a seeded hash of its group, fixed for ever."""
    import hashlib

    digest = hashlib.sha256(f"{seed}:{cv_group(title)}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def cv_split(rows: Sequence["LabelledRow"], fold: int, folds: int = 5) -> tuple[list["LabelledRow"], list["LabelledRow"]]:
    """(rows to train on, rows held out) for one fold."""
    train = [row for row in rows if cv_fold(row.title, folds) != fold]
    held_out = [row for row in rows if cv_fold(row.title, folds) == fold]
    return train, held_out
