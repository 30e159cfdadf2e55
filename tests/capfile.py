# SPDX-License-Identifier: GPL-2.0-or-later
"""A small, independent reader of pcap and pcapng files for the tests.

It knows nothing of flowsplit: it reads what any capture file holds, so the
tests can compare flowsplit's files with tshark's own exports record by
record. pcapng: every section, both byte orders, EPB/SPB/OPB, IDB tsresol
(decimal and binary), every packet option (code and raw value), and the
blocks besides packets (section header options, interfaces, Decryption
Secrets Blocks, Name Resolution Blocks, any other block). pcap: usec/nsec
magic, both byte orders. gzip-compressed files are read transparently.
"""
import gzip
import hashlib
import struct
from dataclasses import dataclass, field


@dataclass
class Record:
    ts_ns: int              # seconds since the epoch, in nanoseconds
    caplen: int
    length: int
    data: bytes
    linktype: int
    comments: list = field(default_factory=list)
    section: int = 0
    options: list = field(default_factory=list)    # every packet option: (code, raw value), in file order
    big_endian: bool = False                        # the byte order of the options' values

    def digest(self):
        """What the membership rule compares: time, lengths, bytes, comments
        and the other packet options tshark shows as fields (shown_options),
        the frame as tshark shows it (without a pseudo-header)."""
        skip = PSEUDO_HEADER_LEN.get(self.linktype, 0)
        return (self.ts_ns, self.length - skip, self.caplen - skip, hashlib.md5(self.data[skip:]).hexdigest(),
                ",".join(self.comments), self.shown_options())

    def shown_options(self):
        """The packet options other than comments as tshark's fields show
        them (SHOWN_FIELDS): "field=value|value;..." over the fields in
        SHOWN_FIELDS' order, each with its values in option order (what
        `-T fields -E occurrence=a` prints), numbers in decimal, bytes in
        hex. A value of the wrong length shows as "bad:" and its hex."""
        values = {}
        e = ">" if self.big_endian else "<"
        for code, raw in self.options:
            if code not in OPTION_FIELDS:
                continue
            name, value = decode_option(code, raw, e)
            values.setdefault(name, []).append(value)
        return ";".join("%s=%s" % (name, "|".join(values[name])) for name in SHOWN_FIELDS if name in values)


# Packet options other than comments, by code, and how tshark shows them:
# a field for each (frame.*), or, for a verdict, a field for each type.
OPTION_FIELDS = {
    2: "frame.packet_flags",        # epb_flags, 32 bits
    4: "frame.drop_count",          # epb_dropcount, 64 bits
    5: "frame.packet_id",           # epb_packetid, 64 bits
    6: "frame.interface_queue",     # epb_queue, 32 bits
    7: "frame.verdict.*",           # epb_verdict: a type byte, then its data
}
VERDICT_FIELDS = {0: "frame.verdict.hw", 1: "frame.verdict.ebpf_tc", 2: "frame.verdict.ebpf_xdp"}

# The fields digest() compares, in order. tests/conftest.py narrows this to
# the fields the tshark under test has (tshark -G fields). Options with no
# field (epb_hash, custom options) are compared as raw bytes against
# tshark's own exports instead (Record.options).
SHOWN_FIELDS = ["frame.packet_flags", "frame.drop_count", "frame.packet_id", "frame.interface_queue",
                "frame.verdict.hw", "frame.verdict.ebpf_tc", "frame.verdict.ebpf_xdp", "frame.verdict.unknown"]


def decode_option(code, raw, e="<"):
    """(field name, value text) of a packet option in OPTION_FIELDS."""
    size = {2: 4, 4: 8, 5: 8, 6: 4}
    if code == 7:
        if not raw:
            return "frame.verdict.unknown", "bad:"
        name = VERDICT_FIELDS.get(raw[0], "frame.verdict.unknown")
        if raw[0] in (1, 2):
            if len(raw) != 9:
                return name, "bad:" + raw.hex()
            return name, str(struct.unpack(e + "q", raw[1:])[0])
        return name, raw[1:].hex()
    name = OPTION_FIELDS[code]
    if len(raw) != size[code]:
        return name, "bad:" + raw.hex()
    return name, str(struct.unpack(e + ("I" if size[code] == 4 else "Q"), raw)[0])


# Link types whose records start with a pseudo-header that wiretap takes off
# the frame (tshark's frame.len, frame.cap_len and frame.md5_hash leave it
# out): its length, for the ones the bundled captures use.
PSEUDO_HEADER_LEN = {
    204: 1,     # LINKTYPE_PPP_WITH_DIR: the direction byte
}


class FormatError(Exception):
    pass


def _open(path):
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


class Records(list):
    """The records read; broken: reading stopped at a damaged block
    (read(strict=False))."""
    broken = False


def read(path, strict=True):
    """All packet records of a capture file, in file order. strict=False:
    the records before the first damaged one, with .broken set, instead of
    FormatError."""
    with _open(path) as f:
        blob = f.read()
    if len(blob) < 4:
        raise FormatError("%s: too short" % path)
    magic = blob[:4]
    records = Records()
    try:
        for r in (_read_pcapng if magic == b"\x0a\x0d\x0d\x0a" else _read_pcap)(blob, path):
            records.append(r)
    except FormatError:
        if strict:
            raise
        records.broken = True
    return records


def file_format(path):
    with _open(path) as f:
        magic = f.read(4)
    if magic == b"\x0a\x0d\x0d\x0a":
        return "pcapng"
    if magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        return "pcap"
    return "unknown"


def _read_pcap(blob, path):
    for endian in "<>":
        magic, = struct.unpack(endian + "I", blob[:4])
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise FormatError("%s: not a pcap or pcapng file" % path)
    nsec = magic == 0xA1B23C4D
    _, _, _, _, _, linktype = struct.unpack(endian + "HHiIII", blob[4:24])
    linktype &= 0x0FFFFFFF
    off = 24
    while off < len(blob):
        if off + 16 > len(blob):
            raise FormatError("%s: truncated record header at %d" % (path, off))
        sec, frac, caplen, length = struct.unpack(endian + "IIII", blob[off:off + 16])
        off += 16
        if off + caplen > len(blob):
            raise FormatError("%s: truncated record at %d" % (path, off))
        ts = sec * 10**9 + (frac if nsec else frac * 1000)
        yield Record(ts, caplen, length, blob[off:off + caplen], linktype)
        off += caplen


def _options(body, endian):
    off = 0
    while off + 4 <= len(body):
        code, olen = struct.unpack(endian + "HH", body[off:off + 4])
        if code == 0:
            return
        yield code, body[off + 4:off + 4 + olen]
        off += 4 + olen + (-olen) % 4


def _tsresol_units(value):
    v = value[0]
    return 2 ** (v & 0x7F) if v & 0x80 else 10 ** v


def _read_pcapng(blob, path):
    off = 0
    endian = "<"
    ifaces = []
    section = -1
    while off < len(blob):
        if off + 12 > len(blob):
            raise FormatError("%s: truncated block at %d" % (path, off))
        btype = struct.unpack(endian + "I", blob[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = blob[off + 8:off + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
            section += 1
        btype, blen = struct.unpack(endian + "II", blob[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(blob):
            raise FormatError("%s: bad block length %d at %d" % (path, blen, off))
        trailer, = struct.unpack(endian + "I", blob[off + blen - 4:off + blen])
        if trailer != blen:
            raise FormatError("%s: block trailer %d != %d at %d" % (path, trailer, blen, off))
        body = blob[off + 8:off + blen - 4]
        if btype == 1:                                  # IDB
            linktype, _, _ = struct.unpack(endian + "HHI", body[:8])
            units = 10**6
            for code, value in _options(body[8:], endian):
                if code == 9:
                    units = _tsresol_units(value)
            ifaces.append((linktype, units))
        elif btype in (6, 2):                           # EPB, obsolete PB
            if btype == 6:
                iface, hi, lo, caplen, length = struct.unpack(endian + "IIIII", body[:20])
            else:
                iface, _, hi, lo, caplen, length = struct.unpack(endian + "HHIIII", body[:20])
            if iface >= len(ifaces):
                raise FormatError("%s: packet on undeclared interface %d at %d" % (path, iface, off))
            linktype, units = ifaces[iface]
            raw = (hi << 32) | lo
            ts = raw * 10**9 // units
            data = body[20:20 + caplen]
            opts = body[20 + caplen + (-caplen) % 4:]
            options = list(_options(opts, endian))
            comments = [v.decode("utf-8", "replace") for c, v in options if c == 1]
            yield Record(ts, caplen, length, data, linktype, comments, section, options, endian == ">")
        elif btype == 3:                                # SPB
            if not ifaces:
                raise FormatError("%s: simple packet without interface at %d" % (path, off))
            length, = struct.unpack(endian + "I", body[:4])
            data = body[4:4 + length]
            yield Record(0, len(data), length, data, ifaces[0][0], [], section)
        off += blen


@dataclass
class Section:
    """A pcapng section, besides its packet records: the section header's
    options, the interfaces (link type, options), and every other block
    (Decryption Secrets, Name Resolution, unknown) in file order, with how
    many of those came before the section's first packet."""
    shb_options: list = field(default_factory=list)     # (code, raw value), in order
    interfaces: list = field(default_factory=list)      # (link type, [(code, raw value)])
    blocks: list = field(default_factory=list)          # ("dsb", type, data, options), ("nrb", records, options),
                                                        # ("block", type, body)
    blocks_before_packets: int = 0
    packets: int = 0
    broken: bool = False            # read(strict=False) stopped at a damaged block in it

    def dsbs(self):
        return [b for b in self.blocks if b[0] == "dsb"]

    def nrbs(self):
        return [b for b in self.blocks if b[0] == "nrb"]


def _nrb_records(body, endian):
    """NRB records (type, raw value) up to nrb_record_end, and the options after it."""
    off, records = 0, []
    while off + 4 <= len(body):
        rtype, rlen = struct.unpack(endian + "HH", body[off:off + 4])
        off += 4
        if rtype == 0:
            break
        records.append((rtype, body[off:off + rlen]))
        off += rlen + (-rlen) % 4
    return records, list(_options(body[off:], endian))


def read_sections(path, strict=True):
    """The sections of a pcapng file (Section), or [] for a pcap file, which
    has nothing besides its packets and one header. strict=False: a damaged
    block ends the reading, and its section is marked broken, instead of
    FormatError."""
    with _open(path) as f:
        blob = f.read()
    if blob[:4] != b"\x0a\x0d\x0d\x0a":
        return []
    sections = []
    off, endian = 0, "<"
    while off + 12 <= len(blob):
        if struct.unpack(endian + "I", blob[off:off + 4])[0] == 0x0A0D0D0A:
            endian = "<" if blob[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(endian + "II", blob[off:off + 8])
        if (blen < 12 or blen % 4 or off + blen > len(blob)
                or struct.unpack(endian + "I", blob[off + blen - 4:off + blen])[0] != blen):
            if strict or not sections:
                raise FormatError("%s: bad block length %d at %d" % (path, blen, off))
            sections[-1].broken = True
            break
        body = blob[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            sections.append(Section(list(_options(body[16:], endian))))
        elif not sections:
            raise FormatError("%s: a block before the first section header at %d" % (path, off))
        else:
            sec = sections[-1]
            if btype == 1:
                sec.interfaces.append((struct.unpack(endian + "H", body[:2])[0], list(_options(body[8:], endian))))
            elif btype in (2, 3, 6):
                if sec.packets == 0:
                    sec.blocks_before_packets = len(sec.blocks)
                sec.packets += 1
            elif btype == 10:
                stype, slen = struct.unpack(endian + "II", body[:8])
                sec.blocks.append(("dsb", stype, body[8:8 + slen], list(_options(body[8 + slen + (-slen) % 4:], endian))))
            elif btype == 4:
                records, options = _nrb_records(body, endian)
                sec.blocks.append(("nrb", records, options))
            else:
                sec.blocks.append(("block", btype, body))
        off += blen
    for sec in sections:
        if sec.packets == 0:
            sec.blocks_before_packets = len(sec.blocks)
    return sections
