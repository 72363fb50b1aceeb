#!/usr/bin/env python3
"""Validates the dumps a real service left, and records a service test's verdict.

Owns: the dump checks shared with the torture runner (tests/torture/run_case.py: name
leaktrack.<pid>.<seq>.pb.gz, mode 0600, no stray temp files, `go tool pprof -raw` with a clean
stderr, spec sample types, one dump symbolized with `leaktrack symbolize` when the CLI exists),
applied to every process of the service; and writing the JSON verdict gen_reliability.py reads.

Usage:
  check_dumps.py dumps DIR --min N [--cli PATH] [--work DIR]     exit 0 ok, 1 problems
  check_dumps.py record --results DIR --id S1 --name N --how H --result pass|fail|skip
                 --reason R
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torture"))
import run_case  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dumps")
    d.add_argument("dir")
    d.add_argument("--min", type=int, default=1)
    d.add_argument("--cli", default="")
    d.add_argument("--work", default="/tmp")
    r = sub.add_parser("record")
    for k in ("results", "id", "name", "how", "result", "reason"):
        r.add_argument(f"--{k}", required=True)
    r.add_argument("--priority", default="P0")
    a = p.parse_args()
    if a.cmd == "record":
        ns = argparse.Namespace(id=a.id, name=a.name, priority=a.priority, how=a.how,
                                rate="default", results=a.results)
        run_case.record(ns, a.result, a.reason, {})
        return 0
    ns = argparse.Namespace(min_dumps=a.min, max_dumps=-1, allow_stray=False, expect_live=[],
                            expect_inuse=[], expect_mapping=[], expect_stack=[], rate="default",
                            cli=a.cli, work=a.work, go="go")
    problems, notes = [], []
    run_case.validate_dumps(ns, a.dir, -1, problems, notes)
    print(f"dumps: {', '.join(notes)}")
    for prob in problems:
        print(f"PROBLEM: {prob}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
