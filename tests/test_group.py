# SPDX-License-Identifier: GPL-2.0-or-later
"""group=conversation|host|server, on every capture: each group's file holds
exactly the union of its streams' frames (tcp.stream, udp.stream,
dccp.stream as tshark -2 gives them, and their IP fragments), each frame
once, in capture order; the groups themselves are formed here from
tshark's own fields (the index oracle's ends of each stream, the first
frame's TCP flags for the server), never from flowsplit's output. A sample
of the groups is also exported by tshark itself (`tshark -2 -Y "tcp.stream
in {..} || udp.stream in {..} || dccp.stream in {..}" -w`) and compared
record by record, packet options included. streams.csv keeps its rows, the
group's file(s) in `file`. Also: few descriptors (max_open=2), streams=,
files=no, the refused values and combinations, and `flowsplit -j` running
one tshark for a group."""
import ipaddress
import os
import re
import struct

import pytest

import capfile
from conftest import (PROTOS, bundled_captures, capture_id, check_fails_as_tshark_does, index_oracle, oracle,
                      public_captures, read_index, scratch, split, stderr_lines, tshark, tshark_version)

# FLOWSPLIT_GROUP_QUICK=1 (the sanitizer pass, the 4.4 and 4.6 chroots): our captures only.
PUBLIC = [] if os.environ.get("FLOWSPLIT_GROUP_QUICK") else public_captures()
CAPTURES = bundled_captures() + PUBLIC
GROUPINGS = ("conversation", "host", "server")

# Every group is checked against the oracle's listing; tshark's own export
# (one tshark run per group, the costly part: some captures have thousands
# of groups) is run for a sample of them: at most this many per capture,
# spread evenly over the groups in name order, always with the group of the
# most frames, and for one grouping per capture, in turn (the listing
# itself is kept honest per stream by test_membership's reference exports).
# CI's hour is nearly used up.
EXPORT_SAMPLE = int(os.environ.get("FLOWSPLIT_GROUP_EXPORTS", "3"))


def exports_grouping(capture):
    """The grouping whose groups of this capture are exported by tshark."""
    return GROUPINGS[CAPTURES.index(capture) % len(GROUPINGS)]


def name_part(addr):
    """An address as plugin/stream_name.c writes it in a name."""
    return re.sub(r"[^A-Za-z0-9.]", "_", addr) if addr else "unknown"


def address_order(addr):
    """cmp_address's order for IP addresses: IPv4 before IPv6, then the bytes."""
    try:
        ip = ipaddress.ip_address(addr)
        return (ip.version, ip.packed)
    except ValueError:
        return (99, (addr or "").encode())


def expected_files(capture, grouping, streams=None):
    """{(proto, stream): [group file base names]} from tshark's fields: the
    stream's ends are A (source of its first frame) and B of the index
    oracle; its server is A when that frame is a SYN/ACK, else B."""
    rows = index_oracle(capture).rows
    files = {}
    for proto in PROTOS:
        o = oracle(capture, proto)
        for stream in sorted(o.streams):
            if streams is not None and stream not in streams:
                continue
            assert stream in rows[proto], "%s stream %d has no row in the index oracle" % (proto, stream)
            r = rows[proto][stream]
            a, b = r["addr_a"], r["addr_b"]
            if grouping == "conversation":
                lo, hi = sorted((a, b), key=address_order)
                names = ["conv-%s-%s" % (name_part(lo), name_part(hi))]
            elif grouping == "host":
                names = ["host-" + name_part(a)]
                if name_part(b) != name_part(a):
                    names.append("host-" + name_part(b))
            else:
                flags = o.first.get(stream, (0, 0, 0))[2]
                addr, port = (a, r["port_a"]) if (flags & 0x12) == 0x12 else (b, r["port_b"])
                names = ["server-%s.%d" % (name_part(addr), port)]
            files[(proto, stream)] = names
    return files


def groups_of(files):
    """{group file base name: [(proto, stream)]}."""
    groups = {}
    for key, names in files.items():
        for name in names:
            groups.setdefault(name, []).append(key)
    return groups


def listing(capture, members):
    """The frames of a group: the union of its streams' frames, in capture order."""
    frames = set()
    for proto, stream in members:
        frames.update(oracle(capture, proto).streams[stream])
    return sorted(frames)


def check_group_files(capture, out, files, fmt="pcapng"):
    """The folder holds exactly the expected group files (and streams.csv),
    each the digests of its listing. Returns {name: members}."""
    groups = groups_of(files)
    digest = oracle(capture, "tcp").digest
    on_disk = sorted(n for n in os.listdir(out) if n != "streams.csv")
    assert on_disk == sorted(n + "." + fmt for n in groups), "group files differ from the oracle's groups"
    for name, members in groups.items():
        got = [r.digest() for r in capfile.read(os.path.join(out, name + "." + fmt))]
        want = [digest[n] for n in listing(capture, members)]
        assert got == want, "%s: frames differ from the union of its streams %s (%d vs %d frames)" % (
            name, members[:5], len(got), len(want))
    return groups


def sample(capture, groups):
    names = sorted(groups)
    picks = {names[i * len(names) // EXPORT_SAMPLE] for i in range(min(EXPORT_SAMPLE, len(names)))}
    if names:
        picks.add(max(names, key=lambda n: (len(listing(capture, groups[n])), n)))
    return sorted(picks)


def export_filter(members):
    parts = []
    for proto in PROTOS:
        streams = sorted(s for p, s in members if p == proto)
        if streams:
            parts.append("%s.stream in {%s}" % (proto, ",".join(str(s) for s in streams)))
    return " || ".join(parts)


def check_against_exports(capture, out, groups, work):
    """tshark's own export of each sampled group equals the group's file,
    record by record: time, lengths, bytes, comments, shown options, link
    type, and every packet option byte for byte."""
    returncode = oracle(capture).returncode
    for i, name in enumerate(sample(capture, groups)):
        members = groups[name]
        ref = os.path.join(work, "ref-%d.pcapng" % i)
        p = tshark(["-2", "-r", capture, "-Y", export_filter(members), "-w", ref], plugin=False)
        assert p.returncode == returncode, p.stderr
        want = capfile.read(ref)
        got = capfile.read(os.path.join(out, name + ".pcapng"))
        if tshark_version() >= (4, 4) and len(want) < len(got):
            # 4.4 and later leave out the earlier IP fragments of a
            # reassembled segment (as_tshark_exports): keep the frames
            # some stream of the group carries itself.
            own = set()
            for proto, stream in members:
                o = oracle(capture, proto)
                own.update(set(o.streams[stream]) - o.fragments_only[stream])
            got = [r for r, n in zip(got, listing(capture, members)) if n in own]
        assert [r.digest() for r in got] == [r.digest() for r in want], "%s differs from tshark -Y -w" % name
        assert [r.linktype for r in got] == [r.linktype for r in want], "%s: link types differ" % name
        for k, (g, w) in enumerate(zip(got, want)):
            assert g.options == w.options, "%s, record %d: packet options differ from tshark -Y -w" % (name, k)


def row_key(row):
    return (row["proto"], int(row["stream"]))


def group_cases():
    """Our captures (made for such combinations) in every grouping; each
    public capture in one grouping, turn about, with tshark's exports for
    it: every public capture is checked, every grouping meets a third of
    them, and CI keeps under an hour (all three took 10 min of CPU there).
    FLOWSPLIT_GROUP_ALL=1 runs every pair."""
    every = os.environ.get("FLOWSPLIT_GROUP_ALL")
    cases = []
    for c in CAPTURES:
        for g in GROUPINGS:
            if every or c not in PUBLIC or g == exports_grouping(c):
                cases.append(pytest.param(c, g, id="%s-%s" % (capture_id(c), g)))
    return cases


@pytest.mark.parametrize("capture,grouping", group_cases())
def test_group_files(capture, grouping):
    work = scratch(capture_id(capture) + "-group-" + grouping)
    out = os.path.join(work, "out")
    proc = split(capture, out, "proto=all", "group=" + grouping)
    check_fails_as_tshark_does(capture, proc)
    assert proc.returncode == oracle(capture).returncode, proc.stderr
    files = expected_files(capture, grouping)
    groups = check_group_files(capture, out, files)
    if grouping == exports_grouping(capture):
        check_against_exports(capture, out, groups, work)
    # streams.csv: a row per stream, as with one file per stream but for
    # `file`, which names the group's file(s).
    if grouping == "host":
        plain = os.path.join(work, "plain")
        ref = split(capture, plain, "proto=all", "files=no")
        assert ref.returncode == proc.returncode, ref.stderr
        want = {row_key(r): dict(r, file="") for r in read_index(plain)}
    rows = {row_key(r): r for r in read_index(out)}
    assert sorted(rows) == sorted(files), "streams.csv rows are not the capture's streams"
    for key, row in rows.items():
        assert row["file"] == ";".join(n + ".pcapng" for n in files[key]), "%s %d: file column" % key
        if grouping == "host":
            assert dict(row, file="") == want[key], "%s %d: the row differs from group=stream's" % key


def same_ends_capture():
    """TCP in VXLAN whose inner and outer ends are the same two hosts, the
    inner TCP to the VXLAN port: each VXLAN frame is in a UDP and a TCP
    stream of one conversation, of the same two hosts, and of one server
    (10.9.0.2.4789); and a plain TCP stream between them."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "generate", os.path.join(os.path.dirname(bundled_captures()[0]), "generate.py"))
    g = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(g)
    a, b = "10.9.0.1", "10.9.0.2"

    def vxlan(src, dst, sport, dport, inner):
        return g.ether(g.ipv4(src, dst, 17, g.udp(sport, dport, struct.pack("!II", 0x08000000, 7 << 8) + inner)))

    def inner_tcp(src, dst, sport, dport, seq, ack, flags):
        return g.ether(g.ipv4(src, dst, 6, g.tcp(src, dst, sport, dport, seq, ack, flags)))

    frames = [vxlan(a, b, 49152, 4789, inner_tcp(a, b, 40000, 4789, 100, 0, g.TH_SYN)),
              g.ether(g.ipv4(a, b, 6, g.tcp(a, b, 40001, 80, 500, 0, g.TH_SYN))),
              vxlan(b, a, 4789, 49152, inner_tcp(b, a, 4789, 40000, 900, 101, g.TH_SYN | g.TH_ACK)),
              vxlan(a, b, 49152, 4789, inner_tcp(a, b, 40000, 4789, 101, 901, g.TH_ACK)),
              g.ether(g.ipv4(b, a, 6, g.tcp(b, a, 80, 40001, 700, 501, g.TH_SYN | g.TH_ACK)))]
    path = os.path.join(scratch("group-same-ends"), "same-ends.pcap")
    g.write_pcap(path, [(1700000000 * 10**9 + i * 1000, f) for i, f in enumerate(frames)], g.LT_ETHERNET)
    os.chmod(path, 0o644)
    return path


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_frame_in_two_streams_of_a_group(grouping):
    """A frame in two streams of one group is in the group's file once."""
    capture = same_ends_capture()
    shared = set(oracle(capture, "udp").streams.get(0, [])) & set(oracle(capture, "tcp").streams.get(0, []))
    assert len(shared) == 3, "the capture has no frame in a UDP and a TCP stream"
    work = os.path.dirname(capture)
    out = os.path.join(work, "out-" + grouping)
    proc = split(capture, out, "proto=all", "group=" + grouping)
    assert proc.returncode == 0, proc.stderr
    files = expected_files(capture, grouping)
    assert files[("udp", 0)] == files[("tcp", 0)], "the two streams are not of one group"
    groups = check_group_files(capture, out, files)
    check_against_exports(capture, out, groups, work)


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_few_descriptors(grouping):
    """max_open=2 and no buffer: group files are evicted and reopened
    (appended to) all the time, and still hold their union."""
    for name in ("mixed.pcap", "udp.pcap"):
        capture = os.path.join(os.path.dirname(bundled_captures()[0]), name)
        out = os.path.join(scratch("group-few-%s-%s" % (grouping, name)), "out")
        proc = split(capture, out, "proto=all", "group=" + grouping, "max_open=2", "buffer_mb=0")
        assert proc.returncode == 0, proc.stderr
        groups = check_group_files(capture, out, expected_files(capture, grouping))
        assert len(groups) > 2, "too few groups to evict"
        summary = [l for l in stderr_lines(proc) if " files open " in l]
        assert len(summary) == 1 and int(re.search(r"at most (\d+) files open", summary[0]).group(1)) <= 2
        assert int(re.search(r"(\d+) reopens", summary[0]).group(1)) > 0, summary[0]


def test_streams_option_and_files_no():
    """streams= chooses the streams up front: a group file holds its chosen
    streams only. files=no writes no file at all, and no file column."""
    capture = os.path.join(os.path.dirname(bundled_captures()[0]), "mixed.pcap")
    chosen = {0, 2, 3, 5}
    out = os.path.join(scratch("group-streams"), "out")
    proc = split(capture, out, "group=conversation", "streams=0,2-3,5")
    assert proc.returncode == 0, proc.stderr
    files = {k: v for k, v in expected_files(capture, "conversation", chosen).items() if k[0] == "tcp"}
    check_group_files(capture, out, files)
    out = os.path.join(scratch("group-files-no"), "out")
    proc = split(capture, out, "group=host", "files=no")
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(out) == ["streams.csv"]
    assert all(r["file"] == "" for r in read_index(out))


def test_replace_removes_group_files():
    """A folder holding a group split is refused without replace=yes, even
    with no streams.csv; replace=yes removes its group files (and leaves a
    user's own file alone)."""
    capture = os.path.join(os.path.dirname(bundled_captures()[0]), "mixed.pcap")
    out = os.path.join(scratch("group-replace"), "out")
    proc = split(capture, out, "group=host", "index=no")
    assert proc.returncode == 0, proc.stderr
    assert [n for n in os.listdir(out) if n.startswith("host-")]
    with open(os.path.join(out, "host-notes.txt"), "w") as f:
        f.write("mine")
    os.chmod(out, 0o777)
    proc = split(capture, out, "group=conversation")
    assert proc.returncode == 1 and "already holds a split" in proc.stderr, proc.stderr
    proc = split(capture, out, "group=conversation", "replace=yes")
    assert proc.returncode == 0, proc.stderr
    left = sorted(n for n in os.listdir(out) if not n.startswith("conv-"))
    assert left == ["host-notes.txt", "streams.csv"], left


@pytest.mark.parametrize("opts,words", [
    (("group=hosts",), ("\"hosts\"", "stream, conversation, host, server")),
    (("group=",), ("group", "stream, conversation, host, server")),
    (("group=host", "select=tcp.port == 80"), ("select=", "group=host", "streams=")),
    (("select=tcp", "group=server"), ("select=", "group=server")),
    (("group=conversation", "shard=yes"), ("shard=yes", "group=conversation")),
], ids=["bad-value", "empty", "select", "select-first", "shard"])
def test_refused_before_a_packet(opts, words):
    """One line, exit status 1, the folder never made."""
    out = os.path.join(scratch("group-refused"), "out")
    proc = split(os.path.join(os.path.dirname(bundled_captures()[0]), "mixed.pcap"), out, *opts)
    assert proc.returncode == 1, proc.stderr
    lines = stderr_lines(proc)
    assert len(lines) == 1 and lines[0].startswith("flowsplit: "), proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert not os.path.exists(out)


def test_parallel_command_runs_one_tshark():
    """flowsplit -j 2 with group=host: one tshark, saying why in one line,
    and the folder one tshark writes, byte for byte."""
    from test_parallel import check_parallel
    capture = os.path.join(os.path.dirname(bundled_captures()[0]), "udp.pcap")
    proc = check_parallel(capture, ("proto=all", "group=host"), 2, "group-par")
    lines = [l for l in stderr_lines(proc) if "one tshark" in l]
    assert len(lines) == 1 and "group=host" in lines[0], proc.stderr
