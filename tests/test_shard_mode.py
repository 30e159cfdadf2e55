# SPDX-License-Identifier: GPL-2.0-or-later
"""shard=yes, the split a worker of the flowsplit command runs on its shard
(docs/design.md): the same files as without it, and instead of streams.csv
the shard list shard-streams.csv, with a row for every stream the split saw
and three more columns, selected, written and written_bytes. Its selected rows are
streams.csv's rows of the same split without shard=yes; its other rows are
the streams tshark shows that select= did not match; written is the number
of records in the stream's file, written_bytes their captured bytes. Beside it shard-counts.csv holds, for each
split transport, the number of stream indexes the dissection handed out:
here, where every number has a frame, one more than tshark's highest (no
DCCP row on 4.6, which does not export that counter)."""
import os

import pytest

import capfile
from conftest import PROTOS, bundled_captures, split, stderr_lines, summary_line, tshark

CAPTURES = os.path.dirname(bundled_captures()[0])
SHARD_LIST = "shard-streams.csv"
SHARD_COUNTS = "shard-counts.csv"

# (capture, options): proto=all throughout; select= picks some streams of
# each transport and leaves others.
CASES = [
    ("mixed.pcap", []),
    ("mixed.pcap", ["select=tcp.flags.syn == 1 && tcp.flags.ack == 0"]),
    ("mixed.pcap", ["select=tcp.len > 100 || ip.fragment", "index=no"]),
    ("mixed.pcap", ["format=pcap", "select=frame.number > 40"]),
    ("udp.pcap", []),
    ("udp.pcap", ["select=dns || tcp"]),
    ("udp.pcap", ["files=no", "select=udp.length > 100"]),
]


def case_id(case):
    return case[0] + ("-" + "-".join(o.split("=")[0] for o in case[1]) if case[1] else "")


def read_lines(path):
    """The file's lines, each with its CRLF, as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\r\n"), path
    return [l + b"\r\n" for l in data[:-2].split(b"\r\n")]


def shard_rows(out):
    """(header, [(line without the three last columns, {column: value})])."""
    lines = read_lines(os.path.join(out, SHARD_LIST))
    header = lines[0][:-2].decode().split(",")
    assert header[-3:] == ["selected", "written", "written_bytes"]
    rows = []
    for line in lines[1:]:
        values = line[:-2].decode().split(",")
        assert len(values) == len(header), line
        plain = ",".join(values[:-3]).encode() + b"\r\n"
        rows.append((plain, dict(zip(header, values))))
    plain_header = ",".join(header[:-3]).encode() + b"\r\n"
    return plain_header, rows


def tshark_streams(capture, flt=None):
    """{proto: set of stream numbers} of the frames tshark shows (that match flt)."""
    args = ["-r", capture, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=\t"]
    if flt is not None:
        args += ["-Y", flt]
    for proto in PROTOS:
        args += ["-e", proto + ".stream"]
    proc = tshark(args, plugin=False)
    assert proc.returncode == 0, proc.stderr
    found = {p: set() for p in PROTOS}
    for line in proc.stdout.splitlines():
        for proto, values in zip(PROTOS, line.split("\t")):
            found[proto].update(int(v) for v in values.split(",") if v.strip())
    return found


def option_value(options, key):
    for o in options:
        if o.startswith(key + "="):
            return o[len(key) + 1:]
    return None


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_shard_list(case, workdir):
    name, options = case
    capture = os.path.join(CAPTURES, name)
    options = ["proto=all"] + options
    shard_out = os.path.join(workdir, "shard")
    plain_out = os.path.join(workdir, "plain")
    shard_proc = split(capture, shard_out, "shard=yes", *options)
    plain_proc = split(capture, plain_out, *options)
    assert shard_proc.returncode == 0 and plain_proc.returncode == 0, shard_proc.stderr + plain_proc.stderr
    assert summary_line(shard_proc).replace(shard_out, "OUT") == summary_line(plain_proc).replace(plain_out, "OUT")

    # The same files, byte for byte; the shard list instead of streams.csv.
    shard_names = sorted(os.listdir(shard_out))
    plain_names = sorted(os.listdir(plain_out))
    assert "streams.csv" not in shard_names and SHARD_LIST in shard_names and SHARD_COUNTS in shard_names
    files = [n for n in shard_names if n not in (SHARD_LIST, SHARD_COUNTS)]
    assert files == [n for n in plain_names if n != "streams.csv"]
    for n in files:
        with open(os.path.join(shard_out, n), "rb") as a, open(os.path.join(plain_out, n), "rb") as b:
            assert a.read() == b.read(), n

    header, rows = shard_rows(shard_out)
    selected = [plain for plain, r in rows if r["selected"] == "1"]
    if option_value(options, "index") != "no":
        plain_lines = read_lines(os.path.join(plain_out, "streams.csv"))
        assert header == plain_lines[0]
        assert selected == plain_lines[1:]
    assert not os.path.exists(os.path.join(shard_out, "streams.csv.tmp"))

    # Every stream tshark shows has a row, in streams.csv's order; the
    # unselected ones are those select= did not match.
    every = tshark_streams(capture)
    flt = option_value(options, "select")
    matched = tshark_streams(capture, flt) if flt is not None else every
    order = [(r["proto"], int(r["stream"])) for _, r in rows]
    assert order == [(p, s) for p in PROTOS for s in sorted(every[p])]
    # TCP's and UDP's counters on every version; 4.6 exports no DCCP one.
    counts = read_lines(os.path.join(shard_out, SHARD_COUNTS))
    assert counts[0] == b"transport,streams\r\n"
    counted = [l[:-2].decode().split(",") for l in counts[1:]]
    assert [p for p, _ in counted] in (list(PROTOS), list(PROTOS[:2]))
    assert counted == [[p, str(max(every[p], default=-1) + 1)] for p, _ in counted]
    for proto in PROTOS:
        unselected = {int(r["stream"]) for _, r in rows if r["proto"] == proto and r["selected"] == "0"}
        assert unselected == every[proto] - matched[proto], proto

    # written: the records in the stream's file (0 without one).
    for _, r in rows:
        if r["selected"] == "1" and r["file"]:
            records = capfile.read(os.path.join(shard_out, r["file"]))
            assert int(r["written"]) == len(records), r["file"]
            # wiretap's captured length, which leaves out a pseudo-header
            assert int(r["written_bytes"]) == sum(rec.caplen - capfile.PSEUDO_HEADER_LEN.get(rec.linktype, 0)
                                                  for rec in records), r["file"]
        else:
            assert r["written"] == "0" and r["written_bytes"] == "0" and r["file"] == "", r


def test_shard_refuses_streams(workdir):
    proc = split(os.path.join(CAPTURES, "mixed.pcap"), os.path.join(workdir, "out"), "shard=yes", "streams=0-3")
    assert proc.returncode != 0
    assert stderr_lines(proc) == ["flowsplit: streams= counts the whole capture's streams; give it to flowsplit "
                                  "merge, not to a shard's split"]
    assert not os.path.exists(os.path.join(workdir, "out"))
