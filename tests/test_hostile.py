# SPDX-License-Identifier: GPL-2.0-or-later
"""Broken captures: a mutator of our own derives variants of every bundled
capture (cut at many offsets, bits flipped in headers and anywhere, record
lengths made huge, larger than the frame, or zero), deterministically from
a seed. Every other variant is split as pcap under max_open=2. On each,
the split must not crash tshark, must report no sanitizer
finding (when the plugin is built with -DFLOWSPLIT_SANITIZE=ON), and every
frame tshark reads from the broken input must be in the split, by the same
membership rule as for sound captures (tshark -2's own fields).

FLOWSPLIT_MUTANTS sets the variants per capture (default 24); docs/testing.md gives
the command for a larger run.
"""
import os
import random
import struct

import pytest

import capfile
from conftest import bundled_captures, capture_id, check_membership, oracle, scratch, split, split_files, tshark

MUTANTS = int(os.environ.get("FLOWSPLIT_MUTANTS", "24"))
# tests/run shares the variants between its two passes, so that each is
# split once: FLOWSPLIT_MUTANTS_PASS=sanitizer splits every other one of
# the first 8 of each capture (the even ones of one capture, the odd ones of
# the next: every kind of damage, each on half of the captures),
# =normal all the others. Each variant is made from the same seed whatever
# the count and the pass. Unset: all of them.
MUTANTS_PASS = os.environ.get("FLOWSPLIT_MUTANTS_PASS", "")
SANITIZER_SHARE = 8
SEED = int(os.environ.get("FLOWSPLIT_MUTANT_SEED", "1"))
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def pcap_records(blob):
    """Offsets of the record headers of a pcap file (either byte order)."""
    if len(blob) < 24 or blob[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                                          b"\xa1\xb2\x3c\x4d"):
        return "<", []
    endian = "<" if blob[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    offsets, off = [], 24
    while off + 16 <= len(blob):
        offsets.append(off)
        off += 16 + struct.unpack_from(endian + "I", blob, off + 8)[0]
    return endian, offsets


def mutate(blob, rng, kind):
    data = bytearray(blob)
    endian, records = pcap_records(blob)
    if kind == "cut":
        return bytes(data[:rng.randrange(1, len(data))])
    if kind == "flip-header":
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(min(len(data), 256))
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == "flip-any":
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind in ("huge", "caplen-over-len", "zero") and records:
        off = rng.choice(records)
        caplen, length = struct.unpack_from(endian + "II", data, off + 8)
        if kind == "huge":
            struct.pack_into(endian + "I", data, off + 8, rng.choice([0xFFFFFFF0, 0x7FFFFFFF, 262145, caplen + 1]))
        elif kind == "caplen-over-len":
            struct.pack_into(endian + "I", data, off + 12, max(0, caplen - rng.randint(1, 40)))
        else:
            struct.pack_into(endian + "II", data, off + 8, 0, length)
            data[off + 16:off + 16 + caplen] = b""
        return bytes(data)
    # pcapng (or no record found): a block length or type
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(data) - 4)
        struct.pack_into("<I", data, i - i % 4, rng.choice([0, 1, 0xFFFFFFFF, rng.getrandbits(32)]))
    return bytes(data)


KINDS = ["cut", "flip-header", "flip-any", "huge", "caplen-over-len", "zero", "block"]


def mutants_of(capture):
    with open(capture, "rb") as f:
        blob = f.read()
    rng = random.Random("%s-%d" % (os.path.basename(capture), SEED))
    folder = scratch("mutants-" + os.path.basename(capture))
    paths = []
    for i in range(MUTANTS):
        kind = KINDS[i % len(KINDS)]
        path = os.path.join(folder, "%03d-%s-%s" % (i, kind, os.path.basename(capture)))
        with open(path, "wb") as f:
            f.write(mutate(blob, rng, kind))
        os.chmod(path, 0o644)
        paths.append(path)
    return paths


SOUND = [c for c in bundled_captures() if not c.endswith(".gz")]


def in_this_pass(variant, capture):
    sanitizer = variant < SANITIZER_SHARE and (variant + SOUND.index(capture)) % 2 == 0
    return {"sanitizer": sanitizer, "normal": not sanitizer}.get(MUTANTS_PASS, True)


@pytest.mark.parametrize("capture", SOUND, ids=capture_id)
def test_broken_variants_split_what_tshark_reads(capture):
    for i, mutant in enumerate(mutants_of(capture)):
        # Every other variant as pcap, with files evicted and reopened.
        if in_this_pass(i, capture):
            check_broken(mutant, "pcap" if i % 2 else "pcapng", os.path.basename(capture))


def check_broken(mutant, fmt, origin):
    """Splits a broken capture: no crash, no sanitizer finding, and every
    frame tshark reads from it is in its stream's file."""
    out = os.path.join(scratch("split-" + os.path.basename(mutant)), "out")
    proc = split(mutant, out, *(["format=pcap", "max_open=2"] if fmt == "pcap" else []))
    where = "%s (from %s)" % (os.path.basename(mutant), origin)
    assert proc.returncode >= 0 and proc.returncode not in (134, 139), \
        "%s: tshark died (%d): %s" % (where, proc.returncode, proc.stderr[-2000:])
    for mark in SANITIZER_MARKS:
        assert mark not in proc.stderr, "%s: %s" % (where, proc.stderr[-4000:])
    if not os.path.isdir(out):
        assert not oracle(mutant).streams, "%s: tshark reads TCP streams, flowsplit wrote nothing: %s" % (
            where, proc.stderr[-1000:])
        return proc
    try:
        check_membership(mutant, out, fmt)
    except AssertionError as e:
        check_against_tshark_exports(mutant, out, "%s: %s\n%s" % (where, e, proc.stderr[-1000:]))
    return proc


# Hand-made broken captures, from the frames of a bundled one: link types
# Wireshark does not know, and pcapng files with bad blocks.
MIXED = os.path.join(os.path.dirname(SOUND[0]), "mixed.pcap")
LINKTYPE_ETHERNET = 1
LINKTYPE_UNKNOWN = 0xFFF0


def pcapng_block(block_type, body, total=None, trailer=None):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", block_type, length if total is None else total) + body + \
        struct.pack("<I", length if trailer is None else trailer)


def pcapng_shb(magic=0x1A2B3C4D):
    return pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", magic, 1, 0, -1))


def pcapng_idb(linktype):
    return pcapng_block(1, struct.pack("<HHI", linktype, 0, 0) + struct.pack("<HHB3x", 9, 1, 9) + b"\0" * 4)


def pcapng_epb(record, if_id):
    ts = record.ts_ns
    body = struct.pack("<IIIII", if_id, ts >> 32, ts & 0xFFFFFFFF, record.caplen, record.length) + record.data
    return pcapng_block(6, body)


def crafted_captures():
    """{name: bytes} of the hand-made broken captures."""
    records = capfile.read(MIXED)
    with open(MIXED, "rb") as f:
        pcap = bytearray(f.read())
    unknown_pcap = bytearray(pcap)
    struct.pack_into("<I", unknown_pcap, 20, LINKTYPE_UNKNOWN)
    head = pcapng_shb() + pcapng_idb(LINKTYPE_ETHERNET) + pcapng_idb(LINKTYPE_UNKNOWN)
    epbs = [pcapng_epb(r, 0) for r in records]
    mid = len(epbs) // 2
    captures = {
        "unknown-linktype.pcap": bytes(unknown_pcap),
        # Every other frame on an interface of an unknown link type.
        "mixed-unknown-linktype.pcapng": head + b"".join(pcapng_epb(r, i % 2) for i, r in enumerate(records)),
        # A block type nobody knows in the middle: skipped.
        "unknown-block.pcapng": head + b"".join(epbs[:mid]) + pcapng_block(0x0BADB10C, b"junk" * 5)
                                + b"".join(epbs[mid:]),
        # Bad blocks in the middle: a length not a multiple of 4, a trailer
        # that disagrees, a huge length, a length below the minimum, a
        # frame on an interface that does not exist, a section whose byte
        # order magic is wrong, a file cut inside a block header.
        "odd-length.pcapng": head + b"".join(epbs[:mid]) + pcapng_block(6, b"\0" * 20, total=33)
                             + b"".join(epbs[mid:]),
        "trailer-mismatch.pcapng": head + b"".join(epbs[:mid]) + pcapng_block(6, b"\0" * 20, trailer=4)
                                   + b"".join(epbs[mid:]),
        "huge-block.pcapng": head + b"".join(epbs[:mid]) + struct.pack("<II", 6, 0x7FFFFFF0) + b"".join(epbs[mid:]),
        "tiny-block.pcapng": head + b"".join(epbs[:mid]) + pcapng_block(6, b"", total=8) + b"".join(epbs[mid:]),
        "no-such-interface.pcapng": head + b"".join(epbs[:mid]) + pcapng_epb(records[mid], 7) + b"".join(epbs[mid:]),
        "bad-section-magic.pcapng": head + b"".join(epbs[:mid]) + pcapng_shb(0x12345678) + b"".join(epbs[mid:]),
        "cut-in-block-header.pcapng": head + b"".join(epbs[:mid]) + epbs[mid][:6],
    }
    return captures


CRAFTED = sorted(crafted_captures())


@pytest.mark.parametrize("name", CRAFTED)
@pytest.mark.parametrize("fmt", ["pcapng", "pcap"])
def test_crafted_broken_captures(name, fmt):
    path = os.path.join(scratch("crafted-" + name), name)
    with open(path, "wb") as f:
        f.write(crafted_captures()[name])
    os.chmod(path, 0o644)
    proc = check_broken(path, fmt, "mixed.pcap")
    # The broken ones stop tshark with its own read error, which stands.
    assert proc.returncode == oracle(path).returncode, proc.stderr


def check_against_tshark_exports(mutant, out, failure):
    """tshark's text fields cannot show every broken record as it is (a
    time stamp before 1970 in a pcapng file, bytes beyond the frame length,
    a comment with control characters), so where the oracle's fields and the
    files disagree, the rule itself decides: each stream's file must hold
    the records of `tshark -2 -Y "tcp.stream eq N" -w`."""
    files = split_files(out)
    assert sorted(files) == sorted(oracle(mutant).streams), failure
    for stream, name in files.items():
        ref = os.path.join(scratch("ref"), "ref.pcapng")
        tshark(["-2", "-r", mutant, "-Y", "tcp.stream eq %d" % stream, "-w", ref], plugin=False)
        got = [r.digest() for r in capfile.read(os.path.join(out, name))]
        want = [r.digest() for r in capfile.read(ref)]
        assert got == want, "%s\nand stream %d differs from tshark -Y -w too" % (failure, stream)
