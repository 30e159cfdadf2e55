# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault injection, in the manner of SQLite's I/O error tests: every open,
write, close, truncate, unlink of the split's output folder made to fail
once, with ENOSPC or EIO, wherever it happens (tshark's thread, the
write-behind thread, wiretap's stdio, a pcap to pcapng conversion, the
index).

tests/faultinject.c, preloaded into tshark (after libasan in the sanitizer
build), counts those calls. For each combination of capture and options a
counting run gives their number K (and, loaded but failing nothing, must
split exactly as tshark says: the control); then injected runs make call N
fail, for every N when K is small, else for a sample: the first call of
each kind (call and file: stream file, .part, streams.csv) and the rest
spread evenly. After each injected run:

- exit status 2 (or 0, with every file whole, when the failed call was
  the close of a descriptor only read from: nothing can be lost there),
  and one error line on stderr that starts with
  "flowsplit: ", names the file the failed call was on (or the folder) and
  the cause (strerror of the errno), beside the summary, which says the
  split is incomplete;
- no sanitizer finding (in a FLOWSPLIT_SANITIZE=ON build);
- no stream has two files, no empty file, no temporary file (*.part) left,
  no file under a final name ends in a partial record: every file reads
  (capfile, capinfos), in the format of its extension, and its records are
  the first records of its stream as tshark -2 gives them;
- streams.csv is absent, or complete: a header and one row per stream.

FLOWSPLIT_FAULT_POINTS (default 150) is the number of injected runs over
all combinations, a few minutes. A larger sweep, every call of every
combination:

    FLOWSPLIT_FAULT_POINTS=100000 FLOWSPLIT_BUILD_DIR=$PWD/../build \\
        python3 -m pytest -q -p no:cacheprovider test_faults.py

(or `FLOWSPLIT_FAULT_POINTS=100000 ctest --test-dir build -R faults`).
"""
import collections
import csv
import errno
import os

import pytest

import capfile
from conftest import (BUILD, NAME_RE, PROTOS, REPO, capinfos_all, check_membership, generated_capture, oracle,
                      readable, sanitizer_findings, scratch, split, stderr_lines)

SHIM = os.path.join(BUILD, "tests", "faultinject.so")
POINTS = int(os.environ.get("FLOWSPLIT_FAULT_POINTS", "150"))
ERRNOS = ("ENOSPC", "EIO")


def capture(name):
    return os.path.join(REPO, "captures", name)


def threads_capture():
    """1.5 MB of frames in 200 streams: with buffer_mb=1 (halves of 512 KB)
    the second thread writes two full halves while frames go on."""
    return generated_capture("faults-200.pcap", "--streams", "200", "--concurrent", "60",
                             "--frames-per-stream", "30")


# (id, capture, options): pcapng and pcap, evicting (max_open=2 or 3) or
# not, no buffer (every frame written at once) or the default one, and a
# 1 MB one that the second thread writes.
COMBOS = [
    ("mixed-pcapng", lambda: capture("mixed.pcap"), []),
    ("mixed-pcap-evict-nobuffer-all", lambda: capture("mixed.pcap"),
     ["format=pcap", "max_open=2", "buffer_mb=0", "proto=all"]),
    ("interfaces-pcapng-evict-nobuffer", lambda: capture("interfaces.pcapng"), ["max_open=2", "buffer_mb=0"]),
    # pcap cannot hold every stream: those are rewritten as pcapng
    ("interfaces-pcap-converted", lambda: capture("interfaces.pcapng"), ["format=pcap"]),
    ("interfaces-pcap-converted-evict-nobuffer", lambda: capture("interfaces.pcapng"),
     ["format=pcap", "max_open=3", "buffer_mb=0"]),
    # PPP with direction: wiretap writes (new sections; pcap: NAME.pcap.part)
    ("ppp-dir-pcapng-evict", lambda: capture("ppp-dir.pcap"), ["max_open=2"]),
    ("ppp-dir-pcap-evict-nobuffer", lambda: capture("ppp-dir.pcap"), ["format=pcap", "max_open=2", "buffer_mb=0"]),
    # custom options go through wiretap; comments make pcap streams pcapng
    ("packet-options-pcapng-evict-nobuffer", lambda: capture("packet-options.pcapng"),
     ["max_open=3", "buffer_mb=0"]),
    ("packet-options-pcap-converted", lambda: capture("packet-options.pcapng"), ["format=pcap"]),
    ("threads-pcapng", threads_capture, ["buffer_mb=1", "index=no"]),
    ("threads-pcap-evict", threads_capture, ["format=pcap", "buffer_mb=1", "max_open=3"]),
]


def share(combo_id):
    """This combination's part of POINTS."""
    ids = [c[0] for c in COMBOS]
    base, extra = divmod(POINTS, len(ids))
    return base + (1 if ids.index(combo_id) < extra else 0)


def protos_of(options):
    for opt in options:
        if opt.startswith("proto="):
            value = opt.split("=", 1)[1]
            return list(PROTOS) if value == "all" else value.split(",")
    return ["tcp"]


def shim_env(out, **extra):
    env = {"LD_PRELOAD": readable(SHIM), "FLOWSPLIT_FAULT_DIR": out}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def read_log(path):
    """[(number, call, name, failed)] of the shim's log."""
    calls = []
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            calls.append((int(parts[0]), parts[1], parts[2], len(parts) > 3 and parts[3] == "FAILED"))
    return calls


def kind(call, name):
    """What a call is, for picking the sample: the call and the kind of file."""
    for suffix in (".part", ".pcapng", ".pcap", ".csv"):
        if name.endswith(suffix):
            return call, suffix
    return call, name


def sample(calls, budget):
    """Call numbers to fail: all of them when they fit in budget; else the
    first call of each kind, the last call, and the rest evenly spread."""
    numbers = [c[0] for c in calls]
    if len(numbers) <= budget:
        return numbers
    picked = []
    seen = set()
    for n, call, name, _ in calls:
        if kind(call, name) not in seen:
            seen.add(kind(call, name))
            picked.append(n)
    picked.append(numbers[-1])
    picked = sorted(set(picked))[:budget]
    rest = [n for n in numbers if n not in set(picked)]
    want = budget - len(picked)
    if want > 0:
        step = len(rest) / want
        picked += [rest[int(i * step)] for i in range(want)]
    return sorted(set(picked))


def index_complete(out, o, protos):
    """'' when streams.csv is absent or complete, else what is wrong."""
    path = os.path.join(out, "streams.csv")
    if not os.path.exists(path):
        return ""
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    if not text:
        return "streams.csv is empty"
    rows = list(csv.reader(text.splitlines()))
    header = rows[0]
    if header[:1] != ["stream"] or header[-1:] != ["proto"]:
        return "streams.csv has no header row"
    if any(len(r) != len(header) for r in rows[1:]):
        return "streams.csv has a row cut short"
    got = sorted((r[-1], int(r[0])) for r in rows[1:])
    want = sorted((p, st) for p in protos for st in o[p].streams)
    if got != want:
        return "streams.csv lists %d rows, tshark %d streams" % (len(got), len(want))
    return ""


def check_leftovers(cap, out, protos):
    """What is left in out after a failed split: problems, as lines."""
    problems = []
    o = {p: oracle(cap, p) for p in PROTOS}
    names = sorted(os.listdir(out))
    stray = [n for n in names if n != "streams.csv" and not NAME_RE.match(n)]
    if stray:
        return ["files that are not a stream's: %s" % ", ".join(stray)]
    by_stream = collections.defaultdict(list)
    for n in names:
        m = NAME_RE.match(n)
        if m:
            by_stream[(m.group("proto"), int(m.group("stream")))].append(n)
    for (proto, stream), files in sorted(by_stream.items()):
        if len(files) > 1:
            problems.append("two files for %s stream %d: %s" % (proto, stream, ", ".join(files)))
        if proto not in protos:
            problems.append("a file of a transport not split: %s" % files[0])
    readable_files = []
    for n in names:
        m = NAME_RE.match(n)
        if not m:
            continue
        path = os.path.join(out, n)
        if os.path.getsize(path) == 0:
            problems.append("an empty file: %s" % n)
            continue
        if capfile.file_format(path) != m.group("ext"):
            problems.append("%s: a %s file named .%s" % (n, capfile.file_format(path), m.group("ext")))
            continue
        try:
            got = [r.digest() for r in capfile.read(path)]
        except capfile.FormatError as e:
            problems.append("does not read: %s" % e)
            continue
        want = o[m.group("proto")].expected(int(m.group("stream")))
        if got != want[:len(got)]:
            problems.append("%s: its %d records are not the first of its stream's %d" % (n, len(got), len(want)))
            continue
        readable_files.append(n)
    if readable_files:
        try:
            capinfos_all(out, readable_files)
        except AssertionError as e:
            problems.append("capinfos: %s" % str(e)[:300])
    bad_index = index_complete(out, o, protos)
    if bad_index:
        problems.append(bad_index)
    return problems


def check_messages(proc, out, failed, err):
    """The one error line and the summary of a failed split: problems."""
    lines = stderr_lines(proc)
    errors = [l for l in lines if " streams, " not in l]
    summaries = [l for l in lines if " streams, " in l]
    if proc.returncode != 2:
        return ["exit status %d, not 2: %s" % (proc.returncode, proc.stderr[-600:])]
    if len(errors) != 1:
        return ["%d error lines, not 1: %s" % (len(errors), errors)]
    line = errors[0]
    problems = []
    if not line.startswith("flowsplit: "):
        problems.append("the error line does not start with flowsplit: %r" % line)
    if out not in line:
        problems.append("the error line does not name the folder: %r" % line)
    if os.strerror(getattr(errno, err)) not in line:
        problems.append("the error line does not give the cause (%s): %r" % (os.strerror(getattr(errno, err)), line))
    _, call, name, _ = failed
    if name not in line and not (name.endswith(".tmp") and name[:-len(".tmp")] in line):
        # (a temporary file is named by the file it becomes: streams.csv)
        problems.append("the error line does not name %s, where %s failed: %r" % (name, call, line))
    if len(summaries) != 1 or "split incomplete" not in summaries[0]:
        problems.append("no summary saying the split is incomplete: %s" % summaries)
    return problems


@pytest.fixture(scope="module")
def shim():
    if not os.path.exists(SHIM):
        pytest.skip("%s is not built (FLOWSPLIT_FAULT_INJECTION=OFF?)" % SHIM)
    return SHIM


@pytest.mark.parametrize("combo", COMBOS, ids=[c[0] for c in COMBOS])
def test_every_failure_is_reported_and_leaves_valid_files(shim, combo):
    combo_id, make_capture, options = combo
    cap = make_capture()
    protos = protos_of(options)
    work = scratch("faults-" + combo_id)

    # The count, and the control: the shim loaded, nothing failed.
    out = os.path.join(work, "count")
    os.makedirs(out)
    os.chmod(out, 0o777)
    count, log = os.path.join(work, "count.txt"), os.path.join(work, "count.log")
    proc = split(cap, out, *options, extra_env=shim_env(out, FLOWSPLIT_FAULT_COUNT=count, FLOWSPLIT_FAULT_LOG=log))
    assert proc.returncode == 0, proc.stderr[-2000:]
    for proto in protos:
        check_membership(cap, out, fmt="pcap" if "format=pcap" in options else "pcapng", proto=proto)
    found = sanitizer_findings()
    assert not found, "sanitizer findings without a failure:\n\n" + "\n\n".join(found)[:8000]
    with open(count) as f:
        total = int(f.read())
    calls = read_log(log)
    assert total == len(calls) > 0, "the shim counted %d calls, logged %d" % (total, len(calls))

    failures = []
    points = sample(calls, share(combo_id))
    for i, n in enumerate(points):
        err = ERRNOS[i % len(ERRNOS)]
        out = os.path.join(work, "at-%d" % n)
        os.makedirs(out)
        os.chmod(out, 0o777)
        log = os.path.join(work, "at-%d.log" % n)
        proc = split(cap, out, *options, extra_env=shim_env(out, FLOWSPLIT_FAULT_AT=n, FLOWSPLIT_FAULT_ERRNO=err,
                                                             FLOWSPLIT_FAULT_LOG=log))
        failed = [c for c in read_log(log) if c[3]]
        if not failed:
            # The two threads ran in another order and there were fewer
            # calls: nothing failed, so the split must be whole.
            assert proc.returncode == 0, proc.stderr[-2000:]
            continue
        if failed[0][1] == "close-read-only" and proc.returncode == 0:
            # Nothing is lost when a descriptor that was only read from
            # fails to close: the split may go on, and must then be whole.
            for proto in protos:
                check_membership(cap, out, fmt="pcap" if "format=pcap" in options else "pcapng", proto=proto)
            continue
        problems = check_messages(proc, out, failed[0], err)
        problems += check_leftovers(cap, out, protos)
        problems += ["sanitizer: " + f[:3000] for f in sanitizer_findings()]
        if problems:
            failures.append("call %d (%s %s, %s): %s" % (n, failed[0][1], failed[0][2], err,
                                                          "\n    ".join(problems)))
    print("%s: %d calls, %d injected" % (combo_id, total, len(points)))
    assert not failures, "%d of %d injected failures went wrong:\n  %s" % (
        len(failures), len(points), "\n  ".join(failures))
