# SPDX-License-Identifier: GPL-2.0-or-later
"""streams.csv's ja4 where the running Wireshark has no tls.handshake.ja4
(4.0: plugin/tls_ja4.c computes it) equals the field of Wireshark 4.6 (Debian
sid's tshark in a chroot) for each stream's first ClientHello, on every
capture: ours, the public ones, and the generated ClientHellos of every kind
JA4 reads (generate.py hellos).

The chroot is FLOWSPLIT_JA4_ORACLE_ROOT (tests/run sets it to
build-chroots/sid after tests/other-versions sid made it). Outside tests/run
the test is skipped without it; under tests/run (FLOWSPLIT_TESTS_RUN) a
missing chroot fails it, so CI never passes it unseen. Needs root (chroot).
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import (CAPTURE_OPTIONS, bundled_captures, capture_id, check_fails_as_tshark_does,
                      generated_capture, public_captures, read_index, scratch, split, tshark, tshark_fields)

ORACLE_ROOT = os.environ.get("FLOWSPLIT_JA4_ORACLE_ROOT")
CAPTURES = bundled_captures() + public_captures()


@pytest.fixture(scope="module", autouse=True)
def oracle_root():
    if "tls.handshake.ja4" in tshark_fields():
        pytest.skip("this Wireshark has tls.handshake.ja4 itself: test_index.py compares the column with it")
    if not ORACLE_ROOT:
        if os.environ.get("FLOWSPLIT_TESTS_RUN"):
            pytest.fail("FLOWSPLIT_JA4_ORACLE_ROOT is not set: tests/run must run this after tests/other-versions sid")
        pytest.skip("FLOWSPLIT_JA4_ORACLE_ROOT (a chroot with Wireshark 4.6, e.g. build-chroots/sid) is not set")
    tshark46 = os.path.join(ORACLE_ROOT, "usr", "bin", "tshark")
    assert os.path.exists(tshark46), "no tshark in " + ORACLE_ROOT
    assert os.geteuid() == 0, "reading captures with the chroot's tshark needs root (chroot)"
    return ORACLE_ROOT


def hello_fields(cmd):
    """Rows (frame, tcp streams, udp streams, handshake types, ja4 values)
    of the frames with a ClientHello, from a tshark -T fields command."""
    cmd = cmd + ["-Y", "tls.handshake.type == 1", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=/",
                 "-e", "frame.number", "-e", "tcp.stream", "-e", "udp.stream", "-e", "tls.handshake.type"]
    return cmd


def first_hello_frames(capture):
    """tshark's exit status (2 for a capture cut short) and {(proto, stream):
    frame of its first ClientHello} as the tshark under
    test numbers streams: a hello belongs to the frame's innermost TCP
    stream, else its innermost UDP stream (QUIC), as the index takes it.
    4.6 numbers some streams otherwise (docs/parallel.md), so streams are
    matched by this frame, not by number."""
    proc = tshark(hello_fields(["-r", capture]), plugin=False)
    first = {"returncode": proc.returncode}
    for line in proc.stdout.splitlines():
        num, tcp, udp, types = (line.split("\t") + [""] * 4)[:4]
        if "1" not in types.split("/"):
            continue
        key = ("tcp", int(tcp.split("/")[-1])) if tcp else ("udp", int(udp.split("/")[-1])) if udp else None
        if key is not None and key not in first:
            first[key] = int(num)
    return first.pop("returncode"), first


def oracle_ja4(capture):
    """{frame: ja4} as Wireshark 4.6 says: the first tls.handshake.ja4 of each
    frame with a ClientHello ("" when it has none)."""
    tmp = tempfile.mkdtemp(prefix="flowsplit-ja4-", dir=os.path.join(ORACLE_ROOT, "tmp"))
    try:
        name = os.path.basename(capture)
        shutil.copyfile(capture, os.path.join(tmp, name))
        inside = "/tmp/%s/%s" % (os.path.basename(tmp), name)
        cmd = ["chroot", ORACLE_ROOT, "tshark", "-r", inside] + CAPTURE_OPTIONS.get(name, [])
        proc = subprocess.run(hello_fields(cmd) + ["-e", "tls.handshake.ja4"], capture_output=True, text=True,
                              errors="replace", timeout=1800)
    finally:
        shutil.rmtree(tmp)
    assert proc.returncode == 0, proc.stderr
    ja4 = {}
    for line in proc.stdout.splitlines():
        fields = (line.split("\t") + [""] * 5)[:5]
        ja4[int(fields[0])] = fields[4].split("/")[0]
    return ja4


def check_ja4(capture):
    """Each row's ja4 is 4.6's for the frame of the stream's first
    ClientHello, "" without one. Returns the (proto, stream) of the rows
    with a hello."""
    out = os.path.join(scratch(capture_id(capture) + "-ja4"), "out")
    proc = split(capture, out, "proto=all", "files=no")
    check_fails_as_tshark_does(capture, proc)
    returncode, hellos = first_hello_frames(capture)
    assert proc.returncode == returncode, proc.stderr
    oracle = oracle_ja4(capture) if hellos else {}
    got = {(r["proto"], int(r["stream"])): r["ja4"] for r in read_index(out)}
    assert set(hellos) <= set(got), "streams with a ClientHello that have no row"
    want = {k: oracle.get(hellos[k], "") if k in hellos else "" for k in got}
    mismatches = {k: (v, want[k]) for k, v in got.items() if v != want[k]}
    assert not mismatches, "(proto, stream): (ours, 4.6's), %d of %d rows: %s" % (
        len(mismatches), len(got), dict(list(mismatches.items())[:10]))
    return set(hellos)


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_ja4_equals_wireshark_46(capture):
    check_ja4(capture)


def test_ja4_of_generated_hellos():
    """Hundreds of ClientHellos nobody typed, over TCP and in QUIC Initials:
    every JA4 of 4.6 must be ours."""
    capture = generated_capture("ja4-hellos.pcap", command="hellos")
    hellos = check_ja4(capture)
    assert len(hellos) > 400
    assert len([k for k in hellos if k[0] == "udp"]) > 50, "the QUIC Initials were not read as ClientHellos"
