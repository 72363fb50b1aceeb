"""Reads profiles through `go tool pprof -raw`, the consumer users have (PPROF.md §8).

parse_raw() turns its text into samples (values, location ids, label) and locations (address,
function names innermost first), so tests can check values per leaf function exactly.
"""
import os
import re
import shutil
import subprocess

GO = shutil.which("go") or "/usr/lib/go/bin/go"


def go_env():
    env = dict(os.environ)
    env.setdefault("HOME", "/tmp")
    env["PPROF_TMPDIR"] = env.get("PPROF_TMPDIR", "/tmp")
    return env


def pprof(*args, check_stderr=True):
    """Runs go tool pprof; returns stdout. Fails on a non-zero exit or (optionally) any stderr."""
    proc = subprocess.run([GO, "tool", "pprof", *args], capture_output=True, text=True,
                          env=go_env(), timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"go tool pprof {' '.join(args)} failed: {proc.stderr}")
    if check_stderr and proc.stderr.strip():
        raise AssertionError(f"go tool pprof {' '.join(args)} printed on stderr: {proc.stderr}")
    return proc.stdout


SAMPLE_RE = re.compile(r"^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+):((?:\s+\d+)*)\s*$")
# "M=" is missing for a location without a mapping (the shim's "[evicted stacks]" frame).
LOCATION_RE = re.compile(r"^\s*(\d+): (0x[0-9a-f]+)(?: M=(\d+))?\s*(.*)$")


MAPPING_RE = re.compile(r"^(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/(0x[0-9a-f]+) (\S+)")


def parse_raw(text, symbolize=True):
    """Returns (samples, locations). With symbolize, frames of mappings go tool pprof could not
    name (it cannot for many C++ binaries, PPROF.md §6) are named with addr2line."""
    samples, locations, mappings, section = [], {}, {}, None
    current_location = None
    for line in text.splitlines():
        if line.startswith("Samples:"):
            section = "samples"
            continue
        if line.startswith("Locations"):
            section = "locations"
            continue
        if line.startswith("Mappings"):
            section = "mappings"
            continue
        if section == "samples":
            m = SAMPLE_RE.match(line)
            if m:
                samples.append({"values": [int(m.group(i)) for i in range(1, 5)],
                                "locations": [int(x) for x in m.group(5).split()],
                                "label": None})
            elif "bytes:[" in line and samples:
                samples[-1]["label"] = line.strip()
        elif section == "mappings":
            m = MAPPING_RE.match(line)
            if m:
                mappings[int(m.group(1))] = {"start": int(m.group(2), 16),
                                             "offset": int(m.group(4), 16), "path": m.group(5)}
        elif section == "locations":
            m = LOCATION_RE.match(line)
            if m:
                current_location = {"address": int(m.group(2), 16), "mapping": int(m.group(3) or 0),
                                    "functions": []}
                locations[int(m.group(1))] = current_location
                rest = m.group(4).strip()
                if rest:
                    current_location["functions"].append(rest.split()[0])
            elif current_location is not None and line.strip():
                current_location["functions"].append(line.strip().split()[0])
    if symbolize:
        name_with_addr2line(locations, mappings)
    return samples, locations


def name_with_addr2line(locations, mappings):
    by_mapping = {}
    for loc in locations.values():
        if loc["functions"] and not loc["functions"][0].startswith("/"):
            continue
        m = mappings.get(loc["mapping"])
        if m and m["path"].startswith("/") and os.path.exists(m["path"]):
            by_mapping.setdefault(loc["mapping"], []).append(loc)
    for mid, locs in by_mapping.items():
        m = mappings[mid]
        # File offset of the address; for gcc's PIE and shared objects it equals the link address.
        addrs = [hex(l["address"] - m["start"] + m["offset"]) for l in locs]
        out = subprocess.run(["addr2line", "-f", "-e", m["path"], *addrs], capture_output=True,
                             text=True, timeout=60).stdout.splitlines()
        for i, loc in enumerate(locs):
            name = out[2 * i] if 2 * i < len(out) else "??"
            if name != "??":
                loc["functions"] = [name]


def leaf_function(sample, locations):
    for loc_id in sample["locations"]:
        funcs = locations[loc_id]["functions"]
        if funcs:
            return funcs[0]
        return None
    return None


def totals_by_leaf(samples, locations):
    """Sums the four values per leaf function (innermost named frame of the first location)."""
    totals = {}
    for s in samples:
        leaf = leaf_function(s, locations)
        acc = totals.setdefault(leaf, [0, 0, 0, 0])
        for i in range(4):
            acc[i] += s["values"][i]
    return totals


def totals_by_frame(samples, locations, name):
    """Sums the values of every sample whose stack contains function `name` anywhere."""
    acc = [0, 0, 0, 0]
    for s in samples:
        if any(name in locations[l]["functions"] for l in s["locations"]):
            for i in range(4):
                acc[i] += s["values"][i]
    return acc
