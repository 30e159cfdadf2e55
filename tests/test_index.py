# SPDX-License-Identifier: GPL-2.0-or-later
"""streams.csv: one row per stream, equal to what tshark's own fields say."""
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import (PROTOS, REPO, bundled_captures, capture_id, check_fails_as_tshark_does, disk_cached,
                      generated_capture,
                      index_oracle, parse_time, public_captures, read_index, tshark_fields, workdir,
                      scratch, split, split_files, stderr_lines, summary_line, tshark)

# FLOWSPLIT_INDEX_QUICK=1 (the sanitizer pass): our captures only.
CAPTURES = bundled_captures() + ([] if os.environ.get("FLOWSPLIT_INDEX_QUICK") else public_captures())
COLUMNS = ["stream", "file", "addr_a", "port_a", "addr_b", "port_b", "frames_ab", "bytes_ab", "frames_ba",
           "bytes_ba", "first_frame", "last_frame", "start", "duration", "syn", "close", "tls_sni", "tls_alpn", "ja3",
           "proto", "community_id", "ja4", "ja3s"]
INT_COLUMNS = ["port_a", "port_b", "frames_ab", "bytes_ab", "frames_ba", "bytes_ba", "first_frame", "last_frame",
               "syn"]


# A row of -z conv,PROTO: "A:port <-> B:port  <-frames bytes  ->frames bytes  total frames bytes ...".
CONV_ROW = re.compile(r"^(?P<a>\S+)\s+<->\s+(?P<b>\S+)\s+\d+ \S+ \w+\s+\d+ \S+ \w+\s+(?P<frames>\d+) "
                      r"(?P<bytes>[\d,]+) (?P<unit>\w+)")


def conversation_tables(capture):
    """{proto: rows} of tshark's own Conversations tables (TCP, UDP, DCCP),
    from one tshark."""
    args = ["-r", capture, "-q"]
    for proto in PROTOS:
        args += ["-z", "conv," + proto]
    p = tshark(args, plugin=False)
    tables, proto = {p: [] for p in PROTOS}, None
    for line in p.stdout.splitlines():
        m = re.match(r"^(TCP|UDP|DCCP) Conversations$", line)
        if m:
            proto = m.group(1).lower()
        elif "<->" in line:
            tables[proto].append(line)
    return tables


def conv_rows(capture, proto):
    """Rows of tshark's own Conversations table of proto."""
    return disk_cached("conv", capture, conversation_tables)[proto]


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_index_rows_equal_tshark(capture):
    """With proto=all: the TCP rows by stream, then the UDP rows, then the
    DCCP rows, each equal to what tshark's fields say of that stream."""
    check_index(capture)


def test_index_of_generated_hellos():
    """The same on ClientHellos of every kind JA4 reads, a third answered
    by a ServerHello (ja3s), some streams with a second ClientHello, and
    some in QUIC Initials (UDP rows, JA4's 'q')."""
    capture = generated_capture("ja4-hellos.pcap", command="hellos")
    check_index(capture)
    quic = [r for r in index_oracle(capture).rows["udp"].values() if r["ja3"]]
    assert len(quic) > 50 and any(r["ja3s"] for r in quic), "the QUIC Initials were not read as hellos"


def check_index(capture):
    out = os.path.join(scratch(capture_id(capture) + "-index"), "out")
    proc = split(capture, out, "proto=all")
    check_fails_as_tshark_does(capture, proc)
    o = index_oracle(capture)
    assert proc.returncode == o.returncode, proc.stderr
    with open(os.path.join(out, "streams.csv"), newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == COLUMNS
    all_rows = read_index(out)
    assert [r["proto"] for r in all_rows] == sorted((r["proto"] for r in all_rows), key=PROTOS.index), \
        "the rows are not TCP, then UDP, then DCCP"
    for proto in PROTOS:
        rows = [r for r in all_rows if r["proto"] == proto]
        assert [int(r["stream"]) for r in rows] == sorted(o.rows[proto]), \
            "rows are not tshark's %s streams, in order" % proto
        if rows:
            check_rows(capture, out, rows, proto, o.rows[proto])
            check_conversations(capture, rows, proto)
    check_community_ids(capture, all_rows, 0)


@pytest.mark.parametrize("capture", bundled_captures(), ids=capture_id)
def test_community_id_seed(capture):
    """community_id_seed=N gives what Wireshark's communityid gives with its
    seed preference at N."""
    seed = 0xBEEF
    out = os.path.join(scratch(capture_id(capture) + "-cid-seed"), "out")
    proc = split(capture, out, "proto=all", "community_id_seed=%d" % seed)
    assert proc.returncode == 0, proc.stderr
    check_community_ids(capture, read_index(out), seed)


def community_id_field():
    """The field of Wireshark's communityid postdissector: "communityid" up
    to 4.4, "communityid.hash" from 4.6."""
    return "communityid.hash" if "communityid.hash" in tshark_fields() else "communityid"


def wireshark_community_ids(capture, seed):
    """wireshark_community_ids_of, asked once per CI pass."""
    return disk_cached("cid-%d" % seed, capture, lambda c: wireshark_community_ids_of(c, seed))


def wireshark_community_ids_of(capture, seed):
    """(proto, stream) -> the set of Community IDs Wireshark's communityid
    postdissector gives the frames whose innermost transport layer is that
    stream's and that carry no ICMP error: the frames it hashes the stream's
    own ends for (it hashes the last IP addresses and the last ports of a
    frame, ICMP's type and code when the frame has ICMP)."""
    field = community_id_field()
    p = tshark(["-r", capture, "--enable-protocol", "communityid", "-o", "communityid.seed:%d" % seed,
                "-T", "fields", "-E", "occurrence=l", "-e", "frame.protocols", "-e", "tcp.stream",
                "-e", "udp.stream", "-e", "dccp.stream", "-e", field], plugin=False)
    ids = {}
    for line in p.stdout.splitlines():
        protocols, tcp_s, udp_s, dccp_s, cid = (line.split("\t") + [""] * 5)[:5]
        layers = protocols.split(":")
        if "icmp" in layers or "icmpv6" in layers or not cid:
            continue
        inner = [x for x in layers if x in PROTOS]
        if not inner:
            continue
        stream = {"tcp": tcp_s, "udp": udp_s, "dccp": dccp_s}[inner[-1]]
        if stream:
            ids.setdefault((inner[-1], int(stream)), set()).add(cid)
    return ids


def check_community_ids(capture, rows, seed):
    """Each row's community_id is the one value Wireshark gives the frames
    it hashes the stream's own ends for; a row none of whose frames is such
    (a stream only ever seen around another, e.g. the UDP of VXLAN) has one
    all the same."""
    ids = wireshark_community_ids(capture, seed)
    compared = 0
    for r in rows:
        want = ids.get((r["proto"], int(r["stream"])))
        if want is None:
            assert re.fullmatch(r"1:[A-Za-z0-9+/]{27}=", r["community_id"]), r
            continue
        assert want == {r["community_id"]}, "%s stream %s" % (r["proto"], r["stream"])
        compared += 1
    assert compared or not ids, "no stream compared with Wireshark's communityid"


def check_rows(capture, out, rows, proto, oracle_rows):
    files = split_files(out, proto)
    for r in rows:
        s = int(r["stream"])
        want = oracle_rows[s]
        assert r["file"] == files[s]
        got = {k: int(r[k]) for k in INT_COLUMNS}
        got.update(addr_a=r["addr_a"], addr_b=r["addr_b"], close=r["close"], tls_sni=r["tls_sni"],
                   tls_alpn=r["tls_alpn"], ja3=r["ja3"], ja3s=r["ja3s"], start=parse_time(r["start"]),
                   duration=parse_time(r["duration"]))
        # Wireshark 4.2+ has tls.handshake.ja4; on 4.0 the column is
        # computed, and test_ja4.py compares it with 4.6's field.
        if want["ja4"] is not None:
            got["ja4"] = r["ja4"]
        # tshark -T fields prints control characters in its own escapes
        # (format_text); such values are checked by their round trip in
        # test_hostile_tls_values_are_escaped instead.
        for k in ("tls_sni", "tls_alpn", "ja3"):
            if "\\x5C" in want[k]:
                del got[k]
        assert got == {k: want[k] for k in got}, "%s stream %d" % (proto, s)


# Frames the transport's tap may never see, so that Conversations leaves
# them out: a bad header length, a dissection that throws before the tap
# (malformed, cut short), a quote in an ICMP error.
ODD_FRAMES = {"tcp": "tcp.hdr_len < 20 or icmp or icmpv6 or _ws.malformed or _ws.short",
              "udp": "udp.length.bad or icmp or icmpv6 or _ws.malformed or _ws.short",
              "dccp": "icmp or icmpv6 or _ws.malformed or _ws.short"}


def odd_frame_counts(capture, proto):
    """{stream: how many of its frames are odd (ODD_FRAMES)}."""
    p = tshark(["-r", capture, "-Y", "%s.stream and (%s)" % (proto, ODD_FRAMES[proto]), "-T", "fields", "-e",
                proto + ".stream", "-E", "occurrence=a", "-E", "aggregator=,"], plugin=False)
    odd_frames = {}
    for line in p.stdout.split():
        for v in set(line.split(",")) - {""}:
            odd_frames[int(v)] = odd_frames.get(int(v), 0) + 1
    return odd_frames


def check_conversations(capture, rows, proto):
    """Conversations (TCP, UDP, DCCP) has a row for each stream that
    reached the tap: every stream with a frame that is not odd, and no more
    streams than the index. Each conversation's frames (and bytes, where
    tshark prints them as bytes, not kB) are the row's, for the streams
    with no odd frame and a pair of endpoints no other stream has (a reused
    TCP 4-tuple is two streams and two conversations under one name)."""
    conv = conv_rows(capture, proto)
    odd_frames = disk_cached("odd-" + proto, capture, lambda c: odd_frame_counts(c, proto))
    frames = {int(r["stream"]): int(r["frames_ab"]) + int(r["frames_ba"]) for r in rows}
    plain = [s for s, n in frames.items() if n > odd_frames.get(s, 0)]
    assert len(plain) <= len(conv) <= len(rows), "stream count differs from -z conv," + proto
    if proto == "dccp":
        return      # Conversations (DCCP) of 4.0 prints no ports: its rows name no stream
    by_pair = {}
    for r in rows:
        pair = frozenset([(r["addr_a"], r["port_a"]), (r["addr_b"], r["port_b"])])
        by_pair.setdefault(pair, []).append(r)
    compared = 0
    for line in conv:
        m = CONV_ROW.match(line)
        assert m, line
        pair = frozenset([tuple(m.group("a").rsplit(":", 1)), tuple(m.group("b").rsplit(":", 1))])
        same = by_pair.get(pair, [])
        if len(same) != 1 or int(same[0]["stream"]) in odd_frames:
            continue
        r = same[0]
        assert int(m.group("frames")) == int(r["frames_ab"]) + int(r["frames_ba"]), line
        if m.group("unit") == "bytes":
            assert int(m.group("bytes")) == int(r["bytes_ab"]) + int(r["bytes_ba"]), line
        compared += 1
    plain_unique = [r for same in by_pair.values() if len(same) == 1 for r in same
                    if int(r["stream"]) not in odd_frames]
    assert compared == len(plain_unique), "streams with no conversation of their own in -z conv," + proto


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", os.path.join(REPO, "captures", "generate.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def unescape(text):
    return re.sub(r"\\x([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


def test_hostile_tls_values_are_escaped(workdir):
    """Hostile server names and ALPN values: the CSV reads back with Python's
    csv module to one row per stream and the same columns, holds no raw
    control character, and the escapes give back what the client sent."""
    gen = load_generator()
    capture = os.path.join(REPO, "captures", "tls-hostile.pcap")
    out = os.path.join(workdir, "out")
    proc = split(capture, out)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(out, "streams.csv"), "rb") as f:
        raw = f.read()
    body = raw.replace(b"\r\n", b"")
    assert not any(b < 0x20 or b == 0x7F for b in body), "a raw control character in streams.csv"
    with open(os.path.join(out, "streams.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert len(table) == 1 + len(gen.HOSTILE_SNI)
    assert {len(r) for r in table} == {len(COLUMNS)}
    for r in read_index(out):
        i = int(r["port_a"]) - 47000
        sent = gen.HOSTILE_SNI[i].decode("utf-8", "replace")
        assert unescape(r["tls_sni"]) == sent, r["tls_sni"]
        assert not r["tls_sni"][:1] in ("=", "+", "-", "@")
        alpn = gen.HOSTILE_ALPN if i % 2 else [b"http/1.1"]
        assert [unescape(a) for a in r["tls_alpn"].split(";")] == [a.decode() for a in alpn]
        assert re.fullmatch(r"[0-9a-f]{32}", r["ja3"])
    assert sorted(os.listdir(out)) == sorted(list(split_files(out).values()) + ["streams.csv"])


def test_index_no_and_files_no(workdir):
    capture = os.path.join(REPO, "captures", "mixed.pcap")
    full = os.path.join(workdir, "full")
    assert split(capture, full).returncode == 0
    out = os.path.join(workdir, "noindex")
    assert split(capture, out, "index=no").returncode == 0
    assert "streams.csv" not in os.listdir(out)
    assert sorted(os.listdir(out)) == sorted(n for n in os.listdir(full) if n != "streams.csv")
    out = os.path.join(workdir, "nofiles")
    proc = split(capture, out, "files=no")
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(out) == ["streams.csv"]
    rows = read_index(out)
    assert all(r["file"] == "" for r in rows)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "file"} for r in rs]
    assert strip(rows) == strip(read_index(full))
    proc = split(capture, os.path.join(workdir, "nothing"), "files=no", "index=no")
    assert proc.returncode != 0 and len(stderr_lines(proc)) == 1


def readme_join_commands():
    """README's "Joining with other tools" blocks: the grep line and the
    Python program."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("### Joining with other tools", 1)[1].split("\n##", 1)[0]
    block = section.split("```", 2)[1]
    grep_line = next(l for l in block.splitlines() if l.startswith("grep "))
    program = block.split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    ja4_line = next(l for l in section.split("```", 4)[3].splitlines() if l.startswith("grep "))
    return grep_line, program, ja4_line


def test_readme_join_commands(workdir):
    """README's join, fed Wireshark's own Community IDs as Suricata alerts
    (one per frame whose innermost transport is a stream's), names for
    each alert the file that holds that frame's stream."""
    capture = os.path.join(REPO, "captures", "mixed.pcap")
    out = os.path.join(workdir, "out")
    proc = split(capture, out, "proto=all")
    assert proc.returncode == 0, proc.stderr
    rows = read_index(out)
    ids = wireshark_community_ids(capture, 0)
    eve = os.path.join(workdir, "eve.json")
    want = []
    with open(eve, "w") as f:
        for (proto, stream), cids in sorted(ids.items()):
            cid = next(iter(cids))
            f.write(json.dumps({"event_type": "alert", "community_id": cid,
                                "alert": {"signature": "%s-%d" % (proto, stream)}}) + "\n")
            files = [r["file"] for r in rows if r["community_id"] == cid]
            want.append(" ".join(["%s-%d" % (proto, stream)] + files))
            mine = [r["file"] for r in rows if r["proto"] == proto and int(r["stream"]) == stream]
            assert set(mine) <= set(files), "the alert's stream is not among the files the join names"
    grep_line, program, _ = readme_join_commands()
    got = subprocess.run([sys.executable, "-", eve, os.path.join(out, "streams.csv")], input=program,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert got == want and want
    cid = re.search(r"'(,1:[^']+)'", grep_line).group(1)
    with open(os.path.join(out, "streams.csv"), encoding="utf-8") as f:
        lines = [l for l in f if cid in l]
    assert lines, "README's grep example is not a Community ID of captures/mixed.pcap"
    got = subprocess.run(["bash", "-c", grep_line.replace("DIR/", out + "/")], capture_output=True, text=True,
                         check=True).stdout.split()
    assert got == [r["file"] for r in rows if r["community_id"] == cid[1:]]


def test_readme_ja4_lookup(workdir):
    """README's JA4 line, on the TLS capture its JA4 comes from, gives the
    files of exactly the rows with that ja4."""
    capture = os.path.join(REPO, "captures", "tls-hostile.pcap")
    out = os.path.join(workdir, "out")
    proc = split(capture, out)
    assert proc.returncode == 0, proc.stderr
    _, _, line = readme_join_commands()
    ja4 = re.search(r"',([^',]+),'", line).group(1)
    want = [r["file"] for r in read_index(out) if r["ja4"] == ja4]
    assert want, "README's JA4 is no stream's in captures/tls-hostile.pcap"
    got = subprocess.run(["bash", "-c", line.replace("DIR/", out + "/")], capture_output=True, text=True,
                         check=True).stdout.split()
    assert got == want
