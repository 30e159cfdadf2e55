# SPDX-License-Identifier: GPL-2.0-or-later
"""Open files are bounded and never lossy: 20,000 streams with 5,000 open at
the same time split exactly under `ulimit -n 64`, with max_open=4, and with
a max_open the process cannot hold (5000 under `ulimit -n 64`), and
1,000,000 short streams with max_open=64."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import capfile
from conftest import (capinfos_all, check_membership, generated_capture, scratch, split, split_files,
                      summary_number)


@pytest.fixture(scope="module")
def many_streams():
    return generated_capture("scale-20k-5k.pcap", "--streams", "20000", "--concurrent", "5000",
                             "--frames-per-stream", "9")


def check_concurrency(capture, at_least):
    """The capture really has that many streams open at once (per tshark)."""
    proc = subprocess.run(["tshark", "-r", capture, "-T", "fields", "-e", "tcp.stream"],
                          capture_output=True, text=True)
    first, last = {}, {}
    for i, line in enumerate(proc.stdout.splitlines()):
        s = int(line)
        first.setdefault(s, i)
        last[s] = i
    events = sorted([(f, 1) for f in first.values()] + [(l + 0.5, -1) for l in last.values()])
    open_now = most = 0
    for _, d in events:
        open_now += d
        most = max(most, open_now)
    assert len(first) >= 20000 and most >= at_least, (len(first), most)


def test_capture_shape(many_streams):
    check_concurrency(many_streams, 5000)


@pytest.mark.parametrize("how", ["ulimit-n-64", "max_open=4", "max_open-over-ulimit"])
def test_many_streams_bounded(many_streams, how):
    work = memory_scratch("flowsplit-" + how, 1 << 30)
    try:
        check_many_streams_bounded(many_streams, how, os.path.join(work, "out"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_many_streams_bounded(many_streams, how, out):
    if how == "ulimit-n-64":
        proc = split(many_streams, out, ulimit_n=64)
        bound = 64
    elif how == "max_open-over-ulimit":
        # The writer thread runs out of descriptors opening files: the rest
        # of its batch is done where files can be closed, and max_open
        # comes down to what the process holds.
        proc = split(many_streams, out, "max_open=5000", ulimit_n=64)
        bound = 64
        assert summary_number(proc, r"\(max_open=(\d+)\)") < 64, proc.stderr[-3000:]
    else:
        proc = split(many_streams, out, "max_open=4", "buffer_mb=0")
        bound = 4
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert summary_number(proc, r"at most (\d+) files open") <= bound
    if how == "max_open=4":
        assert summary_number(proc, r"(\d+) reopens after eviction") > 0
    files = check_membership(many_streams, out)
    assert len(files) == 20000
    capinfos_all(out, files.values())
    # A reopened file goes on where it stopped: one section, and libpcap
    # (tcpdump) reads all of it.
    for name in sorted(files.values())[::500]:
        records = capfile.read(os.path.join(out, name))
        assert {r.section for r in records} == {0}, name
        p = subprocess.run(["tcpdump", "-nr", os.path.join(out, name)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert len(p.stdout.splitlines()) == len(records)


def test_pcap_appends_under_eviction():
    """format=pcap files evicted and reopened are appended to: exact frames,
    nothing left over."""
    capture = generated_capture("scale-2k-500.pcap", "--streams", "2000", "--concurrent", "500",
                                "--frames-per-stream", "9")
    work = memory_scratch("flowsplit-pcap-evict", 1 << 30)
    try:
        check_pcap_appends(capture, os.path.join(work, "out"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_pcap_appends(capture, out):
    proc = split(capture, out, "format=pcap", "max_open=3", "buffer_mb=0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert summary_number(proc, r"(\d+) reopens after eviction") > 1000
    assert not [n for n in os.listdir(out) if n.endswith(".part")]
    files = check_membership(capture, out, "pcap")
    assert all(n.endswith(".pcap") for n in files.values())
    sample = sorted(files.values())[::200]
    for name in sample:
        p = subprocess.run(["tcpdump", "-nr", os.path.join(out, name)], capture_output=True, text=True)
        assert p.returncode == 0 and len(p.stdout.splitlines()) == len(capfile.read(os.path.join(out, name)))


def memory_scratch(name, need):
    """A scratch folder on /dev/shm (tmpfs) when it has need bytes free,
    else an ordinary one. Making 20,000 or a million files on this disk
    costs minutes of the file system's own work (5-13x tmpfs's here), which
    is not what these tests check; the caller removes the folder."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize >= need:
            path = tempfile.mkdtemp(prefix=name + "-", dir=shm)
            os.chmod(path, 0o777)
            return path
    return scratch(name)


def test_million_short_streams_with_64_open():
    """1,000,000 short streams (SYN, SYN-ACK, RST), 1,000 open at once,
    split with max_open=64: every stream its file, the rule holds for all."""
    capture = generated_capture("short-1m.pcap", "--streams", "1000000", "--concurrent", "1000",
                                "--frames-per-stream", "3")
    # A page per file, and the index.
    work = memory_scratch("flowsplit-short-1m", 6 << 30)
    try:
        out = os.path.join(work, "out")
        proc = split(capture, out, "max_open=64")
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert summary_number(proc, r"at most (\d+) files open") <= 64
        files = check_membership(capture, out)
        assert len(files) == 1000000
        capinfos_all(out, sorted(files.values())[::10000])
    finally:
        shutil.rmtree(work, ignore_errors=True)
