# SPDX-License-Identifier: GPL-2.0-or-later
"""A small, independent reader of pcap and pcapng files for the tests.

It knows nothing of flowsplit: it reads what any capture file holds, so the
tests can compare flowsplit's files with tshark's own exports record by
record. pcapng: every section, both byte orders, EPB/SPB/OPB, IDB tsresol
(decimal and binary), comments. pcap: usec/nsec magic, both byte orders.
gzip-compressed files are read transparently.
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

    def digest(self):
        """What the membership rule compares: time, lengths, bytes, comments,
        the frame as tshark shows it (without a pseudo-header)."""
        skip = PSEUDO_HEADER_LEN.get(self.linktype, 0)
        return (self.ts_ns, self.length - skip, self.caplen - skip, hashlib.md5(self.data[skip:]).hexdigest(),
                ",".join(self.comments))


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


def read(path):
    """All packet records of a capture file, in file order."""
    with _open(path) as f:
        blob = f.read()
    if len(blob) < 4:
        raise FormatError("%s: too short" % path)
    magic = blob[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        return list(_read_pcapng(blob, path))
    return list(_read_pcap(blob, path))


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
            comments = [v.decode("utf-8", "replace") for c, v in _options(opts, endian) if c == 1]
            yield Record(ts, caplen, length, data, linktype, comments, section)
        elif btype == 3:                                # SPB
            if not ifaces:
                raise FormatError("%s: simple packet without interface at %d" % (path, off))
            length, = struct.unpack(endian + "I", body[:4])
            data = body[4:4 + length]
            yield Record(0, len(data), length, data, ifaces[0][0], [], section)
        off += blen
