"""Re-train the classifier's n-gram model from a labelled TSV file.

    .venv/bin/python bench/train_classifier.py TRAIN.tsv [MORE.tsv ...] -o my-model.json.gz [--dev DEV.tsv]

The shipped model is trained on the whole corpus pool, in this order:

    .venv/bin/python bench/train_classifier.py tests/fixtures/classify/corpus/{train,dev,test,train2,train3}.tsv \
        -o src/cnca_watch/classifier_model.json.gz

TRAIN.tsv has a header row with `title` and `areas` (comma-separated ids, primary first,
empty = none) and optionally `body` and `in_domain` (yes/no).  With --dev, the new model is
scored on that file (titles alone and with bodies) and the figures are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cnca_watch.classify import load_vocabulary
from cnca_watch.errors import UsageError
from cnca_watch.evaluate import BUILTIN_AREAS, evaluate_modes, read_labelled
from cnca_watch.ngram import model_from_dict, write_model
from cnca_watch.train import TrainOptions, train_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path, nargs="+", help="labelled TSV files to learn from (rows in file order)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="model file to write (.json or .json.gz)")
    parser.add_argument("--dev", type=Path, help="labelled TSV to score the new model on")
    defaults = TrainOptions()
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--l2", type=float, default=defaults.l2)
    parser.add_argument("--body-weight", type=float, default=defaults.body_weight)
    args = parser.parse_args(argv)
    try:
        rows = [row for path in args.train for row in read_labelled(path)]
        dev = read_labelled(args.dev) if args.dev else None
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    options = TrainOptions(epochs=args.epochs, l2=args.l2, body_weight=args.body_weight)
    started = time.perf_counter()
    model = train_model(rows, options, areas=[a for a in BUILTIN_AREAS])
    print(f"trained on {len(rows)} rows in {time.perf_counter() - started:.1f}s: {model['meta']['features']} features kept")
    write_model(model, args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    if dev is not None:
        summary = evaluate_modes(dev, load_vocabulary(), classifier=_with(model))
        for report in (summary.title_only, summary.title_body):
            if report is None:
                continue
            print(
                f"{args.dev} [{report.mode}]: macro-F1 {report.macro_f1:.3f}, primary {report.primary_accuracy:.3f}, "
                f"no area in domain {report.in_domain_without_area}/{report.in_domain_rows}"
            )
            print("  " + "  ".join(f"{s.area} {s.f1:.2f}" for s in report.per_area if s.scored))
    return 0


def _with(model_dict):  # type: ignore[no-untyped-def]
    from cnca_watch.classify import classify_text

    model = model_from_dict(model_dict)
    vocabulary = load_vocabulary()
    return lambda title, body: classify_text(title, body, vocabulary, model=model)


if __name__ == "__main__":
    sys.exit(main())
