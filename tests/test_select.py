# SPDX-License-Identifier: GPL-2.0-or-later
"""Splitting only some streams: streams=LIST, and select=FILTER (every frame
of each stream that has at least one frame matching a display filter, in
one pass). On every capture the streams split are those tshark names
(`tshark -Y FILTER -T fields -e tcp.stream`, or the list against tshark's
own tcp.stream values), each by the membership rule, and the index has
exactly their rows; with proto=all the same for udp.stream."""
import os

import pytest

from conftest import (PROTOS, bundled_captures, capture_id, check_membership, oracle, public_captures, read_index,
                      scratch, split, split_files, stderr_lines, summary_number, tshark)

CAPTURES = bundled_captures() + public_captures()
MIXED = os.path.join(os.path.dirname(bundled_captures()[0]), "mixed.pcap")

# Filters that pick different streams of different captures; one has a
# comma and one a colon in it, which pass as they are (see README).
FILTERS = [
    "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "tcp.len > 100 && frame.number > 10",
    "tls.handshake.type == 1 || http.request",
    "tcp.port in {80,443}",
    "eth.src == 00:00:00:00:00:00 || ip.fragment",
]


def streams_matching(capture, flt, proto="tcp"):
    """The tcp.stream (udp.stream) values of the frames that match flt, by tshark."""
    proc = tshark(["-r", capture, "-Y", flt, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
                   "-e", proto + ".stream"], plugin=False)
    found = set()
    for line in proc.stdout.splitlines():
        found.update(int(s) for s in line.split(",") if s.strip())
    return found


def check_selected(capture, out, proc, expected, others=None):
    """expected: the TCP streams that must be split; others: {proto: streams}
    of the other transports (none when not given)."""
    assert proc.returncode == oracle(capture).returncode, proc.stderr
    rows = read_index(out) if os.path.exists(os.path.join(out, "streams.csv")) else []
    wanted = dict(others or {}, tcp=expected)
    for proto in PROTOS:
        want = wanted.get(proto, ())
        check_membership(capture, out, only=want, proto=proto)
        assert sorted(int(r["stream"]) for r in rows if r["proto"] == proto) == sorted(want)
    total = sum(len(w) for w in wanted.values())
    assert summary_number(proc, r"flowsplit: (\d+) streams") == total
    assert summary_number(proc, r"written to (\d+) files") == total


def list_of(streams):
    """A streams=LIST of a few of these streams: the first, a range in the
    middle, and every stream from the last-but-one on."""
    s = sorted(streams)
    if len(s) < 4:
        return str(s[0]), {s[0]}
    mid = len(s) // 2
    text = "%d,%d-%d,%d-" % (s[0], s[mid - 1], s[mid], s[-2])
    want = {s[0]} | {x for x in s if s[mid - 1] <= x <= s[mid]} | {x for x in s if x >= s[-2]}
    return text, want


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_streams_list(capture):
    o = oracle(capture)
    if not o.streams:
        pytest.skip("no TCP stream in this capture")
    text, want = list_of(o.streams)
    out = os.path.join(scratch(capture_id(capture) + "-streams"), "out")
    proc = split(capture, out, "streams=" + text, "max_open=2")
    check_selected(capture, out, proc, want)


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_select_filter(capture):
    """Two of the filters on each capture, in turn, so that every filter
    meets many captures and CI's time holds (all of them on mixed.pcap)."""
    o = oracle(capture)
    if not o.streams:
        pytest.skip("no TCP stream in this capture")
    k = CAPTURES.index(capture)
    picks = range(len(FILTERS)) if capture == MIXED else [k % len(FILTERS), (k + 2) % len(FILTERS)]
    for i in picks:
        flt = FILTERS[i]
        want = streams_matching(capture, flt)
        out = os.path.join(scratch("%s-select-%d" % (capture_id(capture), i)), "out")
        proc = split(capture, out, "select=" + flt, *(["format=pcap"] if i % 2 else []))
        check_selected(capture, out, proc, want)


def in_list(text, stream):
    """Does a streams=LIST text such as "0,5-9,20-" hold stream?"""
    for part in text.split(","):
        low, dash, high = part.partition("-")
        if (not dash and stream == int(low)) or (dash and int(low) <= stream and (not high or stream <= int(high))):
            return True
    return False


OTHER_CAPTURES = [c for c in CAPTURES if any(oracle(c, p).streams for p in PROTOS[1:])]


@pytest.mark.parametrize("capture", OTHER_CAPTURES, ids=capture_id)
def test_select_and_streams_with_udp_and_dccp(capture):
    """proto=all: a filter that picks streams of several transports, and a
    list, which counts in each transport's own numbers."""
    flt = "udp.length > 100 || dccp.type == 2 || (tcp.flags.syn == 1 && tcp.flags.ack == 0)"
    want = {proto: streams_matching(capture, flt, proto) for proto in PROTOS}
    out = os.path.join(scratch(capture_id(capture) + "-select-other"), "out")
    proc = split(capture, out, "proto=all", "select=" + flt, "max_open=2")
    check_selected(capture, out, proc, want.pop("tcp"), want)
    proto = "udp" if oracle(capture, "udp").streams else "dccp"
    text, _ = list_of(oracle(capture, proto).streams)
    want = {p: {s for s in oracle(capture, p).streams if in_list(text, s)} for p in ("tcp", proto)}
    assert want[proto], "the list picks no %s stream" % proto
    out = os.path.join(scratch(capture_id(capture) + "-streams-other"), "out")
    proc = split(capture, out, "proto=tcp," + proto, "streams=" + text)
    check_selected(capture, out, proc, want.pop("tcp"), want)


def test_select_and_streams_together(workdir):
    want = streams_matching(MIXED, FILTERS[1]) & {s for s in oracle(MIXED).streams if s >= 5}
    assert want, "the test needs a capture where both pick something"
    out = os.path.join(workdir, "out")
    proc = split(MIXED, out, "select=" + FILTERS[1], "streams=5-")
    check_selected(MIXED, out, proc, want)


def test_bad_filter_stops_before_reading(workdir):
    out = os.path.join(workdir, "out")
    proc = split(MIXED, out, "select=tcp.port == == 80")
    assert proc.returncode == 1, proc.stderr
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "display filter" in lines[0], proc.stderr
    # Wireshark's own words for the error.
    plain = tshark(["-r", MIXED, "-Y", "tcp.port == == 80"], plugin=False)
    assert plain.returncode != 0
    assert "was unexpected" in lines[0] and "was unexpected" in plain.stderr, (lines, plain.stderr)
    assert not os.path.exists(out), "the folder was made although the filter is bad"


def test_bad_filter_keeps_an_earlier_split(workdir):
    out = os.path.join(workdir, "out")
    assert split(MIXED, out).returncode == 0
    before = sorted(os.listdir(out))
    proc = split(MIXED, out, "replace=yes", "select=no_such_field == 1")
    assert proc.returncode == 1 and "no_such_field" in proc.stderr, proc.stderr
    assert sorted(os.listdir(out)) == before
