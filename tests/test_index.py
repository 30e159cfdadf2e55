# SPDX-License-Identifier: GPL-2.0-or-later
"""streams.csv: one row per stream, equal to what tshark's own fields say."""
import csv
import importlib.util
import os
import re

import pytest

from conftest import (PROTOS, REPO, bundled_captures, capture_id, index_oracle, parse_time, public_captures, read_index, workdir,
                      scratch, split, split_files, stderr_lines, summary_line, tshark)

CAPTURES = bundled_captures() + public_captures()
COLUMNS = ["stream", "file", "addr_a", "port_a", "addr_b", "port_b", "frames_ab", "bytes_ab", "frames_ba",
           "bytes_ba", "first_frame", "last_frame", "start", "duration", "syn", "close", "tls_sni", "tls_alpn", "ja3",
           "proto"]
INT_COLUMNS = ["port_a", "port_b", "frames_ab", "bytes_ab", "frames_ba", "bytes_ba", "first_frame", "last_frame",
               "syn"]


def conv_rows(capture, proto):
    """Rows of tshark's own Conversations (TCP or UDP) table."""
    p = tshark(["-r", capture, "-q", "-z", "conv," + proto], plugin=False)
    return [l for l in p.stdout.splitlines() if "<->" in l]


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_index_rows_equal_tshark(capture):
    """With proto=all: the TCP rows by stream, then the UDP rows, each equal
    to what tshark's fields say of that stream."""
    out = os.path.join(scratch(capture_id(capture) + "-index"), "out")
    proc = split(capture, out, "proto=all")
    assert proc.returncode == index_oracle(capture).returncode, proc.stderr
    with open(os.path.join(out, "streams.csv"), newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == COLUMNS
    all_rows = read_index(out)
    assert [r["proto"] for r in all_rows] == sorted((r["proto"] for r in all_rows), key=PROTOS.index), \
        "TCP rows do not come first"
    for proto in PROTOS:
        check_rows(capture, out, [r for r in all_rows if r["proto"] == proto], proto)


def check_rows(capture, out, rows, proto):
    o = index_oracle(capture, proto)
    assert o.returncode == index_oracle(capture).returncode
    assert [int(r["stream"]) for r in rows] == sorted(o.rows), "rows are not tshark's %s streams, in order" % proto
    files = split_files(out, proto)
    for r in rows:
        s = int(r["stream"])
        want = o.rows[s]
        assert r["file"] == files[s]
        got = {k: int(r[k]) for k in INT_COLUMNS}
        got.update(addr_a=r["addr_a"], addr_b=r["addr_b"], close=r["close"], tls_sni=r["tls_sni"],
                   tls_alpn=r["tls_alpn"], ja3=r["ja3"], start=parse_time(r["start"]),
                   duration=parse_time(r["duration"]))
        # tshark -T fields prints control characters in its own escapes
        # (format_text); such values are checked by their round trip in
        # test_hostile_tls_values_are_escaped instead.
        for k in ("tls_sni", "tls_alpn", "ja3"):
            if "\\x5C" in want[k]:
                del got[k]
        assert got == {k: want[k] for k in got}, "%s stream %d" % (proto, s)
    # Conversations (TCP, UDP) has a row for each stream that reached the
    # tcp (udp) tap.
    # Only a stream whose every frame is odd (a bad header length, a
    # dissection that throws before the tap, a quote in an ICMP error) may
    # be missing there; the field sums rule for those.
    conv = conv_rows(capture, proto)
    odd = {"tcp": "tcp.hdr_len < 20 or icmp or icmpv6 or _ws.malformed",
           "udp": "udp.length.bad or icmp or icmpv6 or _ws.malformed",
           "dccp": "icmp or icmpv6 or _ws.malformed"}[proto]
    p = tshark(["-r", capture, "-Y", "%s.stream and not (%s)" % (proto, odd), "-T", "fields", "-e",
                proto + ".stream", "-E", "occurrence=a", "-E", "aggregator=,"], plugin=False)
    plain = {v for line in p.stdout.split() for v in line.split(",") if v}
    assert len(plain) <= len(conv) <= len(rows), "stream count differs from -z conv," + proto


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
