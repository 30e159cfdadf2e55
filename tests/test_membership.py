# SPDX-License-Identifier: GPL-2.0-or-later
"""The membership rule, on every capture: each stream's file holds exactly
the frames `tshark -2 -Y "tcp.stream eq N" -w` writes, in capture order,
with the same time stamps, lengths, bytes, comments and other packet
options; with proto=all the same for each UDP stream and `udp.stream eq N`."""
import os
import re
import pytest

import capfile
from conftest import (PROTOS, SANITIZED, bundled_captures, capinfos_all, capture_id, check_fails_as_tshark_does,
                      check_membership, oracle,
                      public_captures, read_index, scratch, split, split_files, stderr_lines, tshark, tshark_version)

CAPTURES = bundled_captures() + public_captures()

# (format, options): the defaults (TCP only); a tiny cache, where frames of
# closed streams wait in memory (buffer_mb) and files are evicted and
# reopened, with a 1 MB arena that the larger captures fill, so that it is
# written out mid-run (plugin/pending.c); and no buffer, where every such
# frame evicts a file and reopens (appends to) its own. Two of them split UDP too. The two in pcap take
# index=no, where the intake reads the taps and builds a protocol tree only
# for the frames they leave open (plugin/intake_tree.c); the others build one for
# every frame: the same files either way.
VARIANTS = [("pcapng", ()), ("pcap", ("index=no",)), ("pcapng", ("max_open=2", "buffer_mb=1", "proto=all")),
            ("pcap", ("max_open=2", "buffer_mb=0", "proto=all", "index=no")), ("pcapng", ("max_open=2", "buffer_mb=0"))]


def variant_id(v):
    return "-".join((v[0],) + v[1])


# FLOWSPLIT_VARIANTS=ID,ID... runs only those (tests/other-versions does, to
# fit CI's time with two more Wireshark versions).
if os.environ.get("FLOWSPLIT_VARIANTS"):
    VARIANTS = [v for v in VARIANTS if variant_id(v) in os.environ["FLOWSPLIT_VARIANTS"].split(",")]

# The public captures (other people's, ../shared) take the first three,
# one each, turn about: the two without a buffer (every frame evicts,
# appends) are for the bundled ones, made for the hard cases, which take
# every variant; test_two_runs_write_the_same_bytes splits every capture
# that way (max_open=2, buffer_mb=0) and checks the bytes, the fault sweep
# runs those paths under ASan. Every capture, every variant cost 5x65
# splits, a fifth of CI's hour.
PUBLIC_VARIANTS = [v for v in VARIANTS if "buffer_mb=0" not in v[1]]
BUNDLED = bundled_captures()


def membership_cases():
    cases = [(c, v) for c in BUNDLED for v in VARIANTS]
    if PUBLIC_VARIANTS:
        cases += [(c, PUBLIC_VARIANTS[i % len(PUBLIC_VARIANTS)]) for i, c in enumerate(public_captures())]
    return [pytest.param(c, v, id="%s-%s" % (capture_id(c), variant_id(v))) for c, v in cases]


CASES = membership_cases()


@pytest.mark.parametrize("capture,variant", CASES)
def test_membership(capture, variant):
    fmt, extra = variant
    max_open = next((int(o.split("=")[1]) for o in extra if o.startswith("max_open=")), None)
    out = os.path.join(scratch(capture_id(capture) + "-" + variant_id(variant)), "out")
    opts = ["format=" + fmt] + list(extra)
    proc = split(capture, out, *opts)
    check_fails_as_tshark_does(capture, proc)
    o = oracle(capture)
    # tshark's own status stands: 0, or 2 for a damaged capture it read part of.
    assert proc.returncode == o.returncode, proc.stderr
    summary = [l for l in stderr_lines(proc) if l.startswith("flowsplit: ")]
    assert len(summary) == 1 and " streams, " in summary[0], proc.stderr
    protos = PROTOS if "proto=all" in extra else ("tcp",)
    names = []
    for proto in PROTOS:
        if proto in protos:
            names += check_membership(capture, out, fmt, proto=proto).values()
        else:
            assert not split_files(out, proto), "%s files without proto=%s" % (proto, proto)
    if os.path.exists(os.path.join(out, "streams.csv")):
        assert {r["proto"] for r in read_index(out)} <= set(protos), "rows of a transport not asked for"
    assert int(re.search(r"flowsplit: (\d+) streams", summary[0]).group(1)) == len(names)
    if names:
        capinfos_all(out, names)
    if max_open:
        most = int(re.search(r"at most (\d+) files open", summary[0]).group(1))
        assert most <= max_open, summary[0]


# The oracle's honesty does not depend on the build; under the sanitizer
# its split runs the code of the default variant again, at twice the cost.
def reference_cases():
    """Every capture and transport; with FLOWSPLIT_REFERENCE_QUICK=1
    (tests/other-versions) TCP for every capture, UDP and DCCP for ours,
    made for those cases."""
    quick = bool(os.environ.get("FLOWSPLIT_REFERENCE_QUICK"))
    ours = set(bundled_captures())
    return [pytest.param(c, p, id="%s-%s" % (capture_id(c), p)) for c in CAPTURES for p in PROTOS
            if not quick or p == "tcp" or c in ours]


@pytest.mark.skipif(SANITIZED, reason="checks the oracle; the normal pass runs it")
@pytest.mark.parametrize("capture,proto", reference_cases())
def test_reference_exports(capture, proto):
    """Keeps the oracle's listing honest: for a sample of streams (the
    first, middle and last, and up to three reassembled from IP fragments),
    a real `tshark -2 -Y "tcp.stream in {...}" -w` (or udp.stream) export
    holds each stream's frames as flowsplit's file does, record by record
    (time, lengths, bytes, comments and the packet options tshark shows as
    fields, link type), and so are all the packet options of each record,
    byte for byte, in order: also those tshark has no field for (epb_hash,
    custom options). One export for the sample, not one per stream: each
    tshark costs most of a second before it reads a frame."""
    o = oracle(capture, proto)
    streams = sorted(o.streams)
    if not streams:
        pytest.skip("no %s stream in this capture" % proto.upper())
    work = scratch(capture_id(capture) + "-ref-" + proto)
    out = os.path.join(work, "out")
    proc = split(capture, out, "proto=" + proto)
    check_fails_as_tshark_does(capture, proc)
    assert proc.returncode == o.returncode, proc.stderr
    files = split_files(out, proto)
    picks = sorted({streams[0], streams[len(streams) // 2], streams[-1]} | set(o.reassembled[:3]))
    ref = os.path.join(work, "ref.pcapng")
    p = tshark(["-2", "-r", capture, "-Y", "%s.stream in {%s}" % (proto, ",".join(map(str, picks))), "-w", ref],
               plugin=False)
    assert p.returncode == o.returncode, p.stderr
    exported = exported_frames(o, picks, capfile.read(ref))
    for s in picks:
        got = capfile.read(os.path.join(out, files[s]))
        assert len(got) == len(o.streams[s]), "stream %d: the file's frames are not the listing's" % s
        pairs = [(g, exported[n]) for g, n in zip(got, o.streams[s]) if n in exported]
        assert [g.digest() for g, _ in pairs] == [w.digest() for _, w in pairs], "stream %d differs from tshark -Y -w" % s
        assert [g.linktype for g, _ in pairs] == [w.linktype for _, w in pairs], "stream %d: link types differ" % s
        for i, (g, w) in enumerate(pairs):
            assert g.options == w.options, "stream %d, record %d: packet options differ from tshark -Y -w" % (s, i)


def exported_frames(o, picks, records):
    """{frame number: record} of a `tshark -2 -Y "... in {picks}" -w` export:
    its records matched, in order, to the frames the listing gives the
    picked streams. Only the earlier IP fragments of a reassembled segment
    may be missing, and only from tshark 4.4 on (as_tshark_exports); any
    other difference between the export and the listing fails here."""
    frames = sorted(set().union(*(o.streams[s] for s in picks)))
    droppable = set().union(*(o.fragments_only[s] for s in picks)) if tshark_version() >= (4, 4) else set()
    found, j = {}, 0
    for n in frames:
        if j < len(records) and records[j].digest() == o.digest[n]:
            found[n] = records[j]
            j += 1
        else:
            assert n in droppable, "frame %d: tshark -Y -w wrote another frame, or left out more than fragments" % n
    assert j == len(records), "tshark -Y -w wrote frames the listing does not give these streams"
    return found


# (bundled capture, display filter) for each case.
HARD_CASES = {
    "TCP segment in IPv4 fragments": ("mixed.pcap", "ip.fragment and tcp"),
    "TCP segment in IPv6 fragments": ("mixed.pcap", "ipv6.fragment and tcp"),
    "port reuse": ("mixed.pcap", "tcp.analysis.reused_ports"),
    "TCP header with a bad length": ("mixed.pcap", "tcp.hdr_len < 20"),
    "TCP quoted in ICMP": ("mixed.pcap", "icmp and tcp"),
    "TCP in GRE": ("mixed.pcap", "gre and tcp"),
    "6in4 tunnel": ("mixed.pcap", "ip and ipv6 and tcp"),
    "VLAN": ("mixed.pcap", "vlan and tcp"),
    "QinQ": ("mixed.pcap", "ieee8021ad and vlan and tcp"),
    "MPLS": ("mixed.pcap", "mpls and tcp"),
    "retransmission": ("mixed.pcap", "tcp.analysis.retransmission"),
    "UDP in fragments": ("mixed.pcap", "ip.fragment and udp"),
    "UDP in IPv4 fragments, the peer between them": ("udp.pcap", "ip.fragment and udp.stream"),
    "UDP in IPv6 fragments": ("udp.pcap", "ipv6.fragment and udp.stream"),
    "UDP quoted in ICMP": ("udp.pcap", "icmp and udp.stream"),
    "UDP quoted in ICMPv6": ("udp.pcap", "icmpv6 and udp.stream"),
    "UDP over IPv6": ("udp.pcap", "ipv6 and udp.stream and not icmpv6"),
    "UDP in GRE": ("udp.pcap", "gre and udp.stream"),
    "UDP length past the datagram": ("udp.pcap", "udp.length > 400 and udp.length.bad"),
    "UDP length under its header": ("udp.pcap", "udp and not udp.stream"),
    "TCP in VXLAN: one frame, a UDP and a TCP stream": ("udp.pcap", "vxlan and udp.stream and tcp.stream"),
    "TLS ClientHello in a tunnelled TCP stream": ("udp.pcap", "udp.stream and tls.handshake.type == 1"),
    "DCCP quoted in ICMP": ("dccp.pcap", "icmp and dccp.stream"),
    "DCCP over IPv6": ("dccp.pcap", "ipv6 and dccp.stream"),
    "DCCP 4-tuple used again after a Reset": ("dccp.pcap", "dccp.type == 0 and frame.number > 50"),
    "packet options on a stream's first TLS ClientHello": ("options-everywhere.pcapng",
                                                           "tls.handshake.type == 1 and frame.packet_flags"),
    "packet options on a TCP header with a bad length": ("options-everywhere.pcapng",
                                                         "tcp.hdr_len < 20 and frame.drop_count"),
    "packet options on a TCP header cut short": ("options-everywhere.pcapng",
                                                 "tcp and frame.cap_len < frame.len and frame.comment"),
    "packet options on an IPv4 fragment held for later": ("options-everywhere.pcapng",
                                                          "ip.flags.mf == 1 and frame.packet_flags"),
    "packet options on an IPv6 fragment held for later": ("options-everywhere.pcapng",
                                                          "ipv6.fraghdr.more == 1 and frame.comment"),
    "packet options on a frame in two TCP streams": ("options-everywhere.pcapng",
                                                     "rpcap and tcp.stream and frame.packet_flags"),
    "packet options on TCP in VXLAN, GRE and IP-in-IP": ("options-everywhere.pcapng",
                                                         "(vxlan or gre or ip.proto == 4) and tcp and frame.comment"),
    "packet options on UDP and DCCP": ("options-everywhere.pcapng", "(udp.stream or dccp) and frame.drop_count"),
    "packet options on SYN, FIN and RST": ("options-everywhere.pcapng",
                                           "tcp.flags.syn == 1 and tcp.flags.fin == 0 and frame.comment"),
}


def test_bundled_capture_has_streams_without_syn():
    from conftest import index_oracle
    mixed = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "captures", "mixed.pcap")
    assert [s for s, r in index_oracle(mixed).rows["tcp"].items() if r["syn"] == 0]


def test_tcp_inside_tcp_is_in_both_streams():
    """A frame with two TCP layers goes into each of its two streams."""
    capture = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "captures",
                           "tcp-in-rpcap.pcap")
    o = oracle(capture)
    shared = set(o.streams[0]) & set(o.streams[1])
    assert len(o.streams) == 2 and len(shared) > 5, "the capture has no frame with two TCP streams"


@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_bundled_captures_cover_the_hard_cases(case):
    """The generated captures really hold each case the rule must hold for,
    so the membership tests cannot pass vacuously."""
    name, flt = HARD_CASES[case]
    capture = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "captures", name)
    p = tshark(["-2", "-r", capture, "-Y", flt], plugin=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip(), "captures/%s has no frame for: %s" % (name, case)


@pytest.mark.parametrize("name", ["ppp-dir.pcap", "packet-options.pcapng"])
def test_wiretap_writes_what_flowsplit_does_not_encode(name):
    """A pseudo-header link type, or a packet option flowsplit's encoder
    leaves alone, switches the stream's file to wiretap; the rule holds
    across the switch, and through evictions (pcapng: a new section; pcap:
    a .part file appended at close)."""
    capture = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "captures", name)
    for fmt in ("pcapng", "pcap"):
        out = os.path.join(scratch(name + "-wiretap-" + fmt), "out")
        proc = tshark(["-r", capture, "-q", "--log-debug", "flowsplit", "-X",
                       "flowsplit:out=%s,format=%s,max_open=2,buffer_mb=0" % (out, fmt)])
        assert proc.returncode == 0, proc.stderr
        assert "wiretap writes its frames" in proc.stderr
        assert not [n for n in os.listdir(out) if n.endswith(".part")]
        files = check_membership(capture, out, fmt if name == "ppp-dir.pcap" else "pcapng")
        capinfos_all(out, files.values())
        if name == "packet-options.pcapng":
            sections = [max(r.section for r in capfile.read(os.path.join(out, n))) for n in files.values()]
            assert max(sections) > 0, "the switch to wiretap did not start a new section"


def folder_bytes(out):
    """{name: bytes} of every file of a split."""
    contents = {}
    for name in sorted(os.listdir(out)):
        with open(os.path.join(out, name), "rb") as f:
            contents[name] = f.read()
    return contents


@pytest.mark.skipif(SANITIZED or bool(os.environ.get("FLOWSPLIT_SKIP_TWO_RUNS")),
                    reason="determinism is the normal build's to show (saves the other passes' time)")
@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_two_runs_write_the_same_bytes(capture):
    """Names and contents are deterministic: a second split of the same input
    with the same options (files evicted and reopened all the time, which
    wiretap-written files show as new sections) is byte for byte the first."""
    work = scratch(capture_id(capture) + "-twice")
    first, second = os.path.join(work, "first"), os.path.join(work, "second")
    for out in (first, second):
        proc = split(capture, out, "max_open=2", "buffer_mb=0")
        assert proc.returncode == oracle(capture).returncode, proc.stderr
    a, b = folder_bytes(first), folder_bytes(second)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], "%s differs between two runs" % name
