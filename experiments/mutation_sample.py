"""Small AST-based mutation-testing sampler (issue 15, item 2: first measurement).

For one library module this script

1. parses the module with :mod:`ast` and lists every mutation site for the
   operators below,
2. if there are more than ``--cap`` sites, samples ``--cap`` of them evenly
   over the file (sites sorted by line, split into ``cap`` equal bins, one site
   drawn per bin with ``random.Random(seed)``),
3. applies one mutant at a time to the module *in the working tree it is run
   from* (meant to be a scratch copy, never the real repository), runs the given
   pytest command with a timeout, records killed / survived / timed out, and
   restores the original file (also on Ctrl-C).

Operators
---------
``cmp``      flip comparisons  < <-> <=, > <-> >=, == <-> !=
``arith``    + <-> -, * <-> /  (binary operators and augmented assignments)
``const``    numeric constants 0 -> 1, 1 -> 0, 2 -> 3, otherwise x -> x + 1
``bool``     ``and`` <-> ``or``
``negif``    ``if c:`` -> ``if not (c):`` (also ``elif``, conditional expressions)
``raise``    ``raise ...`` -> ``pass``
``return``   ``return expr`` -> ``return None``

The mutated module is written with :func:`ast.unparse` (comments and
formatting are lost, behaviour is not changed apart from the mutation); a
baseline run of the un-mutated unparse is made first and must pass.  Bytecode
writing is disabled (``PYTHONDONTWRITEBYTECODE=1``) and the module's ``.pyc``
files are removed, so a stale cached module can never hide a mutant.

Example (from a scratch copy; the venv has rsmi installed editable from
the repository, hence the explicit PYTHONPATH)::

    cp -r . ../rsmi-mut && cd ../rsmi-mut
    PYTHONPATH=$PWD/src NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
    OPENBLAS_NUM_THREADS=1 nice -n 19 <repo>/.venv/bin/python \\
        experiments/mutation_sample.py src/rsmi/judge/tables.py \\
        --tests tests/test_tables.py tests/test_metrics.py \\
        --cap 40 --seed 15 --timeout 120 --out ../mut_tables.jsonl

Each output line is a JSON object: id, line, operator, description,
status (killed | survived | timeout | baseline), seconds.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
ARITH_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
OPSYM = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
         ast.NotEq: "!=", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _annotation_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, ast.arg) and node.annotation is not None:
            anns.append(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            anns.append(node.returns)
        if isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        for a in anns:
            ids.update(id(n) for n in ast.walk(a))
    return ids


def find_sites(tree: ast.AST) -> list[tuple]:
    """Return (line, col, path-index, operator, sub-index, description) sites.

    A site is identified by the position of its node in ``ast.walk`` order so
    that it can be found again in a fresh deep copy of the tree.
    """
    skip = _docstring_nodes(tree) | _annotation_nodes(tree)
    sites = []
    for idx, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        ln = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0)
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in CMP_SWAP:
                    new = CMP_SWAP[type(op)]
                    sites.append((ln, col, idx, "cmp", k,
                                  f"{OPSYM[type(op)]} -> {OPSYM[new]}"))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in ARITH_SWAP:
            new = ARITH_SWAP[type(node.op)]
            sites.append((ln, col, idx, "arith", 0, f"{OPSYM[type(node.op)]} -> {OPSYM[new]}"))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
              and not isinstance(node.value, bool)):
            v = node.value
            nv = {0: 1, 1: 0, 2: 3}.get(v, v + 1) if v in (0, 1, 2) else v + 1
            sites.append((ln, col, idx, "const", 0, f"{v!r} -> {nv!r}"))
        elif isinstance(node, ast.BoolOp):
            old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            sites.append((ln, col, idx, "bool", 0, f"{old} -> {new}"))
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            sites.append((ln, col, idx, "negif", 0, "condition -> not (condition)"))
        elif isinstance(node, ast.Raise):
            sites.append((ln, col, idx, "raise", 0, "raise ... -> pass"))
        elif isinstance(node, ast.Return) and node.value is not None:
            sites.append((ln, col, idx, "return", 0, "return expr -> return None"))
    return sites


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, repl: ast.AST):
        self.target, self.repl = target, repl

    def generic_visit(self, node):
        if node is self.target:
            return self.repl
        return super().generic_visit(node)

    def visit(self, node):
        if node is self.target:
            return self.repl
        return super().visit(node)


def mutate(tree: ast.AST, site: tuple) -> str:
    _, _, idx, op, k, _ = site
    t = copy.deepcopy(tree)
    node = list(ast.walk(t))[idx]
    if op == "cmp":
        node.ops[k] = CMP_SWAP[type(node.ops[k])]()
    elif op == "arith":
        node.op = ARITH_SWAP[type(node.op)]()
    elif op == "const":
        v = node.value
        node.value = {0: 1, 1: 0, 2: 3}.get(v, v + 1) if v in (0, 1, 2) else v + 1
    elif op == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif op == "negif":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif op == "raise":
        t = _Replace(node, ast.copy_location(ast.Pass(), node)).visit(t)
    elif op == "return":
        node.value = ast.Constant(value=None)
    ast.fix_missing_locations(t)
    return ast.unparse(t) + "\n"


def sample(sites: list[tuple], cap: int, seed: int) -> list[tuple]:
    sites = sorted(sites, key=lambda s: (s[0], s[1], s[3], s[4]))
    if len(sites) <= cap:
        return sites
    rng = random.Random(seed)
    n = len(sites)
    out = []
    for b in range(cap):
        lo, hi = (b * n) // cap, ((b + 1) * n) // cap
        out.append(sites[rng.randrange(lo, hi)])
    return out


def run_tests(cmd: list[str], timeout: float) -> tuple[str, float]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.time()
    try:
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout, env=env, start_new_session=True)
        status = "survived" if r.returncode == 0 else "killed"
        if r.returncode not in (0, 1):  # collection / internal errors still kill
            status = "killed"
    except subprocess.TimeoutExpired:
        status = "timeout"
    return status, time.time() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("module", type=Path, help="module file to mutate (in a scratch copy!)")
    p.add_argument("--tests", nargs="+", required=True, help="pytest targets")
    p.add_argument("--cap", type=int, default=40, help="max mutants (evenly sampled)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    p.add_argument("--out", type=Path, required=True, help="JSON-lines result file")
    p.add_argument("--list", action="store_true", help="only list the sampled mutants")
    a = p.parse_args(argv)

    src = a.module.read_text()
    tree = ast.parse(src)
    sites = find_sites(tree)
    chosen = sample(sites, a.cap, a.seed)
    print(f"{a.module}: {len(sites)} sites, {len(chosen)} sampled", flush=True)
    if a.list:
        for i, s in enumerate(chosen):
            print(i, f"{a.module}:{s[0]}", s[3], s[5])
        return 0

    cmd = [sys.executable, "-m", "pytest", *a.tests, "-q", "-x", "-p", "no:cacheprovider"]
    for pyc in a.module.parent.glob(f"__pycache__/{a.module.stem}.*.pyc"):
        pyc.unlink()
    with a.out.open("w") as fh:
        try:
            a.module.write_text(ast.unparse(tree) + "\n")
            status, dt = run_tests(cmd, a.timeout)
            rec = dict(id=-1, line=0, operator="none", description="baseline (unparsed, unmutated)",
                       status="baseline-" + status, seconds=round(dt, 1))
            fh.write(json.dumps(rec) + "\n"); fh.flush()
            print(rec, flush=True)
            if status != "survived":
                print("baseline fails: aborting", file=sys.stderr)
                return 2
            for i, s in enumerate(chosen):
                a.module.write_text(mutate(tree, s))
                status, dt = run_tests(cmd, a.timeout)
                rec = dict(id=i, line=s[0], operator=s[3], description=s[5],
                           status=status, seconds=round(dt, 1))
                fh.write(json.dumps(rec) + "\n"); fh.flush()
                print(rec, flush=True)
        finally:
            a.module.write_text(src)
    return 0


if __name__ == "__main__":
    sys.exit(main())
