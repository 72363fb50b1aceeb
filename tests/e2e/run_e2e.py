#!/usr/bin/env python3
"""End-to-end tests of libleaktrack.so: real programs under LD_PRELOAD, dumps read back with
`go tool pprof -raw`. Usage: run_e2e.py SHIM FIXTURE CASE. Exit 0 = pass, 1 = fail, 77 = skip.

Statistical checks use 5 standard deviations of the sampling estimator (PPROF.md §5): the odds
of a false failure are below 1e-6 per check.
"""
import glob
import gzip
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pprof_raw  # noqa: E402

SKIP = 77


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(shim, fixture, args, env_extra, workdir, preload=None, timeout=120):
    env = dict(os.environ)
    env.update(env_extra)
    env["LD_PRELOAD"] = preload or shim
    env.setdefault("LEAKTRACK_DIR", workdir)
    return subprocess.run([fixture, *args], env=env, cwd=workdir, capture_output=True, text=True,
                          timeout=timeout)


def dumps(workdir, pid=None):
    pattern = f"leaktrack.{pid}.*.pb.gz" if pid else "leaktrack.*.pb.gz"
    files = glob.glob(os.path.join(workdir, pattern))
    return sorted(files, key=lambda f: int(f.rsplit(".", 3)[-3]))


PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def decodes(path):
    """True when the gzipped file decodes as perftools.profiles.Profile (protoc)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    proc = subprocess.run(["protoc", f"--proto_path={PROTO_DIR}",
                           "--decode=perftools.profiles.Profile", "profile.proto"],
                          input=data, capture_output=True, timeout=60)
    return proc.returncode == 0 and b"sample_type" in proc.stdout


def load(path):
    return pprof_raw.parse_raw(pprof_raw.pprof("-raw", path))


def case_sites(shim, fixture, workdir):
    """Every entry point at rate 1 lands on its calling function with exact values."""
    r = run(shim, fixture, ["sites"], {"LEAKTRACK_RATE": "1"}, workdir)
    check(r.returncode == 0 and "sites done" in r.stdout, f"fixture failed: {r}")
    files = dumps(workdir)
    check(len(files) == 1, f"expected one dump, got {files}")
    text = pprof_raw.pprof("-raw", files[0])
    # The header tells the shim's own memory: some of it written (the tables took ~200
    # samples), and never more than it reserved.
    m = re.search(r"own memory: ([0-9.]+) MiB resident of ([0-9.]+) MiB reserved", text)
    check(m and 0 < float(m.group(1)) <= float(m.group(2)),
          f"no plausible own-memory comment: {m and m.group(0)}")
    samples, locations = pprof_raw.parse_raw(text)
    totals = pprof_raw.totals_by_leaf(samples, locations)
    expected = {  # function: [alloc_objects, alloc_space, inuse_objects, inuse_space]
        "site_malloc": [11, 11000, 11, 11000],
        "site_calloc": [12, 12000, 12, 12000],
        "site_realloc": [26, 13 * 8 + 13000, 13, 13000],
        "site_reallocarray": [14, 14000, 14, 14000],
        "site_posix_memalign": [15, 15000, 15, 15000],
        "site_aligned_alloc": [16, 16 * 1024, 16, 16 * 1024],
        "site_memalign": [17, 17000, 17, 17000],
        "site_valloc": [18, 18000, 18, 18000],
        "site_pvalloc": [19, 19000, 19, 19000],
        "site_new": [20, 20000, 20, 20000],
        "site_new_scalar": [21, 21000, 21, 21000],
        "site_new_nothrow": [22, 22000, 22, 22000],
        "site_new_aligned": [23, 23 * 1024, 23, 23 * 1024],
        "site_freed": [24, 24000, 0, 0],
    }
    errors = [f"{fn}: got {totals.get(fn)} want {want}" for fn, want in expected.items()
              if totals.get(fn) != want]
    check(not errors, "wrong values:\n  " + "\n  ".join(errors))


def case_stack_churn(shim, fixture, workdir):
    """A table full of stacks without live blocks still takes a leak that starts late.

    8192 distinct stacks allocate and free at once, in a table of 256; then 100 blocks leak from
    a stack never seen before. At rate 1 everything is exact: the leak in full, and every
    allocation counted once, either under its own stack or under the evicted stacks' frame.
    (Before eviction the table filled and the leak was dropped: 0 bytes in use.)
    """
    r = run(shim, fixture, ["stack_churn"],
            {"LEAKTRACK_RATE": "1", "LEAKTRACK_MAX_STACKS": "256", "LEAKTRACK_AT_EXIT": "1"},
            workdir)
    check(r.returncode == 0 and "truth churn_leaf alloc_objects=8192" in r.stdout,
          f"fixture failed: {r}")
    files = dumps(workdir)
    check(len(files) == 1, f"expected one dump, got {files}")
    text = pprof_raw.pprof("-raw", files[0])
    samples, locations = pprof_raw.parse_raw(text)
    totals = pprof_raw.totals_by_leaf(samples, locations)
    check(totals.get("late_leak") == [100, 400000, 100, 400000],
          f"late_leak: got {totals.get('late_leak')}, want [100, 400000, 100, 400000]")
    evicted = totals.get("[evicted")  # the frame "[evicted stacks]", cut at its space
    check(evicted is not None and evicted[2:] == [0, 0] and evicted[0] > 0,
          f"evicted stacks' frame: got {evicted}, want allocations and nothing in use")
    m = re.search(r"evicted_stacks=(\d+)", text)
    check(m and int(m.group(1)) > 0, "no evicted_stacks count in the comments")
    check("dropped_samples=0" in text, "samples were dropped")
    # Every churn allocation counted once: in its own stack's sample or in the evicted ones',
    # which may also hold a few of the program's start-up allocations (freed ones only).
    churn = totals.get("churn_leaf", [0, 0, 0, 0])
    counted = churn[0] + evicted[0]
    check(8192 <= counted <= 8192 + 64 and churn[2] == 0,
          f"churn_leaf {churn} + evicted {evicted}: want 8192 allocations, none in use")


def case_statistical(shim, fixture, workdir):
    """At the default rate, the live estimate falls within 5 sigma of the truth."""
    r = run(shim, fixture, ["stat"], {}, workdir)
    check(r.returncode == 0, f"fixture failed: {r.stderr}")
    truth = int(re.search(r"inuse_space=(\d+)", r.stdout).group(1))
    files = dumps(workdir)
    check(len(files) == 1, f"expected one dump, got {files}")
    samples, locations = load(files[0])
    got = pprof_raw.totals_by_leaf(samples, locations).get("hold_blocks", [0, 0, 0, 0])
    rate, size, n = 524288, 4096, truth // 4096
    p = 1 - math.exp(-size / rate)
    sigma = math.sqrt(n * size * size * (1 - p) / p)
    print(f"hold_blocks inuse_space estimate {got[3]} truth {truth} sigma {sigma:.0f} "
          f"({got[3] / truth - 1:+.2%})")
    check(abs(got[3] - truth) <= 5 * sigma, f"estimate {got[3]} outside {truth} +- 5*{sigma:.0f}")
    churn = pprof_raw.totals_by_leaf(samples, locations).get("churn_blocks", [0, 0, 0, 0])
    check(churn[3] < 5 * sigma, f"churn shows live bytes {churn[3]}")
    # churn allocated 512 MiB in sizes 16..4111: the variance of its alloc_space estimate,
    # sum of s^2 (1-p)/p, is at most R * total (s^2/p <= s (R + s) and s << R here).
    churn_truth = 512 << 20
    churn_sigma = math.sqrt(rate * churn_truth)
    print(f"churn_blocks alloc_space estimate {churn[1]} truth {churn_truth} sigma <= {churn_sigma:.0f}")
    check(abs(churn[1] - churn_truth) <= 5 * churn_sigma, f"churn alloc_space {churn[1]}")


def storm(shim, fixture, workdir, preload, label):
    env = dict(os.environ, LD_PRELOAD=preload, LEAKTRACK_DIR=workdir, LEAKTRACK_RATE="4096")
    proc = subprocess.Popen([fixture, "storm", "4"], env=env, cwd=workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    check(proc.stdout.readline().strip() == "ready", "fixture did not start")
    sent = 0
    deadline = time.time() + 3.5
    while time.time() < deadline:
        os.kill(proc.pid, signal.SIGUSR2)
        sent += 1
        time.sleep(0.01)
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0 and "storm done" in out, f"{label}: rc {proc.returncode} {err}")
    files = dumps(workdir)
    print(f"{label}: {sent} signals, {len(files)} dumps")
    # Signals that arrive during a dump are folded into one more pass, so files < signals.
    check(len(files) >= 10, f"{label}: only {len(files)} dumps for {sent} signals")
    # Every dump must decode as a profile.proto; go tool pprof (slow to start) reads a spread.
    for f in files:
        check(decodes(f), f"{label}: {f} does not decode")
    for f in files[:: max(1, len(files) // 5)]:
        samples = pprof_raw.parse_raw(pprof_raw.pprof("-raw", f), symbolize=False)[0]
        check(samples, f"{label}: {f} has no samples")


def case_storm(shim, fixture, workdir):
    """Hundreds of SIGUSR2 while 4 threads malloc/realloc/free: no crash, every dump valid."""
    storm(shim, fixture, workdir, shim, "glibc")


def allocator(name):
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def case_storm_jemalloc(shim, fixture, workdir):
    """The same storm with jemalloc underneath the shim."""
    lib = allocator("libjemalloc.so.2")
    if lib is None:
        print("skip: libjemalloc.so.2 not installed")
        sys.exit(SKIP)
    storm(shim, fixture, workdir, f"{shim} {lib}", "jemalloc")


def case_storm_tcmalloc(shim, fixture, workdir):
    """The same storm with tcmalloc underneath the shim."""
    lib = allocator("libtcmalloc_minimal.so.4") or allocator("libtcmalloc.so.4")
    if lib is None:
        print("skip: tcmalloc not installed")
        sys.exit(SKIP)
    storm(shim, fixture, workdir, f"{shim} {lib}", "tcmalloc")


def case_fork(shim, fixture, workdir):
    """A forked child keeps profiling and dumps under its own pid."""
    r = run(shim, fixture, ["fork"], {"LEAKTRACK_RATE": "1"}, workdir)
    check(r.returncode == 0, f"fixture failed: {r.stdout} {r.stderr}")
    child = int(re.search(r"child (\d+)", r.stdout).group(1))
    child_files = dumps(workdir, child)
    check(len(child_files) == 1, f"child dumps: {child_files}")
    parent_files = [f for f in dumps(workdir) if f not in child_files]
    check(len(parent_files) == 1, f"parent dumps: {parent_files}")
    samples, locations = load(child_files[0])
    hold = pprof_raw.totals_by_leaf(samples, locations).get("hold_blocks")
    check(hold == [17, 10 * 5000 + 7 * 7000, 17, 10 * 5000 + 7 * 7000], f"child values {hold}")
    samples, locations = load(parent_files[0])
    hold = pprof_raw.totals_by_leaf(samples, locations).get("hold_blocks")
    check(hold == [10, 50000, 10, 50000], f"parent values {hold}")


def case_program_owns_signal(shim, fixture, workdir):
    """A program that installs its own SIGUSR2 handler keeps it; the shim writes nothing."""
    env = dict(os.environ, LD_PRELOAD=shim, LEAKTRACK_DIR=workdir)
    proc = subprocess.Popen([fixture, "own_signal"], env=env, cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(proc.stdout.readline().strip() == "ready", "fixture did not start")
    for _ in range(10):
        os.kill(proc.pid, signal.SIGUSR2)
        time.sleep(0.02)
    out, err = proc.communicate(timeout=30)
    check(proc.returncode == 0 and "handler saw 10" in out, f"program changed: {out} {err}")
    check(not dumps(workdir), "the shim dumped on a signal the program owns")


def case_main_pthread_exit(shim, fixture, workdir):
    """A process whose main thread called pthread_exit ends with its last thread, interval
    thread or not. (The shim's interval thread used to keep it alive for good, and as it blocks
    every signal, SIGTERM could not end it either.)"""
    start = time.monotonic()
    try:
        r = run(shim, fixture, ["main_pthread_exit"],
                {"LEAKTRACK_INTERVAL": "1", "LEAKTRACK_AT_EXIT": "1", "LEAKTRACK_RATE": "1"},
                workdir, timeout=10)
    except subprocess.TimeoutExpired:
        raise Failure("the process outlived its last thread (killed after 10 s)")
    elapsed = time.monotonic() - start
    check(r.returncode == 0 and "worker done" in r.stdout, f"program changed: {r}")
    # The worker runs 0.3 s; the interval thread looks every 0.1 s whether it is alone.
    check(elapsed < 3, f"took {elapsed:.1f} s")
    files = dumps(workdir)
    check(len(files) == 1, f"expected the at-exit dump, got {files}")
    hold = pprof_raw.totals_by_leaf(*load(files[0])).get("hold_blocks")
    check(hold == [5, 15000, 5, 15000], f"hold_blocks {hold}")


def case_dump_failure(shim, fixture, workdir):
    """A dump into a missing directory prints one line and the program carries on."""
    env = {"LEAKTRACK_DIR": os.path.join(workdir, "missing"), "LEAKTRACK_AT_EXIT": "1"}
    r = run(shim, fixture, ["sleep", "50"], env, workdir)
    check(r.returncode == 0 and "slept" in r.stdout, f"program harmed: {r}")
    lines = [l for l in r.stderr.splitlines() if l.startswith("leaktrack: ")]
    check(len(lines) == 1 and "dump failed" in lines[0] and "ENOENT" in lines[0],
          f"stderr: {r.stderr!r}")


def case_at_exit_and_interval(shim, fixture, workdir):
    """LEAKTRACK_AT_EXIT writes a final dump; LEAKTRACK_INTERVAL writes periodic ones."""
    r = run(shim, fixture, ["sleep", "600"], {"LEAKTRACK_AT_EXIT": "1", "LEAKTRACK_RATE": "1",
                                               "LEAKTRACK_INTERVAL": "0.1"}, workdir)
    check(r.returncode == 0, f"fixture failed: {r}")
    files = dumps(workdir)
    check(len(files) >= 4, f"expected >= 4 dumps (5 periodic + 1 at exit), got {len(files)}")
    samples, locations = load(files[-1])
    hold = pprof_raw.totals_by_leaf(samples, locations).get("hold_blocks")
    check(hold is not None, "the at-exit dump lacks hold_blocks")


def case_keep(shim, fixture, workdir):
    """LEAKTRACK_KEEP bounds the dumps a process leaves: its first and its newest keep - 1.

    Periodic dumps every 50 ms for a second, and one at exit: about 20 written, 3 kept.
    """
    r = run(shim, fixture, ["sleep", "1000"], {"LEAKTRACK_AT_EXIT": "1", "LEAKTRACK_RATE": "1",
                                                "LEAKTRACK_INTERVAL": "0.05",
                                                "LEAKTRACK_KEEP": "3"}, workdir)
    check(r.returncode == 0, f"fixture failed: {r}")
    files = dumps(workdir)
    seqs = [int(f.rsplit(".", 3)[-3]) for f in files]
    check(len(seqs) == 3 and seqs[0] == 0 and seqs[2] >= 5 and seqs[1] == seqs[2] - 1,
          f"want dump 0 and the newest two of at least 6, got {seqs}")
    samples, locations = load(files[-1])
    check(pprof_raw.totals_by_leaf(samples, locations).get("hold_blocks") is not None,
          "the newest dump, written at exit, lacks hold_blocks")


def case_bad_config(shim, fixture, workdir):
    """An invalid LEAKTRACK_* value gets one clear line and the default; the program runs."""
    r = run(shim, fixture, ["sleep", "10"], {"LEAKTRACK_RATE": "lots", "LEAKTRACK_SIGNAL": "KILL"},
            workdir)
    check(r.returncode == 0 and "slept" in r.stdout, f"program harmed: {r}")
    lines = [l for l in r.stderr.splitlines() if l.startswith("leaktrack: ")]
    check(len(lines) == 2, f"stderr: {r.stderr!r}")
    check("LEAKTRACK_RATE" in lines[0] and "LEAKTRACK_SIGNAL" in lines[1], f"stderr: {lines}")


CHECKED = "LEAKTRACK_TEST_CHECK_UNWIND: checking walks from the caller"
SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def walk_checked(label, r):
    """The run exited 0 and its walks from the caller were checked (the shim aborts on a
    mismatch, so a clean exit means every checked walk agreed)."""
    check(r.returncode == 0, f"{label}: rc {r.returncode}, stderr {r.stderr[-2000:]!r}")
    check(CHECKED in r.stderr, f"{label}: no walk from the caller was checked: {r.stderr!r}")


def case_walk_from_caller(shim, fixture, workdir):
    """A sample's stack walked from the frame that called malloc (hooks.cc's entry stub) is the
    stack the full walk from inside the shim finds, frame for frame (the shim checks each one
    and aborts on a difference: LEAKTRACK_TEST_CHECK_UNWIND, test builds only). Programs: every
    entry point at -O0 with frame pointers (whole depth, and cut to 3 frames so every stack is
    truncated), optimised code without frame pointers on 4 threads (python3), and a C++
    compiler's deep recursive stacks (cc1plus, reached through exec)."""
    env = {"LEAKTRACK_TEST_CHECK_UNWIND": "2", "LEAKTRACK_RATE": "1"}  # 2: and say it ran
    walk_checked("fixture sites", run(shim, fixture, ["sites"], env, workdir))
    walk_checked("fixture sites, depth 3",
                 run(shim, fixture, ["sites"], dict(env, LEAKTRACK_DEPTH="3"), workdir))
    threads = ("import json, threading\n"
               "def work():\n"
               "    for i in range(5000): json.dumps({'a': [i] * 10, 'b': str(i) * 5})\n"
               "ts = [threading.Thread(target=work) for _ in range(4)]\n"
               "[t.start() for t in ts]; [t.join() for t in ts]\n")
    r = run(shim, "/usr/bin/python3", ["-c", threads], dict(env, LEAKTRACK_RATE="256"), workdir)
    walk_checked("python3, 4 threads", r)
    source = os.path.join(SOURCE_DIR, "bench", "workloads", "compile_input.cc")
    r = run(shim, "g++", ["-O1", "-fsyntax-only", source], dict(env, LEAKTRACK_RATE="16384"),
            workdir)
    walk_checked("g++ -fsyntax-only", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    shim, fixture, case = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="leaktrack-e2e-") as workdir:
        try:
            CASES[case](os.path.abspath(shim), os.path.abspath(fixture), workdir)
        except (Failure, AssertionError, subprocess.TimeoutExpired) as e:
            print(f"FAIL {case}: {e}")
            return 1
    print(f"PASS {case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
