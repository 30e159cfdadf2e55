# SPDX-License-Identifier: GPL-2.0-or-later
"""What a stream's file holds besides its packets: what
`tshark -2 -r CAP -Y "tcp.stream eq N" -w ref.pcapng` (udp.stream, dccp.stream)
writes besides the packets is in the stream's file too, on every stream of
captures/options-everywhere.pcapng (a section header with options, a TLS
and a WireGuard Decryption Secrets Block, a Name Resolution Block).

What tshark 4.0.17 writes there (checked when this test was written; the
test asks the tshark it runs, so it holds for 4.4 and 4.6 as they are):
one section; its header carries the input's section header options as
they are, in order (comments, shb_hardware, shb_os, and shb_userappl,
which tshark does not replace); then the interface; then every
Decryption Secrets Block of the input, all before the first packet (with
-2 also those the input has after its first packet); no Name Resolution
Block (tshark writes one only when asked, -W n, and with network name
resolution on, -N n). tshark 4.4 and 4.6 write the input's Name
Resolution Block too, after the secrets (re-encoded by wiretap: one name
per record), and so must the split there (tests/other-versions runs this
test on both).

A stream's file may hold several sections (a file that wiretap writes
starts a new one each time it is reopened, max_open=1): each must carry
the same section header options and the same secrets, before its first
packet, so that each section reads as the whole did.
"""
import functools
import os

import pytest

import capfile
from conftest import PROTOS, REPO, as_tshark_exports, oracle, scratch, split, split_files, tshark, tshark_version

CAPTURE = os.path.join(REPO, "captures", "options-everywhere.pcapng")

# (format, options): every transport, files kept open; every file closed
# after each frame and reopened (max_open=1, no write-behind buffer); pcap.
VARIANTS = [("pcapng", ()), ("pcapng", ("max_open=1", "buffer_mb=0")), ("pcap", ())]


def variant_id(v):
    return "-".join((v[0],) + v[1])


@functools.lru_cache(maxsize=None)
def reference(proto, stream):
    """tshark's own export of the stream, made once for both tests."""
    ref = os.path.join(scratch("blocks-ref-%s-%d" % (proto, stream)), "ref.pcapng")
    p = tshark(["-2", "-r", CAPTURE, "-Y", "%s.stream eq %d" % (proto, stream), "-w", ref], plugin=False)
    assert p.returncode == 0, p.stderr
    return ref


def besides_packets(section):
    """What is compared of a section: its header's options (code, raw
    value, in order), and every Decryption Secrets, Name Resolution or
    other block that is not a packet or an interface (type, raw contents,
    in order), with how many of them come before the section's first
    packet."""
    return {"section header options": section.shb_options, "blocks": section.blocks,
            "blocks before the first packet": section.blocks_before_packets}


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_blocks_as_tshark_writes_them(variant):
    """Every section of every stream file carries what tshark's export of
    that stream carries besides packets (see the module's docstring).

    format=pcap: a pcap file holds one header and packets, so it cannot hold
    the secrets. A split that left them out would leave every encrypted
    stream undecryptable, with no way back from the split to the keys; the
    rule for a pcap split is already that a stream whose frames pcap cannot
    hold exactly is written as pcapng, so that nothing is lost. So: when the
    input holds Decryption Secrets Blocks, every stream's file is written as
    pcapng (named .pcapng), and carries the blocks as above, also a stream
    that has no packet option at all (the capture's last TCP and UDP
    streams). Section header options and Name Resolution Blocks alone do not
    make a pcap split write pcapng: they describe the capture, not a
    stream's contents, and every pcapng input has a section header (a
    stream of tests/test_cli.py's pcap policy test stays pcap under one with
    a comment)."""
    fmt, extra = variant
    out = os.path.join(scratch("blocks-" + variant_id(variant)), "out")
    proc = split(CAPTURE, out, "format=" + fmt, "proto=all", *extra)
    assert proc.returncode == 0, proc.stderr
    compared = 0
    for proto in PROTOS:
        o = oracle(CAPTURE, proto)
        files = split_files(out, proto)
        assert sorted(files) == sorted(o.streams), "%s streams with files differ from tshark's" % proto
        for stream, name in sorted(files.items()):
            # Read leniently: Wireshark 4.0 writes epb_verdict options
            # wrong, which breaks a block after the ones compared here.
            ref = capfile.read_sections(reference(proto, stream), strict=False)
            assert len(ref) == 1, "tshark's export of %s stream %d has %d sections" % (proto, stream, len(ref))
            want = besides_packets(ref[0])
            path = os.path.join(out, name)
            assert capfile.file_format(path) == "pcapng" and name.endswith(".pcapng"), \
                "%s: the input holds decryption secrets, so the file must be pcapng" % name
            sections = capfile.read_sections(path, strict=False)
            assert sections, "%s: no section" % name
            for k, section in enumerate(sections):
                if section.broken and not section.packets:
                    continue        # cut short by a block Wireshark 4.0 wrote wrong (epb_verdict)
                got = besides_packets(section)
                for key in want:
                    assert got[key] == want[key], "%s, section %d of %d: %s differ from tshark -Y -w's:\n%r\n%r" % (
                        name, k, len(sections), key, got[key], want[key])
            compared += 1
    assert compared == sum(len(oracle(CAPTURE, p).streams) for p in PROTOS) > 40


def test_packet_options_of_every_stream_as_tshark_writes_them():
    """Every packet option of every record of every stream's file (code and
    raw value, in order, also those tshark shows no field for: epb_hash,
    custom options) equals tshark's own export of the stream. Where
    tshark's export cannot be read (Wireshark 4.0 writes epb_verdict
    options wrong: code 6, and a hardware verdict breaks the block), the
    stream is compared up to there, and test_membership's field comparison
    speaks for the rest."""
    out = os.path.join(scratch("blocks-packet-options"), "out")
    proc = split(CAPTURE, out, "proto=all")
    assert proc.returncode == 0, proc.stderr
    cut_short = []
    for proto in PROTOS:
        for stream, name in sorted(split_files(out, proto).items()):
            want = capfile.read(reference(proto, stream), strict=False)
            got = capfile.read(os.path.join(out, name), strict=False)
            broken = want.broken or got.broken
            got, _ = as_tshark_exports(oracle(CAPTURE, proto), stream, got, len(want))
            if broken:
                cut_short.append("%s %d" % (proto, stream))
                n = min(len(want), len(got))
                want, got = want[:n], got[:n]
            assert len(got) == len(want), "%s: %d records, tshark -w wrote %d" % (name, len(got), len(want))
            for i, (g, w) in enumerate(zip(got, want)):
                assert g.options == w.options, "%s, record %d: packet options differ from tshark -Y -w's:\n%r\n%r" % (
                    name, i, g.options, w.options)
    if tshark_version() > (4, 0):
        assert not cut_short, "unreadable exports or files: %s" % ", ".join(cut_short)
