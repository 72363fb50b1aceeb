"""Attribution checks on one dump for run_case.py: which library and which callers a sample
names (TORTURE.md G4: libraries unloaded before the dump, another one loaded at the same address).

Owns: reading `go tool pprof -raw` text into mappings (path, build ID), locations (mapping id,
functions innermost first, inlined frames included) and samples (location ids, object size);
checking that listed libraries are in the Mapping table with distinct build IDs, and that every
sample of a given object size starts with the expected (library, function) frames.
Never: symbolizes by itself. Function names come from whoever symbolized the profile (pprof's
own local symbolization of an unsymbolized dump, or `leaktrack symbolize`), so running the
checks on both forms checks both symbolizers.
"""

import os
import re

SAMPLE_RE = re.compile(r"^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+):((?:\s+\d+)*)\s*$")
LABEL_RE = re.compile(r"^\s*bytes:\[(\d+)")
LOCATION_RE = re.compile(r"^\s*(\d+): 0x[0-9a-f]+ (?:M=(\d+) )?(.*)$")
INLINED_RE = re.compile(r"^\s{6,}(\S.*)$")
MAPPING_RE = re.compile(r"^(\d+): 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ (.*)$")


def parse(text):
    """-> (mappings {id: (path, build_id)}, locations {id: (mapping id, [function])},
    samples [(alloc_objects, size or None, [location id])])."""
    mappings, locations, samples = {}, {}, []
    section, current = None, None
    for line in text.splitlines():
        if line.startswith(("Samples:", "Locations", "Mappings")):
            section = line.split()[0].rstrip(":")
            continue
        if section == "Samples":
            m = SAMPLE_RE.match(line)
            if m:
                samples.append([int(m.group(1)), None, [int(x) for x in m.group(5).split()]])
            elif samples and LABEL_RE.match(line):
                samples[-1][1] = int(LABEL_RE.match(line).group(1))
        elif section == "Locations":
            m = LOCATION_RE.match(line)
            if m:
                current = [int(m.group(2) or 0), []]
                locations[int(m.group(1))] = current
                if m.group(3).strip() and m.group(3).strip() != "??":
                    current[1].append(m.group(3).split()[0])
            elif current is not None and INLINED_RE.match(line):
                current[1].append(INLINED_RE.match(line).group(1).split()[0])
        elif section == "Mappings":
            m = MAPPING_RE.match(line)
            if m:
                # "%s %s %s": file, build ID, flags; file and build ID may be empty.
                fields = m.group(2).split(" ")
                path = fields[0] if fields else ""
                build_id = fields[1] if len(fields) > 1 and not fields[1].startswith("[") else ""
                mappings[int(m.group(1))] = (path, build_id)
    return mappings, locations, samples


def check_mappings(parsed, libs, what):
    """Every library (file basename) in libs is in the Mapping table with a build ID, and the
    build IDs of different libraries differ. Returns a list of problems."""
    mappings = parsed[0]
    problems, ids = [], {}
    for lib in libs:
        found = {bid for path, bid in mappings.values() if os.path.basename(path) == lib}
        if not found:
            problems.append(f"{what}: no mapping of {lib} (mappings: "
                            f"{sorted({os.path.basename(p) for p, _ in mappings.values()})})")
        elif "" in found:
            problems.append(f"{what}: a mapping of {lib} has no build ID")
        else:
            ids[lib] = found
    for a in ids:
        for b in ids:
            if a < b and ids[a] & ids[b]:
                problems.append(f"{what}: {a} and {b} share build ID {sorted(ids[a] & ids[b])}")
    return problems


def frames_of(parsed, sample):
    """[(library basename, function)] innermost first, inlined frames expanded."""
    mappings, locations, _ = parsed
    out = []
    for loc_id in sample[2]:
        mapping_id, functions = locations.get(loc_id, (0, []))
        lib = os.path.basename(mappings.get(mapping_id, ("", ""))[0])
        for fn in functions or ["?"]:
            out.append((lib, fn))
    return out


def check_stacks(parsed, specs, what):
    """specs: ["SIZE:lib@func,lib@func,..."]. Every sample with allocations of SIZE-byte objects
    must start with those frames. Returns (problems, {spec: samples checked})."""
    problems, checked = [], {}
    for spec in specs:
        size_text, frames_text = spec.split(":", 1)
        want = [tuple(f.split("@", 1)) for f in frames_text.split(",")]
        n = 0
        for s in parsed[2]:
            if s[1] != int(size_text) or s[0] <= 0:
                continue
            n += 1
            got = frames_of(parsed, s)[:len(want)]
            if got != want:
                problems.append(f"{what}: a {size_text}-byte sample starts with "
                                f"{['@'.join(f) for f in got]}, expected {frames_text}")
                break
        checked[spec] = n
    return problems, checked
