# SPDX-License-Identifier: GPL-2.0-or-later
"""flowsplit -j N: one capture split on N tshark processes writes, byte for
byte, the folder one tshark writes (`diff -r` of the two folders), with the
same counts in its summary and the same exit status; the steps on their own
(flowsplit partition, GNU parallel over the jobs, flowsplit merge) too; a
capture that cannot be partitioned safely is split by one tshark, saying
why; bad options fail as the plugin fails; a failing or interrupted worker
fails the run and leaves nothing under the final names, and so does every
fault of the command's own writes and moves.

Every capture (ours and the public ones) takes one (option set, -j) pair,
rotated so that across the captures every option set meets every -j (a
second pair per capture cost CI 3 minutes: each case is mostly the start
of -j tsharks); two generated captures, large enough that every shard gets
many streams, take each option set at two -j values, turn about."""
import filecmp
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (BUILD, bundled_captures, capture_id, generated_capture, generator, public_captures,
                      python3, readable, scratch, split, stderr_lines, tshark_command, work_root)

FLOWSPLIT = os.path.join(BUILD, "bin", "flowsplit")
JOBS = [1, 2, 3, 7]
OPTION_SETS = [
    ("pcapng",),
    ("format=pcap", "proto=all"),
    ("proto=all", "streams=0-2,5,9-"),
    ("select=tcp.len > 100 || udp.length > 100", "proto=all"),
    ("index=no", "max_open=2"),
    ("format=pcap", "max_open=2", "proto=all", "index=no", "streams=1-"),
]
CAPTURES = bundled_captures() + public_captures()
LARGE_OPTION_SETS = OPTION_SETS[:4]
LARGE_JOBS = JOBS
# FLOWSPLIT_PARALLEL_QUICK=1 (the sanitizer pass, the 4.4 and 4.6 chroots):
# our captures only (still every option set twice across them), the large
# ones in two option sets at -j 2 and 7, and
# the media set-up refusals in the capture that holds them all.
QUICK = bool(os.environ.get("FLOWSPLIT_PARALLEL_QUICK"))
if QUICK:
    CAPTURES = bundled_captures()
    LARGE_OPTION_SETS = OPTION_SETS[:2]
    LARGE_JOBS = [2, 7]


def set_id(opts):
    return re.sub(r"[^A-Za-z0-9=,.-]+", "_", ",".join(opts))


def flowsplit_command(args, prefix=(), extra_env=None):
    """flowsplit with tshark's arguments, run as tshark_command runs tshark
    (uid 65534, the build's plugin, the capture's own tshark options)."""
    cmd, env = tshark_command(args, extra_env=extra_env)
    i = cmd.index("tshark")
    cmd[i:i + 1] = [readable(FLOWSPLIT)] + list(prefix)
    return cmd, env


def run_flowsplit(args, prefix=(), timeout=1800, extra_env=None):
    cmd, env = flowsplit_command(args, prefix, extra_env=extra_env)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, errors="replace")


def split_args(capture, out, opts):
    args = ["-r", capture, "-q", "-X", "flowsplit:out=" + out]
    for o in opts:
        if o != "pcapng":
            args += ["-X", "flowsplit:" + o]
    return args


def counts(proc):
    """streams, frames, files and MB of the summary line."""
    lines = [l for l in stderr_lines(proc) if l.startswith("flowsplit: ") and " frames written to " in l]
    assert len(lines) == 1, proc.stderr
    m = re.search(r"(\d+) streams, (\d+) frames written to (\d+) files in .* \(([0-9.]+) MB\)", lines[0])
    return m.groups()


def same_folders(a, b):
    """diff -r: the same names, and every file the same bytes."""
    names_a, names_b = sorted(os.listdir(a)), sorted(os.listdir(b))
    assert names_a == names_b, "names differ: only in the single split %s, only in -j %s" % (
        sorted(set(names_a) - set(names_b))[:5], sorted(set(names_b) - set(names_a))[:5])
    match, mismatch, errors = filecmp.cmpfiles(a, b, names_a, shallow=False)
    assert not mismatch and not errors, "files differ: %s" % (mismatch + errors)[:5]


def check_parallel(capture, opts, jobs, tag):
    work = scratch(tag)
    single, multi = os.path.join(work, "single"), os.path.join(work, "multi")
    ref = split(capture, single, *[o for o in opts if o != "pcapng"])
    proc = run_flowsplit(split_args(capture, multi, opts), prefix=("-j", str(jobs)))
    assert proc.returncode == ref.returncode, proc.stderr
    if ref.returncode != 0 and not os.path.isdir(single):
        assert not os.path.isdir(multi) or not os.listdir(multi)
        return proc
    same_folders(single, multi)
    if any(l.startswith("flowsplit: ") and " frames written to " in l for l in stderr_lines(ref)):
        assert counts(proc) == counts(ref), (proc.stderr, ref.stderr)
    return proc


def rotation():
    cases = []
    for i, c in enumerate(CAPTURES):
        opts = OPTION_SETS[i % len(OPTION_SETS)]
        jobs = JOBS[(i + i // len(OPTION_SETS)) % len(JOBS)]
        cases.append(pytest.param(c, opts, jobs, id="%s-j%d-%s" % (capture_id(c), jobs, set_id(opts))))
    return cases


@pytest.mark.parametrize("capture,opts,jobs", rotation())
def test_same_folder_as_one_tshark(capture, opts, jobs):
    check_parallel(capture, opts, jobs, "par-%s-j%d-%s" % (capture_id(capture), jobs, set_id(opts)))


def hard_capture():
    """captures/generate.py hard: the bundled hard cases 40 times over, on
    three interfaces."""
    folder = os.path.join(BUILD, "test-captures")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "hard-40.pcapng")
    if not os.path.exists(path):
        tmp = "%s.%d.tmp" % (path, os.getpid())
        subprocess.run([python3(), generator(), "hard", tmp, "--copies", "40"], check=True)
        os.rename(tmp, path)
        os.chmod(path, 0o644)
    return path


def large_captures():
    return [("hard", hard_capture), ("scale", lambda: generated_capture("par-scale-3000.pcap", "--streams", "3000",
                                                                       "--concurrent", "400"))]


def large_rotation():
    """Each large capture in each option set at half the -j values, turn
    about, so that each capture meets every -j value in two option sets
    (every pair would double this test's time; CI keeps under an hour)."""
    cases = []
    for c, (name, make) in enumerate(large_captures()):
        for i, opts in enumerate(LARGE_OPTION_SETS):
            for k in range(0, len(LARGE_JOBS), 2):
                jobs = LARGE_JOBS[(i + c + k) % len(LARGE_JOBS)]
                cases.append(pytest.param(name, make, opts, jobs, id="%s-%s-%d" % (name, set_id(opts), jobs)))
    return cases


@pytest.mark.parametrize("name,make,opts,jobs", large_rotation())
def test_large_captures(name, make, opts, jobs):
    proc = check_parallel(make(), opts, jobs, "par-%s-j%d-%s" % (name, jobs, set_id(opts)))
    assert "one tshark" not in proc.stderr, "the generated captures partition: " + proc.stderr


def unknown_ethertype_capture(path):
    """A capture whose one odd frame (an ethertype nobody decodes as IP here)
    the partitioner cannot prove free of streams."""
    import struct
    src = os.path.join(os.path.dirname(bundled_captures()[0]), "mixed.pcap")
    with open(src, "rb") as f:
        head = f.read(24)
        body = f.read()
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5" + b"\x00" * 46
    rec = struct.pack("<IIII", 1700000000, 0, len(eth), len(eth)) + eth
    with open(path, "wb") as f:
        f.write(head + rec + body)
    os.chmod(path, 0o644)
    return path


def tshark_that_notes(work, what):
    """A folder whose `tshark` notes $GLIBC_TUNABLES in work/what, then
    runs the real tshark: first on PATH, it shows what flowsplit gave its
    workers (and the single tshark it falls back to)."""
    folder = os.path.join(work, "bin")
    os.makedirs(folder)
    os.chmod(folder, 0o755)
    notes = os.path.join(work, what)
    with open(os.path.join(folder, "tshark"), "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "${GLIBC_TUNABLES-unset}" >> %s\nexec %s "$@"\n'
                % (notes, shutil.which("tshark")))
    os.chmod(os.path.join(folder, "tshark"), 0o755)
    return folder, notes


@pytest.mark.parametrize("given,expected", [(None, "glibc.malloc.hugetlb=1"),
                                            ("glibc.malloc.arena_max=2",
                                             "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"),
                                            ("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0")],
                         ids=["unset", "other-tunable", "user-said-no"])
def test_workers_ask_for_huge_pages(given, expected):
    """Every tshark flowsplit starts (the workers; the single tshark of a
    capture that cannot be split safely) asks glibc for huge pages, beside
    the user's tunables and never against a hugetlb setting of theirs; the
    folder is still one tshark's."""
    work = scratch("par-huge")
    folder, notes = tshark_that_notes(work, "tunables")
    env = {"PATH": folder + os.pathsep + os.environ["PATH"], "GLIBC_TUNABLES": given}
    ref = split(hard_capture(), os.path.join(work, "single"))
    multi = os.path.join(work, "multi")
    proc = run_flowsplit(split_args(hard_capture(), multi, ()), prefix=("-j", "3"), extra_env=env)
    assert proc.returncode == ref.returncode == 0, proc.stderr
    same_folders(os.path.join(work, "single"), multi)
    odd = unknown_ethertype_capture(os.path.join(work, "odd.pcap"))
    proc = run_flowsplit(split_args(odd, os.path.join(work, "odd"), ()), prefix=("-j", "2"), extra_env=env)
    assert proc.returncode == 0 and any("one tshark" in l for l in stderr_lines(proc)), proc.stderr
    # -j 2 starts its workers before the partitioner finds the odd frame,
    # then stops them, maybe before they have noted anything.
    with open(notes) as f:
        seen = f.read().splitlines()
    assert set(seen) == {expected} and len(seen) >= 4, seen


def test_unsafe_capture_falls_back_to_one_tshark():
    work = scratch("par-unsafe")
    cap = unknown_ethertype_capture(os.path.join(work, "odd.pcap"))
    proc = check_parallel(cap, ("proto=all",), 3, "par-unsafe-run")
    lines = [l for l in stderr_lines(proc) if "one tshark" in l]
    assert len(lines) == 1 and "frame 1" in lines[0], proc.stderr


# captures/generate.py sdp: media set up by SIP/SDP (over UDP, and over TCP
# with the body in a second segment) and RTSP, whose conversations Wireshark
# shares between peers, across address pairs; and each signature the
# partitioner refuses a frame for, alone, with the word its reason names.
MEDIA_SETUP_CASES = [("all", 2, "SDP"), ("all", 3, "SDP"), ("m-line", 2, "SDP"), ("c-line", 2, "SDP"),
                     ("content-type", 2, "SDP"), ("fragment", 2, "SDP"), ("rtsp", 2, "RTSP"),
                     ("h225", 2, "H.225"), ("skinny", 2, "Skinny"), ("portmap", 2, "portmap"),
                     ("rpc-udp", 2, "ONC-RPC"), ("coap", 2, "CoAP"), ("dof", 2, "DOF")]
if QUICK:
    MEDIA_SETUP_CASES = MEDIA_SETUP_CASES[:1]


@pytest.mark.parametrize("kind,jobs,word", MEDIA_SETUP_CASES, ids=["%s-j%d" % c[:2] for c in MEDIA_SETUP_CASES])
def test_media_setup_falls_back_to_one_tshark(kind, jobs, word):
    cap = generated_capture("sdp-%s.pcap" % kind, "--signature", kind, command="sdp")
    proc = check_parallel(cap, ("proto=all",), jobs, "par-sdp-%s-j%d" % (kind, jobs))
    lines = [l for l in stderr_lines(proc) if "one tshark" in l]
    assert len(lines) == 1 and "frame 1 has" in lines[0] and word in lines[0], proc.stderr


@pytest.mark.parametrize("opt", ["proto=icmp", "max_open=0", "bogus=1", "select=tcp.port ==", "format=pcapx"])
def test_bad_options_fail_as_the_plugin_does(opt):
    work = scratch("par-bad-" + set_id([opt]))
    cap = bundled_captures()[0]
    ref = split(cap, os.path.join(work, "single"), opt)
    proc = run_flowsplit(split_args(cap, os.path.join(work, "multi"), (opt,)), prefix=("-j", "2"))
    assert ref.returncode == 1 and proc.returncode == 1, (ref.stderr, proc.stderr)
    want = [l for l in stderr_lines(ref) if l.startswith("flowsplit:") or "tshark:" in l][-1]
    assert want in stderr_lines(proc), (want, proc.stderr)
    assert not os.path.exists(os.path.join(work, "multi")), "the folder is not touched"


@pytest.mark.parametrize("args,word", [(["-w", "x.pcap"], "-w"), (["-Y", "tcp"], "-Y"), (["-2"], "-2"),
                                       (["-i", "eth0"], "-i")])
def test_options_a_split_cannot_honour_are_refused(args, word):
    work = scratch("par-refused")
    proc = run_flowsplit(split_args(bundled_captures()[0], os.path.join(work, "out"), ()) + args, prefix=("-j", "2"))
    assert proc.returncode == 1
    lines = stderr_lines(proc)
    assert len(lines) == 1 and word in lines[0], proc.stderr


def test_gnu_parallel_recipe():
    """README's recipe for other machines, run here: partition, GNU parallel
    over the jobs, merge; the folder one tshark writes."""
    if shutil.which("parallel") is None:
        pytest.skip("GNU parallel is not installed (cmake/install-deps.sh installs it)")
    cap = hard_capture()
    work = scratch("par-recipe")
    single, multi, parts = (os.path.join(work, n) for n in ("single", "multi", "parts"))
    ref = split(cap, single, "proto=all")
    p = run_flowsplit(split_args(cap, multi, ("proto=all",)), prefix=("partition", "-j", "3", "--parts", parts))
    assert p.returncode == 0, p.stderr
    cmd, env = tshark_command([])
    i = cmd.index("tshark")
    cmd[i:] = ["parallel", "--will-cite", "--halt", "now,fail=1", "-j", "2"]
    with open(os.path.join(parts, "jobs")) as jobs:
        par = subprocess.run(cmd, env=env, stdin=jobs, capture_output=True, text=True)
    assert par.returncode == 0, par.stderr
    m = run_flowsplit([], prefix=("merge", parts))
    assert m.returncode == 0, m.stderr
    same_folders(single, multi)
    assert counts(m) == counts(ref)
    assert not os.path.exists(parts), "the merge removes the parts"


def test_failing_worker_fails_the_run():
    """A write that fails in a worker: its message, exit 2, and nothing under
    the final names (the output folder as it was)."""
    shim = os.path.join(BUILD, "tests", "faultinject.so")
    if not os.path.exists(shim):
        pytest.skip("faultinject.so is not built")
    work = scratch("par-fault")
    out = os.path.join(work, "out")
    os.makedirs(out)
    os.chmod(out, 0o777)
    env = {"LD_PRELOAD": readable(shim), "FLOWSPLIT_FAULT_DIR": out, "FLOWSPLIT_FAULT_DEEP": "1", "FLOWSPLIT_FAULT_AT": "3",
           "FLOWSPLIT_FAULT_ERRNO": "ENOSPC"}
    proc = run_flowsplit(split_args(hard_capture(), out, ()), prefix=("-j", "2"), extra_env=env)
    assert proc.returncode == 2, proc.stderr
    assert any("No space left on device" in l for l in stderr_lines(proc)), proc.stderr
    assert os.listdir(out) == [], os.listdir(out)


def merge_fault_points():
    """The calls the flowsplit process itself makes in the output folder
    (frame maps, the workers' stderr files, the merge's moves, streams.csv,
    the parts' removal) that the sweep fails: every one, or an even sample
    of this many (fewer in the quick passes)."""
    return 12 if os.environ.get("FLOWSPLIT_PARALLEL_QUICK") else 24


def test_every_fault_of_the_command_itself():
    """Each call flowsplit makes in the output folder fails once (ENOSPC):
    either the split completes, the folder one tshark writes, or it fails
    with exit 2 and a line naming the cause, and the folder holds nothing
    of it (a merge that failed moved its files back); a parts folder it
    could not remove is named in a warning."""
    shim = os.path.join(BUILD, "tests", "faultinject.so")
    if not os.path.exists(shim):
        pytest.skip("faultinject.so is not built")
    cap = os.path.join(os.path.dirname(bundled_captures()[0]), "mixed.pcap")
    work = scratch("par-cmd-faults")
    single = os.path.join(work, "single")
    ref = split(cap, single, "proto=all")
    assert ref.returncode == 0, ref.stderr

    def run(k, extra):
        out = os.path.join(work, "out-%d" % k)
        os.makedirs(out)
        os.chmod(out, 0o777)
        env = {"LD_PRELOAD": readable(shim), "FLOWSPLIT_FAULT_DIR": out, "FLOWSPLIT_FAULT_PROGRAM": "flowsplit",
               "FLOWSPLIT_FAULT_ERRNO": "ENOSPC"}
        env.update(extra)
        return out, run_flowsplit(split_args(cap, out, ("proto=all",)), prefix=("-j", "2"), extra_env=env)

    count_file = os.path.join(work, "count")
    out, counted = run(0, {"FLOWSPLIT_FAULT_COUNT": count_file})
    assert counted.returncode == 0, counted.stderr
    same_folders(single, out)
    with open(count_file) as f:
        n = int(f.read())
    assert n > 10, "the sweep sees the command's own calls"
    sample = merge_fault_points()
    points = range(1, n + 1) if n <= sample else sorted({1 + i * (n - 1) // (sample - 1) for i in range(sample)})
    failed = 0
    for k in points:
        out, proc = run(k, {"FLOWSPLIT_FAULT_AT": str(k)})
        names = [x for x in os.listdir(out) if not x.startswith(".flowsplit-parts-")]
        leftover = [x for x in os.listdir(out) if x.startswith(".flowsplit-parts-")]
        if leftover:
            assert any("warning: cannot remove" in l for l in stderr_lines(proc)), (k, proc.stderr)
        if proc.returncode == 0:
            assert sorted(names) == sorted(os.listdir(single)), (k, proc.stderr)
            match, mismatch, errors = filecmp.cmpfiles(single, out, names, shallow=False)
            assert not mismatch and not errors, (k, mismatch + errors)
            continue
        failed += 1
        assert proc.returncode == 2, (k, proc.stderr)
        assert any("No space left on device" in l for l in stderr_lines(proc)), (k, proc.stderr)
        assert names == [], (k, names, proc.stderr)
    assert failed > 0


def test_interrupt_stops_every_worker():
    """SIGINT to flowsplit alone (as a scheduler would send it): every worker
    stops, exit 2, and the output folder holds nothing."""
    cap = generated_capture("par-scale-3000.pcap", "--streams", "3000", "--concurrent", "400")
    work = scratch("par-interrupt")
    out = os.path.join(work, "out")
    cmd, env = flowsplit_command(split_args(cap, out, ("proto=all",)), prefix=("-j", "2"))
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    # As soon as both workers run: tshark alone takes longer than that to
    # load its dissectors, so the split is surely under way, not done.
    deadline = time.monotonic() + 30
    pids = []
    while len(pids) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        pids = [p for p in children_of(proc.pid) if process_name(p) == "tshark"]
    assert len(pids) == 2, "the workers did not start"
    os.kill(flowsplit_pid(proc.pid), signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    for pid in pids:
        assert not os.path.exists("/proc/%d" % pid) or zombie(pid), "worker %d still runs" % pid
    assert not os.path.exists(out) or os.listdir(out) == [], os.listdir(out)


def children_of(pid):
    """Every process under pid."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


def process_name(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def flowsplit_pid(pid):
    """The flowsplit process (setpriv execs it in place, so it is pid)."""
    return pid


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1].startswith("Z")
    except OSError:
        return True


@pytest.mark.parametrize("select", ["frame.number <= 60", "tcp.stream in {1 3}", "frame.time_relative < 0.05"])
def test_select_on_whole_capture_fields_takes_one_tshark(select):
    """A select= filter on a field a shard cannot know (a frame's place in
    the whole capture, a stream number) is split by one tshark, saying so."""
    proc = check_parallel(hard_capture(), ("select=" + select,), 2, "par-select-" + set_id([select]))
    lines = [l for l in stderr_lines(proc) if "one tshark" in l]
    assert len(lines) == 1 and select.split()[0] in lines[0], proc.stderr
