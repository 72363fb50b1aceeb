#!/usr/bin/env python3
"""Differential runner for one torture case: the same program without and with the shim.

Owns: running a case twice (baseline without libleaktrack.so, then shimmed), each under a
watchdog that, when the run hangs, records every thread's backtrace of every process in the
run's tree with `gdb -batch -p PID -ex 'thread apply all bt'` before killing it; comparing exit
status or signal, stdout, stderr (the shim's own "leaktrack: " lines removed) and the files the
program left in its working directory; validating every dump the shim wrote (name, mode 0600,
`go tool pprof -raw` clean, optional live-set checks at rate 1, optional symbolization with the
CLI); and recording the verdict as JSON for gen_reliability.py.

Never: decides a case passed when the baseline itself misbehaved ("baseline-invalid" fails),
or reports a case the platform cannot run as passed (exit 77 = ctest SKIP_RETURN_CODE).

Exit codes: 0 pass, 1 fail, 77 skipped (the reason is printed and recorded).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time

import attribution

SKIP = 77
SHIM_PREFIX = "leaktrack: "
DUMP_RE = re.compile(r"^leaktrack\.(\d+)\.(\d+)\.pb\.gz$")
CORE_RE = re.compile(r"^core(\.\d+)?$")
MAX_VALIDATED_DUMPS = 12
SAMPLE_TYPES = "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--id", required=True, help="TORTURE.md row, e.g. A1")
    p.add_argument("--name", required=True, help="test name, unique per row")
    p.add_argument("--priority", default="P0")
    p.add_argument("--how", default="", help="one line: how the row is tested")
    p.add_argument("--shim", required=True, help="absolute path of libleaktrack.so")
    p.add_argument("--rate", default="default", help="'1' or 'default' (LEAKTRACK_RATE unset)")
    p.add_argument("--work", required=True, help="scratch directory (wiped)")
    p.add_argument("--results", required=True, help="directory for the JSON verdict")
    p.add_argument("--timeout", type=float, default=60.0, help="watchdog seconds per run")
    p.add_argument("--env", action="append", default=[], help="K=V for both runs")
    p.add_argument("--shim-env", action="append", default=[], help="K=V for the shim run only")
    p.add_argument("--preload-before", action="append", default=[],
                   help="extra preload placed before the shim (also in the baseline)")
    p.add_argument("--preload-after", action="append", default=[],
                   help="extra preload placed after the shim (also in the baseline)")
    p.add_argument("--expect-status", type=int, default=0,
                   help="expected baseline status; negative = killed by that signal")
    p.add_argument("--min-dumps", type=int, default=0)
    p.add_argument("--max-dumps", type=int, default=-1)
    p.add_argument("--expect-shim-log", action="append", default=[],
                   help="regex that must match a 'leaktrack: ' stderr line of the shim run")
    p.add_argument("--max-shim-log-lines", type=int, default=-1)
    p.add_argument("--expect-live", action="append", default=[],
                   help="SIZE:COUNT (or SIZE:>=COUNT) in-use objects of that size in the "
                        "main process's last dump; checked at rate 1 only")
    p.add_argument("--expect-inuse", action="append", default=[],
                   help="LO:HI:BYTES:TOL: the main process's last dump estimates BYTES in-use "
                        "bytes (relative tolerance TOL) for objects of LO..HI bytes; any rate")
    p.add_argument("--expect-mapping", action="append", default=[],
                   help="library file name that the main process's last dump must list in its "
                        "Mapping table with a build ID (distinct from the other such libraries)")
    p.add_argument("--expect-stack", action="append", default=[],
                   help="SIZE:lib@func,lib@func,...: every sample of SIZE-byte objects in the "
                        "main process's last dump starts with these frames (innermost first), "
                        "both as pprof symbolizes it and as `leaktrack symbolize` does; at rate "
                        "1 each spec needs a sample, at the default rate at least one overall")
    p.add_argument("--needs-fi", action="store_true", help="needs LEAKTRACK_FAULT_INJECTION")
    p.add_argument("--fi-enabled", default="0")
    p.add_argument("--expect-extra-stderr", default="",
                   help="regex: the shim run's stderr must have exactly one line more than the "
                        "baseline's, matching it (a documented platform message); the rest "
                        "is compared as usual")
    p.add_argument("--no-stderr-compare", action="store_true",
                   help="stderr carries unavoidable differences (e.g. pids); say why in the case")
    p.add_argument("--allow-stray", action="store_true",
                   help="the dump directory may hold non-dump files the program made")
    p.add_argument("--cli", default="", help="build/leaktrack, used to symbolize one dump")
    p.add_argument("--go", default="go")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    if a.cmd and a.cmd[0] == "--":
        a.cmd = a.cmd[1:]
    if not a.cmd:
        p.error("missing program after --")
    return a


def kv_list(items):
    out = {}
    for item in items:
        if "=" not in item:
            sys.exit(f"run_case: bad K=V '{item}'")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def expand(s, cwd, dumps):
    return s.replace("@CWD@", cwd).replace("@DUMPS@", dumps)


def process_tree(root):
    """Pids of root and all its descendants (via /proc/*/stat ppid)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            ppid = int(st[st.rfind(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def backtraces(root, log_path):
    """On a hang: every thread's backtrace of every process of the run, before killing."""
    text = []
    for pid in process_tree(root)[:6]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            cmd = "?"
        text.append(f"==== pid {pid}: {cmd}")
        try:
            r = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid),
                                "-ex", "thread apply all bt"],
                               capture_output=True, text=True, timeout=90)
            text.append(r.stdout[-20000:])
            text.append(r.stderr[-2000:])
        except (OSError, subprocess.TimeoutExpired) as e:
            text.append(f"gdb failed: {e}")
    out = "\n".join(text)
    with open(log_path, "w") as f:
        f.write(out)
    return out


def run_once(label, cmd, env, cwd, timeout, work):
    """Runs cmd under the watchdog. Returns dict(status, stdout, stderr, hung, seconds, pid)."""
    t0 = time.monotonic()
    out_path = os.path.join(work, f"{label}.stdout")
    err_path = os.path.join(work, f"{label}.stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        hung, bt = False, ""
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            hung = True
            bt = backtraces(proc.pid, os.path.join(work, f"{label}.hang-backtraces.txt"))
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    # Stragglers of the run's session (daemonized children) must not outlive the case.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read()
    return dict(status=proc.returncode, stdout=stdout, stderr=stderr, hung=hung, bt=bt,
                seconds=time.monotonic() - t0, pid=proc.pid)


def describe_status(s):
    return f"killed by signal {-s} ({signal.Signals(-s).name})" if s < 0 else f"exit {s}"


def snapshot(root, skip_dirs):
    """Relative path -> description of every file the program left (dumps and cores ignored)."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip_dirs]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if DUMP_RE.match(name) or CORE_RE.match(name):
                continue
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = f"symlink -> {os.readlink(path)}"
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()[:16]
                snap[rel] = f"file mode {mode:o} size {st.st_size} sha {digest}"
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = f"dir mode {mode:o}"
            else:
                snap[rel] = f"special {stat.S_IFMT(st.st_mode):o} mode {mode:o}"
    return snap


def fi_enabled(a):
    return a.fi_enabled in ("1", "ON", "TRUE", "YES")


def filter_shim_lines(data):
    lines = data.decode(errors="replace").splitlines(keepends=True)
    return ("".join(l for l in lines if not l.startswith(SHIM_PREFIX)),
            [l.rstrip("\n") for l in lines if l.startswith(SHIM_PREFIX)])


def first_diff(a, b, what):
    al, bl = a.splitlines(), b.splitlines()
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else "<missing>"
        y = bl[i] if i < len(bl) else "<missing>"
        if x != y:
            return f"{what} differs at line {i + 1}: baseline {x!r} vs shim {y!r}"
    return f"{what} differs"


def parse_raw(text):
    """-raw output -> (header ok, {object size: inuse_objects}, {object size: inuse_space})."""
    live, space = {}, {}
    lines = text.splitlines()
    ok = any(l.strip() == SAMPLE_TYPES for l in lines) and "PeriodType: space bytes" in text
    cur = None
    for line in lines:
        m = re.match(r"^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+):", line)
        if m:
            cur = (int(m.group(3)), int(m.group(4)))
            continue
        m = re.match(r"^\s*bytes:\[(\d+)", line)
        if m and cur is not None:
            size = int(m.group(1))
            live[size] = live.get(size, 0) + cur[0]
            space[size] = space.get(size, 0) + cur[1]
            cur = None
    return ok, live, space


def validate_dumps(a, dumps_dir, main_pid, problems, notes):
    found, stray = [], []
    for name in sorted(os.listdir(dumps_dir)):
        m = DUMP_RE.match(name)
        if m:
            found.append((int(m.group(1)), int(m.group(2)), name))
        else:
            stray.append(name)
    if stray and not a.allow_stray:
        problems.append(f"stray files in the dump directory (temp files left?): {stray[:5]}")
    found.sort()
    notes.append(f"{len(found)} dump(s)")
    if len(found) < a.min_dumps:
        problems.append(f"expected at least {a.min_dumps} dump(s), found {len(found)}")
    if 0 <= a.max_dumps < len(found):
        problems.append(f"expected at most {a.max_dumps} dump(s), found {len(found)}")
    seqs = {}
    for pid, seq, _ in found:
        seqs.setdefault(pid, []).append(seq)
    for pid, s in seqs.items():
        if len(set(s)) != len(s):
            problems.append(f"pid {pid}: duplicate sequence numbers {s}")
    # Many dumps (children's): validate a sample, but always every dump of the main pid. Sorted by
    # pid, the main pid is not always first: pids wrap (pid_max is 32768 on a 2-core machine), and
    # leaving it out of the sample made C2.spawn_storm fail once with "no validated dump".
    if len(found) <= MAX_VALIDATED_DUMPS:
        pick = found
    else:
        others = [f for f in found if f[0] != main_pid]
        pick = sorted([f for f in found if f[0] == main_pid] + others[:MAX_VALIDATED_DUMPS // 2] +
                      others[-MAX_VALIDATED_DUMPS // 2:])
    raw_of, space_of = {}, {}
    for pid, seq, name in pick:
        path = os.path.join(dumps_dir, name)
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            problems.append(f"{name}: not a regular file")
            continue
        if stat.S_IMODE(st.st_mode) != 0o600:
            problems.append(f"{name}: mode {stat.S_IMODE(st.st_mode):o}, expected 600")
        r = subprocess.run([a.go, "tool", "pprof", "-raw", path], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0 or r.stderr.strip():
            problems.append(f"{name}: go tool pprof -raw rc={r.returncode} "
                            f"stderr={r.stderr.strip()[:300]!r}")
            continue
        ok, live, space = parse_raw(r.stdout)
        if not ok:
            problems.append(f"{name}: sample/period types differ from the spec")
        raw_of[(pid, seq)] = live
        space_of[(pid, seq)] = space
    if a.expect_inuse:
        mine = sorted(k for k in space_of if k[0] == main_pid)
        if not mine:
            problems.append(f"--expect-inuse: no validated dump of the main pid {main_pid}")
        for spec in a.expect_inuse if mine else []:
            lo, hi, want, tol = spec.split(":")
            got = sum(v for k, v in space_of[mine[-1]].items() if int(lo) <= k <= int(hi))
            if abs(got - int(want)) > float(tol) * int(want):
                problems.append(f"last dump of pid {main_pid}: estimated in-use bytes of "
                                f"objects {lo}..{hi} B = {got}, expected {want} +-{tol}")
        notes.append("in-use estimate checked")
    if a.expect_live and a.rate == "1":
        mine = sorted(k for k in raw_of if k[0] == main_pid)
        if not mine:
            problems.append(f"--expect-live: no validated dump of the main pid {main_pid}")
        else:
            live = raw_of[mine[-1]]
            for spec in a.expect_live:
                size, want = spec.split(":")
                got = live.get(int(size), 0)
                if want.startswith(">="):
                    good = got >= int(want[2:])
                else:
                    good = got == int(want)
                if not good:
                    problems.append(f"last dump of pid {main_pid}: {got} live object(s) of "
                                    f"{size} bytes, expected {want}")
            notes.append("live set checked")
    if a.expect_mapping or a.expect_stack:
        mine = [f for f in found if f[0] == main_pid]
        if not mine:
            problems.append(f"--expect-mapping/--expect-stack: no dump of the main pid {main_pid}")
        else:
            check_attribution(a, os.path.join(dumps_dir, mine[-1][2]), problems, notes)
    if a.cli and os.path.exists(a.cli) and pick:
        name = pick[-1][2]
        out = os.path.join(a.work, "symbolized.pb.gz")
        r = subprocess.run([a.cli, "symbolize", os.path.join(dumps_dir, name), "-o", out],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            problems.append(f"leaktrack symbolize {name}: rc={r.returncode} {r.stderr[:300]!r}")
        else:
            r = subprocess.run([a.go, "tool", "pprof", "-raw", out], capture_output=True,
                               text=True, timeout=120)
            if r.returncode != 0 or r.stderr.strip():
                problems.append(f"symbolized {name}: pprof -raw stderr {r.stderr[:300]!r}")
            else:
                notes.append("symbolized")


def check_attribution(a, path, problems, notes):
    """--expect-mapping / --expect-stack on one dump, as pprof symbolizes it and as our CLI does."""
    views = [("pprof", path, [])]
    if a.cli and os.path.exists(a.cli):
        out = os.path.join(a.work, "attribution.pb.gz")
        r = subprocess.run([a.cli, "symbolize", path, "-o", out], capture_output=True, text=True,
                           timeout=180)
        if r.returncode != 0:
            problems.append(f"leaktrack symbolize {path}: rc={r.returncode} {r.stderr[:300]!r}")
        else:
            views.append(("leaktrack symbolize", out, ["-symbolize=none"]))
    else:
        problems.append("--expect-stack needs the CLI (--cli) to check `leaktrack symbolize`")
    checked = {}
    for what, file, flags in views:
        r = subprocess.run([a.go, "tool", "pprof", "-raw", *flags, file], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            problems.append(f"{what}: go tool pprof -raw rc={r.returncode} {r.stderr[:300]!r}")
            continue
        parsed = attribution.parse(r.stdout)
        problems.extend(attribution.check_mappings(parsed, a.expect_mapping, what))
        stack_problems, checked = attribution.check_stacks(parsed, a.expect_stack, what)
        problems.extend(stack_problems)
        if a.rate == "1":
            problems.extend(f"{what}: no sample of {spec.split(':')[0]}-byte objects"
                            for spec, n in checked.items() if n == 0)
        elif a.expect_stack and sum(checked.values()) == 0:
            problems.append(f"{what}: none of the --expect-stack sizes was sampled")
    if a.expect_stack:
        notes.append("stacks checked: " + ", ".join(
            f"{spec.split(':')[0]} B x{n}" for spec, n in checked.items()))
    if a.expect_mapping:
        notes.append("mappings checked")


def record(a, result, reason, extra):
    os.makedirs(a.results, exist_ok=True)
    rec = dict(id=a.id, name=a.name, priority=a.priority, how=a.how, rate=a.rate,
               result=result, reason=reason, **extra)
    with open(os.path.join(a.results, f"{a.id}.{a.name}.rate_{a.rate}.json"), "w") as f:
        json.dump(rec, f, indent=1)


def finish(a, result, reason, extra=None):
    record(a, result, reason, extra or {})
    print(f"[{a.id} {a.name} rate={a.rate}] {result.upper()}: {reason}")
    sys.exit({"pass": 0, "skip": SKIP}.get(result, 1))


def skip_reason(run):
    for line in (run["stdout"] + run["stderr"]).decode(errors="replace").splitlines():
        if line.startswith("SKIP:"):
            return line[5:].strip()
    return "the program reported that this platform cannot run it"


def main():
    a = parse_args()
    if a.needs_fi and not fi_enabled(a):
        finish(a, "skip", "needs a shim built with -DLEAKTRACK_FAULT_INJECTION=ON")
    if not os.path.exists(a.shim):
        finish(a, "fail", f"shim not found at {a.shim}")
    for lib in a.preload_before + a.preload_after:
        if "@" not in lib and not os.path.exists(lib):
            finish(a, "skip", f"preload {lib} is not installed on this machine")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    runs = {}
    for label in ("baseline", "shim"):
        cwd = os.path.join(a.work, f"{label}-cwd")
        dumps = os.path.join(a.work, f"{label}-dumps")
        os.makedirs(cwd)
        os.makedirs(dumps)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LEAKTRACK_") and k not in ("LD_PRELOAD", "TORTURE_SHIM")}
        env["LEAKTRACK_DIR"] = dumps
        env.update({k: expand(v, cwd, dumps) for k, v in kv_list(a.env).items()})
        preload = [expand(p, cwd, dumps) for p in a.preload_before]
        if label == "shim":
            preload.append(a.shim)
            env["TORTURE_SHIM"] = "1"
            if a.rate != "default":
                env["LEAKTRACK_RATE"] = a.rate
            if fi_enabled(a):
                # Every sample's walk from the caller is checked against the full walk (the
                # shim aborts on a difference): the whole matrix doubles as that test.
                env["LEAKTRACK_TEST_CHECK_UNWIND"] = "1"
            env.update({k: expand(v, cwd, dumps) for k, v in kv_list(a.shim_env).items()})
        preload += [expand(p, cwd, dumps) for p in a.preload_after]
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        cmd = [expand(c, cwd, dumps) for c in a.cmd]
        run = run_once(label, cmd, env, cwd, a.timeout, a.work)
        run.update(cwd=cwd, dumps=dumps)
        runs[label] = run
        print(f"--- {label}: {describe_status(run['status'])}, {run['seconds']:.2f} s"
              f"{' (HUNG)' if run['hung'] else ''}")
        if label == "baseline":
            if run["status"] == SKIP:
                finish(a, "skip", skip_reason(run))
            if run["hung"] or run["status"] != a.expect_status:
                sys.stdout.write(run["stderr"].decode(errors="replace")[-3000:])
                finish(a, "baseline-invalid",
                       f"baseline {'hung' if run['hung'] else describe_status(run['status'])}"
                       f", expected {describe_status(a.expect_status)}")
    base, shim = runs["baseline"], runs["shim"]
    problems, notes = [], []
    shim_err, shim_lines = filter_shim_lines(shim["stderr"])
    base_err, _ = filter_shim_lines(base["stderr"])
    for line in shim_lines[:20]:
        print(f"    shim log: {line}")
    if shim["hung"]:
        print(shim["bt"][-15000:])
        problems.append(f"shim run hung (> {a.timeout:.0f} s); backtraces in "
                        f"{a.work}/shim.hang-backtraces.txt")
    elif shim["status"] != base["status"]:
        problems.append(f"status: baseline {describe_status(base['status'])}, "
                        f"shim {describe_status(shim['status'])}")
    if not shim["hung"]:
        if shim["stdout"] != base["stdout"]:
            problems.append(first_diff(base["stdout"].decode(errors="replace"),
                                       shim["stdout"].decode(errors="replace"), "stdout"))
        if a.expect_extra_stderr:
            extra = [l for l in shim_err.splitlines(keepends=True)
                     if re.search(a.expect_extra_stderr, l)]
            base_extra = [l for l in base_err.splitlines(keepends=True)
                          if re.search(a.expect_extra_stderr, l)]
            if len(extra) != len(base_extra) + 1:
                problems.append(f"expected exactly one more stderr line matching "
                                f"{a.expect_extra_stderr!r} than the baseline: shim has "
                                f"{len(extra)}, baseline {len(base_extra)}")
            else:
                notes.append("the one expected extra stderr line seen")
                lines = shim_err.splitlines(keepends=True)
                for l in extra:
                    if l not in base_extra:
                        lines.remove(l)
                        break
                else:
                    lines.remove(extra[-1])
                shim_err = "".join(lines)
        if not a.no_stderr_compare and shim_err != base_err:
            problems.append(first_diff(base_err, shim_err, "stderr (shim lines removed)"))
        sb = snapshot(base["cwd"], {base["dumps"]})
        ss = snapshot(shim["cwd"], {shim["dumps"]})
        if sb != ss:
            diff = sorted(set(sb.items()) ^ set(ss.items()))[:6]
            problems.append(f"files differ: {diff}")
    for rx in a.expect_shim_log:
        if not any(re.search(rx, l) for l in shim_lines):
            problems.append(f"no shim log line matches /{rx}/")
    if 0 <= a.max_shim_log_lines < len(shim_lines):
        problems.append(f"{len(shim_lines)} shim log lines, at most {a.max_shim_log_lines} "
                        f"allowed")
    dumps_dir = shim["dumps"]
    custom = kv_list(a.env).get("LEAKTRACK_DIR") or kv_list(a.shim_env).get("LEAKTRACK_DIR")
    if custom:
        dumps_dir = expand(custom, shim["cwd"], shim["dumps"])
    if os.path.isdir(dumps_dir):
        validate_dumps(a, dumps_dir, shim["pid"], problems, notes)
    elif a.min_dumps:
        problems.append(f"dump directory {dumps_dir} missing")
    extra = dict(baseline_s=round(base["seconds"], 2), shim_s=round(shim["seconds"], 2),
                 notes=", ".join(notes))
    if problems:
        if shim["stderr"]:
            print("--- shim stderr (tail):")
            sys.stdout.write(shim["stderr"].decode(errors="replace")[-3000:])
        for p in problems:
            print(f"PROBLEM: {p}")
        finish(a, "fail", "; ".join(problems)[:1500], extra)
    finish(a, "pass", f"same status/stdout/stderr/files; {', '.join(notes)}; "
           f"baseline {base['seconds']:.2f} s, shim {shim['seconds']:.2f} s", extra)


if __name__ == "__main__":
    main()
