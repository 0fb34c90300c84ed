"""Choose how the n-gram model joins the vocabulary, by the figures on a dev file.

    .venv/bin/python bench/tune_classifier.py TRAIN.tsv DEV.tsv [--top 10]

Trains a model on TRAIN.tsv (in memory), then scores DEV.tsv for each setting of the
``[model]`` blend (weight, add/fill thresholds, domain_in) -- titles alone and titles with
bodies -- and prints the best settings by the mean of macro-F1 and primary accuracy, next
to the vocabulary alone and the model alone.  Copy the chosen values into ``[model]`` in
areas.toml.  Never run it on a test split: that split is for the final figure only.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence

from cnca_watch.classify import Blend, Vocabulary, classify_text, load_vocabulary
from cnca_watch.evaluate import BUILTIN_AREAS, EvalReport, LabelledRow, evaluate, read_labelled
from cnca_watch.ngram import NgramModel, model_from_dict
from cnca_watch.train import TrainOptions, train_model


def _score(report: EvalReport) -> float:
    return ((report.macro_f1 or 0.0) + report.primary_accuracy) / 2


def _run(rows: Sequence[LabelledRow], vocabulary: Vocabulary, model: NgramModel | None, blend: Blend, use_body: bool) -> EvalReport:
    return evaluate(
        rows, vocabulary, use_body=use_body,
        classifier=lambda t, b: classify_text(t, b, vocabulary, model=model, blend=blend),
    )


def line(name: str, report: EvalReport) -> str:
    per_area = " ".join(f"{s.area[:5]} {s.f1:.2f}" for s in report.per_area if s.scored)
    return (
        f"{name:<58} F1 {report.macro_f1 or 0:.3f} prim {report.primary_accuracy:.3f} "
        f"strict {report.strict_primary_accuracy:.3f} none {report.in_domain_without_area}/{report.in_domain_rows} "
        f"out+ {report.outside_tagged} | {per_area}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train")
    parser.add_argument("dev")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--body-weight", type=float, default=TrainOptions().body_weight)
    parser.add_argument("--epochs", type=int, default=TrainOptions().epochs)
    parser.add_argument("--l2", type=float, default=TrainOptions().l2)
    args = parser.parse_args()
    vocabulary = load_vocabulary()
    train, dev = read_labelled(args.train), read_labelled(args.dev)
    options = TrainOptions(body_weight=args.body_weight, epochs=args.epochs, l2=args.l2)
    model = model_from_dict(train_model(train, options, areas=list(BUILTIN_AREAS)))
    modes = [False] + ([True] if any(r.body for r in dev) else [])
    for use_body in modes:
        mode = "title+body" if use_body else "title"
        print(f"== {mode}")
        print(line("vocabulary only", _run(dev, vocabulary, None, Blend(), use_body)))
        model_only = Blend(weight=100.0, add_threshold=0.5, fill_threshold=0.0)
        results = []
        for weight, add, fill, dom in itertools.product((3.0, 6.0, 9.0, 12.0), (0.3, 0.4, 0.5, 0.6, 0.7), (0.0, 0.1, 0.2, 0.3), (0.3, 0.5, 0.7, 1.01)):
            blend = Blend(weight=weight, add_threshold=add, fill_threshold=fill, domain_in=dom)
            report = _run(dev, vocabulary, model, blend, use_body)
            results.append((_score(report), blend, report))
        results.sort(key=lambda item: -item[0])
        print(line("model dominant (weight 100)", _run(dev, vocabulary, model, model_only, use_body)))
        for _, blend, report in results[: args.top]:
            name = f"w={blend.weight:g} add={blend.add_threshold:g} fill={blend.fill_threshold:g} dom={blend.domain_in:g}"
            print(line(name, report))


if __name__ == "__main__":
    main()
