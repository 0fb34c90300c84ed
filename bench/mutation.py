"""Mutation testing of the core modules: do the tests notice when the code is wrong?

    .venv/bin/python bench/mutation.py [--sample N] [--seed S] [--jobs J] [--timeout SEC]
                                       [--module PATH ...] [--list] [--survivors]

Each mutant is one small edit of one module — an operator swapped (``==``/``!=``,
``<``/``<=``, ``+``/``-``, ``and``/``or``, ``in``/``not in``, ``not x``/``x``), a constant
changed (``n`` → ``n + 1``, ``True``/``False``, a short string emptied), or one statement
deleted.  Each is written into a private copy of ``src/`` and ``tests/`` (under
``bench/.work/``, never the working tree), and the test files that cover the module run
against it with ``-x`` and a per-mutant timeout.  A failing (or timed-out) run kills the
mutant; a green one lets it survive, and the survivors are printed for review.
Outcomes are saved in ``bench/.work/mutation/last.json``; ``--survivors`` re-runs only the
mutants that survived there (after adding tests: a killed mutant stays killed), as long as
the mutated modules have not changed since.

Not part of CI: a full sample takes minutes.  ``docs/MUTATION.md`` records the last review.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "mutation"
LAST = WORK / "last.json"

# Module (relative to src/cnca_watch) → the test files that exercise it directly.
STORE_TESTS = ("tests/test_store_units.py", "tests/test_store.py", "tests/test_store_faults.py", "tests/test_store_readonly.py")
TARGETS: dict[str, tuple[str, ...]] = {
    "diff.py": ("tests/test_diff.py",),
    "config.py": ("tests/test_config.py", "tests/test_config_validation_more.py"),
    "render/safe.py": ("tests/test_render_safe.py", "tests/test_render_hostile.py"),
    "antibot.py": ("tests/test_antibot.py",),
    **{f"store/{p.name}": STORE_TESTS for p in sorted((ROOT / "src/cnca_watch/store").glob("*.py"))},
}

_SWAPS: dict[type[ast.AST], type[ast.AST]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
    ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.And: ast.Or, ast.Or: ast.And, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mutant:
    module: str  # relative to src/cnca_watch
    index: int  # which candidate site, in ast.walk order
    line: int
    description: str


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Ids of nodes never mutated: annotations, docstrings, imports and f-string pieces."""
    skip: set[int] = set()

    def skip_all(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)):
            skip_all(node)
        if isinstance(node, ast.AnnAssign):
            skip_all(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip_all(node.returns)
            for arg in node.args.args + node.args.kwonlyargs + node.args.posonlyargs:
                skip_all(arg.annotation)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                skip_all(body[0])
    return skip


def _sites(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every mutable place in ``tree`` with what the mutation does there (walk order)."""
    skip = _skipped_nodes(tree)
    found: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in _SWAPS:
            found.append((node, f"{type(node.op).__name__} -> {_SWAPS[type(node.op)].__name__}"))
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in _SWAPS:
            found.append((node, f"{type(node.ops[0]).__name__} -> {_SWAPS[type(node.ops[0])].__name__}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append((node, "drop `not`"))
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                found.append((node, f"{value} -> {not value}"))
            elif isinstance(value, int):
                found.append((node, f"{value} -> {value + 1}"))
            elif isinstance(value, str) and 0 < len(value) <= 24:
                found.append((node, f"{value!r} -> ''"))
        elif isinstance(node, ast.stmt) and not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass, ast.Import, ast.ImportFrom)
        ):
            found.append((node, f"delete `{ast.unparse(node).splitlines()[0][:60]}`"))
    return found


def _apply(site: ast.AST) -> None:
    if isinstance(site, (ast.BinOp, ast.BoolOp)):
        site.op = _SWAPS[type(site.op)]()  # type: ignore[assignment]
    elif isinstance(site, ast.Compare):
        site.ops[0] = _SWAPS[type(site.ops[0])]()  # type: ignore[call-overload]
    elif isinstance(site, ast.Constant):
        value = site.value
        site.value = (not value) if isinstance(value, bool) else value + 1 if isinstance(value, int) else ""
    elif isinstance(site, ast.stmt):
        # Turned into `pass` by the transformer below (a statement cannot replace itself).
        setattr(site, "_delete", True)


class _Rewrite(ast.NodeTransformer):
    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        return node.operand if getattr(node, "_drop_not", False) else node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if getattr(node, "_delete", False):
            return ast.copy_location(ast.Pass(), node)
        return super().generic_visit(node)


def mutated_source(source: str, index: int) -> str:
    tree = ast.parse(source)
    site, _ = _sites(tree)[index]
    if isinstance(site, ast.UnaryOp):
        setattr(site, "_drop_not", True)
    else:
        _apply(site)
    return ast.unparse(ast.fix_missing_locations(_Rewrite().visit(tree)))


def all_mutants(modules: list[str]) -> list[Mutant]:
    mutants: list[Mutant] = []
    for module in modules:
        tree = ast.parse((ROOT / "src/cnca_watch" / module).read_text(encoding="utf-8"))
        for index, (site, what) in enumerate(_sites(tree)):
            mutants.append(Mutant(module, index, getattr(site, "lineno", 0), what))
    return mutants


def _prepare(slot: Path) -> None:
    if slot.exists():
        shutil.rmtree(slot)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    shutil.copytree(ROOT / "src", slot / "src", ignore=ignore)
    shutil.copytree(ROOT / "tests", slot / "tests", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", slot / "pyproject.toml")


def run_mutant(mutant: Mutant, slot: Path, timeout: float) -> str:
    """'killed', 'survived' or 'timeout' (counted as killed: the tests noticed)."""
    target = slot / "src/cnca_watch" / mutant.module
    original = (ROOT / "src/cnca_watch" / mutant.module).read_text(encoding="utf-8")
    target.write_text(mutated_source(original, mutant.index), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(slot / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TARGETS[mutant.module]]
    try:
        done = subprocess.run(command, cwd=slot, env=env, capture_output=True, timeout=timeout)
        return "survived" if done.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        target.write_text(original, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=150, help="mutants to run (0 = all)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    parser.add_argument("--module", action="append", help="only these modules (relative to src/cnca_watch)")
    parser.add_argument("--list", action="store_true", help="list the sampled mutants and stop")
    parser.add_argument("--survivors", action="store_true", help=f"re-run only the survivors in {LAST}")
    args = parser.parse_args(argv)

    modules = args.module or sorted(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        parser.error(f"no test mapping for {', '.join(unknown)}; known: {', '.join(sorted(TARGETS))}")
    mutants = all_mutants(modules)
    chosen = mutants if args.sample <= 0 else random.Random(args.seed).sample(mutants, min(args.sample, len(mutants)))
    chosen.sort(key=lambda m: (m.module, m.line, m.index))
    outcomes: dict[Mutant, str] = {}
    if args.survivors:
        if not LAST.is_file():
            parser.error(f"no earlier run in {LAST}: run without --survivors first")
        saved = json.loads(LAST.read_text(encoding="utf-8"))
        by_key = {(m.module, m.index): m for m in mutants}
        earlier = {by_key[(r["module"], r["index"])]: r["outcome"] for r in saved if (r["module"], r["index"]) in by_key}
        if len(earlier) != len(saved) or any(m.description != r["description"] for m, r in zip(earlier, saved)):
            parser.error("the modules changed since the saved run: run the whole sample again")
        chosen = list(earlier)
        outcomes = {m: o for m, o in earlier.items() if o != "survived"}
    print(f"{len(mutants)} mutants in {len(modules)} modules; {len(chosen)} sampled (seed {args.seed}),"
          f" {len(chosen) - len(outcomes)} to run")  # fmt: skip
    if args.list:
        for m in chosen:
            print(f"  {m.module}:{m.line}  {m.description}")
        return 0

    slots = [WORK / f"slot{n}" for n in range(max(1, args.jobs))]
    for slot in slots:
        _prepare(slot)
    free = list(slots)
    started = time.monotonic()

    def work(mutant: Mutant) -> None:
        slot = free.pop()  # list.pop is atomic; there are exactly as many slots as threads
        try:
            outcomes[mutant] = run_mutant(mutant, slot, args.timeout)
        finally:
            free.append(slot)
        print(f"  [{len(outcomes)}/{len(chosen)}] {outcomes[mutant]:8} {mutant.module}:{mutant.line} {mutant.description}", flush=True)

    with ThreadPoolExecutor(max_workers=len(slots)) as pool:
        list(pool.map(work, [m for m in chosen if m not in outcomes]))
    LAST.write_text(
        json.dumps([{**asdict(m), "outcome": outcomes[m]} for m in chosen], ensure_ascii=False, indent=1),
        encoding="utf-8",
    )

    survivors = [m for m in chosen if outcomes[m] == "survived"]
    killed = len(chosen) - len(survivors)
    print(f"\nkilled {killed}/{len(chosen)} = {100 * killed / max(1, len(chosen)):.1f}%"
          f" in {time.monotonic() - started:.0f}s")  # fmt: skip
    for module in modules:
        mine = [m for m in chosen if m.module == module]
        if mine:
            dead = sum(outcomes[m] != "survived" for m in mine)
            print(f"  {module:24} {dead}/{len(mine)}")
    print("\nsurvivors:")
    for m in survivors:
        print(f"  {m.module}:{m.line}  {m.description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
