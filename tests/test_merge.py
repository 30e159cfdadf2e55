# SPDX-License-Identifier: GPL-2.0-or-later
"""The flowsplit command's merge (cmd/merge.c), on shards made here without
the command's partitioner: a capture's frames are grouped by the IP address
pairs tshark shows in them (every IP layer: tunnels, ICMP quotes), each
group dealt whole to one shard, written as a pcap with its frame map; each
shard split by tshark with shard=yes; then `flowsplit merge`. The merged
folder must be what one tshark writes, byte for byte (diff -r), with the
same counts in the summary; and a merge whose shards cut a conversation,
or miss a stream number, must refuse and move nothing."""
import os
import re
import struct
import subprocess

import pytest

from conftest import BUILD, bundled_captures, generated_capture, split, summary_line, tshark

CAPTURES = os.path.dirname(bundled_captures()[0])
FLOWSPLIT = os.path.join(BUILD, "bin", "flowsplit")
SHARD_LIST = "shard-streams.csv"


def generated():
    """Streams of many address pairs, interleaved, so that every shard has
    streams and their first frames alternate between shards."""
    return generated_capture("merge-300.pcap", "--streams", "300", "--concurrent", "40", "--frames-per-stream", "8")


def read_pcap(path):
    """(file header, [record bytes, header and data]) of a pcap file."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = blob[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    records, off = [], 24
    while off < len(blob):
        incl = struct.unpack(e + "I", blob[off + 8:off + 12])[0]
        records.append(blob[off:off + 16 + incl])
        off += 16 + incl
    return blob[:24], records


def address_groups(capture):
    """[[frame numbers]]: frames joined by every IP address pair they carry,
    in the order of each group's first frame; frames with no IP layer are
    in none."""
    fields = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst"]
    args = ["-r", capture, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=\t"]
    for f in fields:
        args += ["-e", f]
    proc = tshark(args, plugin=False)
    assert proc.returncode == 0, proc.stderr
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    frames = []
    for line in proc.stdout.splitlines():
        c = [v.split(",") if v else [] for v in line.split("\t")]
        num = int(c[0][0])
        keys = [tuple(sorted(p)) for p in list(zip(c[1], c[2])) + list(zip(c[3], c[4]))]
        if not keys:
            continue
        frames.append(num)
        for k in keys:
            parent[find(("pair",) + k)] = find(("frame", num))
    groups = {}
    for num in frames:
        groups.setdefault(find(("frame", num)), []).append(num)
    return sorted(groups.values(), key=lambda g: g[0])


def make_shards(capture, n, folder, deal=None):
    """Writes shard-K.pcap and map-K for n shards; returns [(pcap, map)].
    deal(frame number, group index) -> shard; by default groups go round
    robin."""
    header, records = read_pcap(capture)
    shard_of = {}
    for i, group in enumerate(address_groups(capture)):
        for num in group:
            shard_of[num] = deal(num, i) if deal else i % n
    out = []
    for k in range(n):
        pcap, fmap = os.path.join(folder, "shard-%d.pcap" % k), os.path.join(folder, "map-%d" % k)
        nums = [num for num in range(1, len(records) + 1) if shard_of.get(num) == k]
        with open(pcap, "wb") as f:
            f.write(header + b"".join(records[num - 1] for num in nums))
        with open(fmap, "wb") as f:
            f.write(b"".join(struct.pack("<Q", num) for num in nums))
        os.chmod(pcap, 0o644)
        out.append((pcap, fmap))
    return out


def split_shards(shards, folder, options):
    """Each shard split by tshark with shard=yes; returns [(dir, map)]."""
    worker_options = [o for o in options if not o.startswith(("streams=", "replace="))] + ["shard=yes"]
    done = []
    for k, (pcap, fmap) in enumerate(shards):
        out = os.path.join(folder, "split-%d" % k)
        proc = split(pcap, out, *worker_options)
        assert proc.returncode == 0, proc.stderr
        assert os.path.exists(os.path.join(out, SHARD_LIST))
        done.append((out, fmap))
    return done


def merge(out, shard_dirs, options):
    args = [FLOWSPLIT, "merge", "--out", out]
    for d, m in shard_dirs:
        args += ["--shard", "%s:%s" % (d, m)]
    for o in options:
        args += ["-X", "flowsplit:" + o]
    return subprocess.run(args, capture_output=True, text=True)


def counts(line):
    """streams, frames, files and MB of a summary line."""
    m = re.search(r"(\d+) streams, (\d+) frames written to (\d+) files in .* \(([0-9.]+) MB\)", line)
    assert m, line
    return tuple(int(x) for x in m.groups()[:3]) + (m.group(4),)


def diff(a, b):
    proc = subprocess.run(["diff", "-r", a, b], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr


CASES = [
    ("mixed.pcap", 2, ["proto=all"]),
    ("mixed.pcap", 3, ["proto=all", "format=pcap"]),
    ("mixed.pcap", 3, ["proto=all", "streams=1,3-5,8-"]),
    ("mixed.pcap", 2, ["proto=all", "select=tcp.flags.syn == 1 && tcp.flags.ack == 0"]),
    ("mixed.pcap", 2, ["proto=all", "index=no"]),
    ("udp.pcap", 3, ["proto=all"]),
    ("udp.pcap", 2, ["proto=all", "select=dns || tcp", "streams=0-6"]),
    ("udp.pcap", 3, ["proto=all", "files=no"]),
    ("generated", 3, []),
    ("generated", 2, ["streams=5-20,100-", "format=pcap", "max_open=7"]),
]


def case_id(case):
    name, n, options = case
    return "%s-%d%s" % (name, n, "".join("-" + o.split("=")[0] for o in options))


def capture_path(name):
    return generated() if name == "generated" else os.path.join(CAPTURES, name)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_merge_equals_one_tshark(case, workdir):
    name, n, options = case
    capture = capture_path(name)
    one = os.path.join(workdir, "one")
    proc = split(capture, one, *options)
    assert proc.returncode == 0, proc.stderr

    shard_dirs = split_shards(make_shards(capture, n, workdir, None), workdir, options)
    assert sum(1 for d, _ in shard_dirs if len(open(os.path.join(d, SHARD_LIST)).readlines()) > 1) >= 2, \
        "the shards should share the streams"
    out = os.path.join(workdir, "merged")
    os.mkdir(out)
    merged = merge(out, shard_dirs, options)
    assert merged.returncode == 0, merged.stderr
    diff(one, out)
    assert counts(merged.stderr) == counts(summary_line(proc))


def test_merge_replaces_earlier_split(workdir):
    capture = os.path.join(CAPTURES, "mixed.pcap")
    options = ["proto=all"]
    one = os.path.join(workdir, "one")
    assert split(capture, one, *options).returncode == 0
    out = os.path.join(workdir, "merged")
    # An earlier split of other streams, with a name the merge writes too.
    assert split(capture, out, "proto=tcp", "streams=0,2-").returncode == 0
    shard_dirs = split_shards(make_shards(capture, 2, workdir), workdir, options)

    refused = merge(out, shard_dirs, options)
    assert refused.returncode == 2
    assert re.fullmatch(r'flowsplit: "%s/tcp-000000_[^"]+" already exists; add -X flowsplit:replace=yes or choose '
                        r'another out=DIR\n' % re.escape(out), refused.stderr), refused.stderr
    assert all(len(os.listdir(d)) > 1 for d, _ in shard_dirs), "nothing may be moved"

    merged = merge(out, shard_dirs, options + ["replace=yes"])
    assert merged.returncode == 0, merged.stderr
    diff(one, out)


def test_merge_refuses_a_cut_conversation(workdir):
    """Frames of one address pair in two shards: the merge says which
    conversation, and moves nothing."""
    capture = os.path.join(CAPTURES, "mixed.pcap")
    shards = make_shards(capture, 2, workdir, deal=lambda num, group: num % 2 if group == 0 else 0)
    shard_dirs = split_shards(shards, workdir, ["proto=all"])
    before = [sorted(os.listdir(d)) for d, _ in shard_dirs]
    out = os.path.join(workdir, "merged")
    os.mkdir(out)
    proc = merge(out, shard_dirs, ["proto=all"])
    assert proc.returncode == 3, proc.stderr
    assert re.fullmatch(r"flowsplit: the tcp conversation \S+ port \d+ - \S+ port \d+ is in shards 0 and 1\n",
                        proc.stderr), proc.stderr
    assert os.listdir(out) == []
    assert [sorted(os.listdir(d)) for d, _ in shard_dirs] == before


@pytest.mark.parametrize("which", ["first", "last"])
def test_merge_refuses_a_missing_number(which, workdir):
    """A shard whose list misses a stream number (one a frame consumed
    without showing it) cannot be numbered: refused before anything moves.
    The last number too, which only the shard's counts (shard-counts.csv)
    reveal."""
    capture = os.path.join(CAPTURES, "mixed.pcap")
    shard_dirs = split_shards(make_shards(capture, 2, workdir), workdir, ["proto=all"])
    path = os.path.join(shard_dirs[1][0], SHARD_LIST)
    with open(path, "rb") as f:
        lines = f.read().split(b"\r\n")
    proto = lines[0].split(b",").index(b"proto")
    tcp = [i for i, l in enumerate(lines) if l and i > 0 and l.split(b",")[proto] == b"tcp"]
    assert len(tcp) >= 2
    gone = tcp[0] if which == "first" else tcp[-1]
    number = int(lines[gone].split(b",")[0])
    del lines[gone]
    with open(path, "wb") as f:
        f.write(b"\r\n".join(lines))
    out = os.path.join(workdir, "merged")
    os.mkdir(out)
    proc = merge(out, shard_dirs, ["proto=all"])
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == "flowsplit: tcp stream %d of shard 1 has no frame\n" % number
    assert os.listdir(out) == []


def test_merge_names_a_bad_map(workdir):
    capture = os.path.join(CAPTURES, "udp.pcap")
    shard_dirs = split_shards(make_shards(capture, 2, workdir), workdir, ["proto=all"])
    with open(shard_dirs[0][1], "r+b") as f:
        f.truncate(8)
    out = os.path.join(workdir, "merged")
    os.mkdir(out)
    proc = merge(out, shard_dirs, ["proto=all"])
    assert proc.returncode == 2
    assert re.fullmatch(r'flowsplit: "%s/%s" line \d+: frame \d+ is not in the frame map "%s" \(1 frames\); '
                        r"is it this shard's map\?\n" % (re.escape(shard_dirs[0][0]), SHARD_LIST,
                                                         re.escape(shard_dirs[0][1])), proc.stderr), proc.stderr
    assert os.listdir(out) == []
