# SPDX-License-Identifier: GPL-2.0-or-later
"""Live capture and interrupts: `tshark -i lo -X flowsplit:out=DIR` on real
traffic that the test makes on loopback (its own server and clients, on a
port of its own, with a capture filter on that port), checked against a
plain recording of the same traffic (dumpcap -w) by tshark's own fields of
that recording; and SIGINT or SIGTERM during a live capture and during a
long `tshark -r`: tshark stops as it does without flowsplit, and every file
written reads back, holding its stream's frames in order.

Capturing needs root: the tests run dumpcap (started by tshark) as uid 65534
with the two capabilities a capture needs, since tshark run as root ignores
plugin folders.
"""
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import threading
import time

import pytest

import capfile
from conftest import (AS_ROOT, NAME_RE, capinfos_all, generated_capture, note_sanitizer_stderr, oracle, read_index,
                      split_files, summary_line, tshark_command)

pytestmark = pytest.mark.skipif(not AS_ROOT, reason="live capture here needs root (dumpcap's capabilities)")

IDLE = 2            # the idle= option the live runs use, seconds
READY_TIMEOUT = 30  # seconds for a capture to start


class Capture:
    """A capture process whose stderr is read as it comes."""

    def __init__(self, cmd, env=None):
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, errors="replace")
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_started(self):
        """dumpcap names its file once it captures."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if any("File:" in l for l in self.lines):
                return
            assert self.proc.poll() is None, "capture ended before it started:\n" + "\n".join(self.lines)
            time.sleep(0.05)
        raise AssertionError("capture did not start:\n" + "\n".join(self.lines))

    def stop(self, signum=signal.SIGINT):
        self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self.reader.join(timeout=10)
        return self.proc.returncode

    @property
    def stderr(self):
        """What it printed so far, as a CompletedProcess's stderr (so that
        conftest's summary_line reads it too)."""
        return "\n".join(self.lines)


def stream_file_names(folder):
    """The stream files in folder (not the index, which a live capture
    rewrites as it goes)."""
    return {n for n in os.listdir(folder) if NAME_RE.match(n)}


def open_files(pid, folder):
    """Names of the files in folder that process pid has open."""
    names = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if os.path.dirname(target) == folder:
            names.add(os.path.basename(target))
    return names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UdpEcho:
    """A UDP echo on 127.0.0.1:port, on a thread of its own."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.sock.sendto(data, peer)

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


class EchoServer:
    """Echoes what each connection sends, and closes when the client does."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    conn.sendall(data)
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


def exchange(conn, size):
    conn.sendall(b"%c" % (65 + size % 26) * size)
    got = 0
    while got < size:
        chunk = conn.recv(65536)
        assert chunk, "the echo server closed early"
        got += len(chunk)


def short_connection(port, size, reset=False):
    conn = socket.create_connection(("127.0.0.1", port))
    exchange(conn, size)
    if reset:   # close with RST instead of FIN
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def send_orphan_fragment(port):
    """The first fragment of a TCP segment to port, from 127.0.0.1, whose
    other fragments never come (the capture filter passes it)."""
    tcp = struct.pack("!HHIIBBHHH", 9, port, 1, 0, 5 << 4, 0x10, 1024, 0, 0) + b"fragment"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x4242, 0x2000, 64, socket.IPPROTO_TCP, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        raw.sendto(ip + tcp, ("127.0.0.1", 0))


def start_live(workdir, port, *options, capture_filter="tcp port %d"):
    out = os.path.join(workdir, "out")
    args = ["-i", "lo", "-q", "-f", capture_filter % port, "-X", "flowsplit:out=%s,idle=%d" % (out, IDLE)]
    for opt in options:
        args += ["-X", "flowsplit:" + opt]
    cmd, env = tshark_command(args, capture=True)
    live = Capture(cmd, env)
    return live, out


def start_recording(workdir, port):
    rec = os.path.join(workdir, "recording.pcapng")
    recording = Capture(["dumpcap", "-q", "-i", "lo", "-f", "tcp port %d" % port, "-w", rec])
    return recording, rec


def records(path):
    return [r.digest() for r in capfile.read(path)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_live_capture_splits_as_the_recording(workdir, signum):
    port = free_port()
    server = EchoServer(port)
    recording, rec = start_recording(workdir, port)
    live, out = start_live(workdir, port)
    try:
        recording.wait_started()
        live.wait_started()
        pid = live.proc.pid

        # A connection that pauses for longer than idle= in the middle.
        long_conn = socket.create_connection(("127.0.0.1", port))
        exchange(long_conn, 3000)
        # Short connections that end with FIN both ways, and two with RST.
        for i in range(6):
            short_connection(port, 200 + 1000 * i)
        for i in range(2):
            short_connection(port, 100 + i, reset=True)

        # About a second after they ended, the files of the ended streams
        # are closed, complete, and read by another program. The open
        # stream's frames are in its file too (no frame waits in memory for
        # long), which stays open.
        time.sleep(1.5)
        names = stream_file_names(out)
        assert len(names) == 9, sorted(names)
        still_open = open_files(pid, out)
        assert len(still_open) == 1 and still_open <= names, "open: %s" % sorted(still_open)
        long_name = still_open.pop()
        ended = {n: records(os.path.join(out, n)) for n in names - {long_name}}
        capinfos_all(out, ended)
        assert records(os.path.join(out, long_name)), "the open stream's frames wait in memory"

        # idle= seconds after its last frame the idle stream's frames are in
        # its file, which is closed and readable; its next frames are
        # appended.
        time.sleep(IDLE)
        assert stream_file_names(out) == names
        assert open_files(pid, out) == set(), "the idle stream's file is still open"
        idle_part = records(os.path.join(out, long_name))
        capinfos_all(out, [long_name])
        # An IP fragment whose datagram never completes holds later frames
        # back (they could belong to its stream) for two seconds at most:
        # then the long stream's last frames are in its file too.
        send_orphan_fragment(port)
        exchange(long_conn, 5000)
        long_conn.close()
        time.sleep(3.5)
        assert open_files(pid, out) == set()
        long_done = records(os.path.join(out, long_name))
        # The file tshark itself reads from dumpcap (the same records, time
        # stamps included), now that the traffic is over.
        dissected = os.path.join(workdir, "dissected.pcapng")
        shutil.copyfile(capture_file_of(live), dissected)
    finally:
        status = live.stop(signum)
        recording.stop()
        server.close()
    note_sanitizer_stderr(live.stderr)

    assert status == 0, live.stderr
    assert "split incomplete" not in summary_line(live)

    # What was read while the capture ran is what the finished split holds.
    for name, got in ended.items():
        assert records(os.path.join(out, name)) == got, "%s changed after its stream ended" % name
    final_long = records(os.path.join(out, long_name))
    assert final_long[:len(idle_part)] == idle_part and len(final_long) > len(idle_part)
    assert final_long == long_done, "the frames behind an IP fragment were held until the end"
    assert "1 IP fragment of no complete datagram skipped" in summary_line(live)

    # The split is what tshark -2 says of the frames tshark dissected, to
    # the nanosecond...
    o = oracle(dissected)
    files = split_files(out)
    assert sorted(files) == sorted(o.streams)
    for stream, name in files.items():
        assert records(os.path.join(out, name)) == o.expected(stream), name
    rows = read_index(out)
    assert [int(r["stream"]) for r in rows] == sorted(o.streams)
    assert {r["file"] for r in rows} == set(files.values())

    # ...and what it says of an independent recording of the same traffic,
    # split afterwards: the same streams and frames, with time stamps of
    # their own (each capture socket stamps its copy of a packet).
    recorded = oracle(rec)
    assert sorted(recorded.streams) == sorted(files)
    for stream, name in files.items():
        got, want = records(os.path.join(out, name)), recorded.expected(stream)
        assert [g[1:] for g in got] == [w[1:] for w in want], name
        assert all(abs(g[0] - w[0]) < 50_000_000 for g, w in zip(got, want)), name


def udp_exchange(client, port, count):
    """count datagrams from client to the UDP echo on port, each answered."""
    for i in range(count):
        client.sendto(b"u" * (50 + i), ("127.0.0.1", port))
        client.recvfrom(65536)


def test_live_udp_streams_close_when_idle(workdir):
    """proto=tcp,udp live: UDP has no end, so a UDP stream's file is written
    out and closed idle= seconds after its last datagram, and a later
    datagram of the stream is appended; at the end every TCP and UDP file
    is what tshark -2 says of the frames tshark dissected."""
    port = free_port()
    server = EchoServer(port)
    echo = UdpEcho(port)
    clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    for c in clients:
        c.settimeout(5)
    live, out = start_live(workdir, port, "proto=tcp,udp", capture_filter="port %d")
    try:
        live.wait_started()
        pid = live.proc.pid
        for k, c in enumerate(clients):
            udp_exchange(c, port, 2 + k)
        short_connection(port, 500)
        time.sleep(IDLE + 1.5)
        udp_names = set(split_files(out, "udp", rewriting=True).values())
        assert len(udp_names) == 3, sorted(os.listdir(out))
        assert len(split_files(out, "tcp", rewriting=True)) == 1
        assert open_files(pid, out) == set(), "files of idle UDP streams still open"
        capinfos_all(out, udp_names)
        before = {n: records(os.path.join(out, n)) for n in udp_names}
        udp_exchange(clients[0], port, 2)
        time.sleep(IDLE + 1.5)
        assert open_files(pid, out) == set()
        dissected = os.path.join(workdir, "dissected.pcapng")
        shutil.copyfile(capture_file_of(live), dissected)
    finally:
        status = live.stop()
        echo.close()
        server.close()
        for c in clients:
            c.close()
    note_sanitizer_stderr(live.stderr)
    assert status == 0, live.stderr
    grown = [n for n in udp_names if len(records(os.path.join(out, n))) > len(before[n])]
    assert len(grown) == 1, "the later datagrams were not appended to their stream's file"
    for proto in ("tcp", "udp"):
        o = oracle(dissected, proto)
        files = split_files(out, proto)
        assert sorted(files) == sorted(o.streams)
        for stream, name in files.items():
            assert records(os.path.join(out, name)) == o.expected(stream), name
    assert sorted(r["proto"] for r in read_index(out)) == ["tcp", "udp", "udp", "udp"]


def capture_file_of(capture):
    """The capture file dumpcap writes and tshark reads, as tshark names it."""
    for line in capture.lines:
        if "File:" in line:
            return line.split("File:", 1)[1].strip().strip('"')
    raise AssertionError("no capture file named:\n" + capture.stderr)


@pytest.fixture(scope="module")
def large_capture():
    return generated_capture("scale-20k-5k.pcap", "--streams", "20000", "--concurrent", "5000",
                             "--frames-per-stream", "9")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_read_leaves_valid_files(workdir, large_capture, signum):
    """A signal in the middle of tshark -r: tshark stops reading and exits as
    it does without the plugin (status 2, "interrupted"); the files written
    so far read back and each holds the first frames of its stream."""
    out = os.path.join(workdir, "out")
    cmd, env = tshark_command(["-r", large_capture, "-q", "-X", "flowsplit:out=%s,buffer_mb=1,max_open=64" % out])
    reading = Capture(cmd, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(os.listdir(out) if os.path.isdir(out) else []) < 100:
        assert reading.proc.poll() is None, "tshark ended before it could be interrupted"
        time.sleep(0.05)
    status = reading.stop(signum)
    note_sanitizer_stderr(reading.stderr)
    unplugged = tshark_interrupt_status(large_capture, signum)
    assert status == unplugged, reading.stderr

    o = oracle(large_capture)
    files = split_files(out)
    assert 0 < len(files) < len(o.streams), "the read was not interrupted in the middle"
    capinfos_all(out, files.values())
    for stream, name in files.items():
        got = records(os.path.join(out, name))
        assert got and got == o.expected(stream)[:len(got)], name
    rows = read_index(out)
    assert {r["file"] for r in rows} == set(files.values())


def tshark_interrupt_status(capture, signum):
    """tshark's exit status, without flowsplit, when signum stops its read."""
    cmd, env = tshark_command(["-r", capture, "-q", "-z", "conv,tcp"], plugin=False)
    proc = Capture(cmd, env)
    time.sleep(1.0)
    assert proc.proc.poll() is None, "tshark read the capture before it could be interrupted"
    return proc.stop(signum)


# A SIGKILL in the middle of a live capture loses only what came last.
#
# The bounds, from send() to the file: tshark 4.0 itself sees a loopback
# frame 0.1 to 0.65 s after it is sent (dumpcap alone: 0.11 s; measured on
# 2 cores, Debian 12, 4.0.17), then flowsplit holds it at most ~0.75 s (a
# tick every 250 ms; written out by the tick that finds it waited since a
# tick 0.5 s before), so about 1.45 s at worst. The probes are sent each as
# soon as the previous one is in its file, i.e. right after a write, so each
# waits one whole period between writes: about 1 s here, 2 s if only the
# rewrite of streams.csv (every 2 s) wrote frames out, forever if frames
# waited for the write-behind buffer to fill. Hence: the median probe within
# PROBE_LAG, every probe within PROBE_MAX (room for a loaded machine).
PROBE_LAG = 1.75    # seconds: the median time from a probe's send() to its file
PROBE_MAX = 2.5     # seconds: the longest any probe may take
PROBE_GIVE_UP = 4.0  # seconds a probe is looked for (past PROBE_MAX it fails; this only says by how much)
KILL_LAG = 2.0      # seconds: what was sent this long before the kill is in its file (1.45 s + load margin)
INDEX_LAG = 3.5     # seconds: a stream that began this long before the kill has a row (capture delay
                    # + streams.csv every 2 s, on a tick: 2.9 s at worst, + load margin)
TRAFFIC_SECONDS = 9.0
KEEP_EVERY = 0.3    # seconds between the frames of the connections that stay open
SHORT_EVERY = 0.9   # seconds between the connections that end with FIN


def whole_blocks(path, snapshot):
    """(records, tail) of a pcapng file that may be written to right now, or
    was cut short by a SIGKILL in the middle of a write: the records of its
    whole blocks (a strict capfile.read of a copy of the file up to them,
    taken from one read of it), and the bytes of the block after them that
    runs past the end of the file (b"" when there is none). Only the last
    block can be cut short: a bad block length or trailer anywhere else
    fails as capfile.read fails."""
    with open(path, "rb") as f:
        blob = f.read()
    off, endian = 0, "<"
    while off < len(blob):
        if off + 12 > len(blob):
            break
        if blob[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            endian = "<" if blob[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        blen, = struct.unpack(endian + "I", blob[off + 4:off + 8])
        if blen < 12 or blen % 4:
            off = len(blob)     # damaged, not cut short: the strict read below says so
            break
        if off + blen > len(blob):
            break
        off += blen
    if off == 0:
        return [], blob
    with open(snapshot, "wb") as f:
        f.write(blob[:off])
    return capfile.read(snapshot), blob[off:]


def process_children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def process_name(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def process_gone(pid):
    """Ended: no longer there, or a zombie (an orphan waits for init to reap it)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def tshark_and_dumpcap(proc):
    """The pids of the real tshark that proc runs (setpriv executes it in its
    own place; a wrapper that forks would have it as a descendant) and of
    the dumpcap processes it started."""
    deadline = time.monotonic() + 10
    while True:
        todo, tshark_pid = [proc.pid], None
        while todo and tshark_pid is None:
            pid = todo.pop()
            if process_name(pid) == "tshark":
                tshark_pid = pid
            else:
                todo += process_children(pid)
        if tshark_pid is not None:
            dumpcaps = [p for p in process_children(tshark_pid) if process_name(p) == "dumpcap"]
            if dumpcaps:
                return tshark_pid, dumpcaps
        assert time.monotonic() < deadline, "no tshark with a dumpcap under pid %d" % proc.pid
        time.sleep(0.05)


def sigkill_capture(capture):
    """SIGKILL the tshark of a live capture, then its dumpcap (which would
    otherwise capture on). Returns the wall clock time of the kill, ns."""
    tshark_pid, dumpcaps = tshark_and_dumpcap(capture.proc)
    killed_at = time.time_ns()
    os.kill(tshark_pid, signal.SIGKILL)
    for pid in dumpcaps:
        os.kill(pid, signal.SIGKILL)
    capture.proc.wait(timeout=20)
    deadline = time.monotonic() + 20
    while not all(process_gone(p) for p in dumpcaps):
        assert time.monotonic() < deadline, "dumpcap survived SIGKILL"
        time.sleep(0.05)
    capture.reader.join(timeout=10)
    return killed_at


class KillTraffic(threading.Thread):
    """Loopback traffic on port until stopped: TCP connections that stay open
    and exchange a few bytes every KEEP_EVERY seconds (one more opens
    halfway), the same on UDP, and a connection that ends with FIN every
    SHORT_EVERY seconds."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.done = threading.Event()
        self.error = None
        self.keep = []
        self.udp = []

    def run(self):
        try:
            self._run()
        except Exception as e:      # reported by the test
            self.error = e

    def _tcp(self):
        conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.keep.append(conn)

    def _run(self):
        for _ in range(3):
            self._tcp()
        for _ in range(2):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            self.udp.append(u)
        start = time.monotonic()
        next_short = start + 0.4
        deadline = start + 3 * TRAFFIC_SECONDS
        n = 0
        while not self.done.is_set() and time.monotonic() < deadline:
            if n == 12:
                self._tcp()     # a stream that starts later
            for i, conn in enumerate(self.keep):
                exchange(conn, 20 + (n + i) % 40)
            for i, u in enumerate(self.udp):
                u.sendto(b"k" * (30 + (n + i) % 40), ("127.0.0.1", self.port))
                u.recvfrom(65536)
            if time.monotonic() >= next_short:
                short_connection(self.port, 300 + 37 * n)
                next_short += SHORT_EVERY
            n += 1
            self.done.wait(KEEP_EVERY)

    def stop(self):
        self.done.set()
        self.join(timeout=10)
        for s in self.keep + self.udp:
            s.close()


def stream_file_of(out, proto, client_port, server_port):
    """The name of the file of the stream from 127.0.0.1.client_port, or None."""
    suffix = "_127.0.0.1.%d-127.0.0.1.%d.pcapng" % (client_port, server_port)
    names = [n for n in os.listdir(out) if n.startswith(proto + "-") and n.endswith(suffix)]
    assert len(names) <= 1, names
    return names[0] if names else None


def test_live_sigkill_loses_only_the_last_frames(workdir):
    """Live, every stream's frames reach its file within a second or so
    (probes: PROBE_LAG, PROBE_MAX; none waits for the write-behind buffer
    to fill, which on a quiet link is never, nor for idle=, set to 60 s
    here), and streams.csv is rewritten as the capture goes, listing only
    frames already in their files. Then tshark and its dumpcap are
    killed (SIGKILL): every file reads back and holds a prefix of its
    stream in an independent recording of the same traffic, with every
    frame sent KILL_LAG seconds before the kill; streams.csv parses, each
    row's file holds at least the frames the row counts (a prefix of the
    stream with the row's bytes), and every stream that began INDEX_LAG
    seconds before the kill has a row.

    A SIGKILL that lands in the middle of a write may leave the last block
    of that one file cut short (docs/live.md: "a file being written at that
    instant may end in a partial record"). That is accepted only for the
    last block of at most one file, and the bytes it has must be the next
    frame of that stream (an EPB whose lengths and data agree with the
    recording's); every whole block before it must be right. A leftover
    streams.csv.tmp (a kill during a rewrite) is allowed, and is not the
    index."""
    port = free_port()
    server = EchoServer(port)
    udp_server = UdpEcho(port)
    rec = os.path.join(workdir, "recording.pcapng")
    recording = Capture(["dumpcap", "-q", "-i", "lo", "-f", "port %d" % port, "-w", rec])
    out = os.path.join(workdir, "out")
    cmd, env = tshark_command(["-i", "lo", "-q", "-f", "port %d" % port,
                               "-X", "flowsplit:out=%s,idle=60" % out, "-X", "flowsplit:proto=tcp,udp"],
                              capture=True)
    live = Capture(cmd, env)
    snapshot = os.path.join(workdir, "snapshot.pcapng")
    traffic = KillTraffic(port)
    probe_tcp = probe_udp = None
    killed_at = None
    latencies = []
    versions = []       # (seconds since the traffic began, rows) of each streams.csv seen
    seen_index = [None]

    def watch_index():
        """A new streams.csv (a rename gives it a new inode): every row's
        file holds at least the frames the row counts."""
        try:
            st = os.stat(os.path.join(out, "streams.csv"))
        except FileNotFoundError:
            return
        if (st.st_ino, st.st_mtime_ns) == seen_index[0]:
            return
        seen_index[0] = (st.st_ino, st.st_mtime_ns)
        rows = read_index(out)
        versions.append((time.monotonic() - began, len(rows)))
        for r in rows:
            assert r["file"] in os.listdir(out), "streams.csv lists %s, which is not there" % r["file"]
            got, _ = whole_blocks(os.path.join(out, r["file"]), snapshot)
            assert len(got) >= int(r["frames_ab"]) + int(r["frames_ba"]), \
                "streams.csv counts frames not yet in %s: %s" % (r["file"], r)

    try:
        recording.wait_started()
        live.wait_started()
        began = time.monotonic()
        traffic.start()
        probe_tcp = socket.create_connection(("127.0.0.1", port), timeout=5)
        probe_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe_udp.settimeout(5)
        probe_udp.bind(("127.0.0.1", 0))

        # Probes, each sent as soon as the previous one is in its file (so
        # right after a write: a writer that wrote only every few seconds
        # would make the next probe wait that long).
        for i in range(6):
            marker = b"PROBE-%d-%s" % (i, os.urandom(8).hex().encode())
            proto = "tcp" if i % 2 == 0 else "udp"
            sent = time.monotonic()
            if proto == "tcp":
                probe_tcp.sendall(marker)
                got = b""
                while len(got) < len(marker):
                    chunk = probe_tcp.recv(65536)
                    assert chunk, "the echo server closed early"
                    got += chunk
                sock = probe_tcp
            else:
                probe_udp.sendto(marker, ("127.0.0.1", port))
                probe_udp.recvfrom(65536)
                sock = probe_udp
            client_port = sock.getsockname()[1]
            seen = None
            while seen is None and time.monotonic() - sent < PROBE_GIVE_UP:
                name = stream_file_of(out, proto, client_port, port) if os.path.isdir(out) else None
                if name and any(marker in r.data for r in whole_blocks(os.path.join(out, name), snapshot)[0]):
                    seen = time.monotonic() - sent
                    break
                watch_index()
                time.sleep(0.05)
            assert seen is not None, "probe %d (%s) not in its file %.1f s after it was sent (earlier: %s)" % (
                i, proto, PROBE_GIVE_UP, latencies)
            latencies.append(round(seen, 2))
            assert seen <= PROBE_MAX, "probe %d (%s) reached its file only after %.2f s (all: %s)" % (
                i, proto, seen, latencies)
            assert traffic.error is None, traffic.error
        assert statistics.median(latencies) <= PROBE_LAG, \
            "probes reached their files after %s s: the median is over %.1f s" % (latencies, PROBE_LAG)
        while time.monotonic() - began < TRAFFIC_SECONDS:
            watch_index()
            time.sleep(0.05)
        assert traffic.error is None, traffic.error
        assert traffic.is_alive(), "the traffic stopped early"
        killed_at = sigkill_capture(live)
    finally:
        if killed_at is None and live.proc.poll() is None:
            try:
                sigkill_capture(live)
            except AssertionError:      # the test failed already: leave no tshark behind
                live.proc.kill()
                live.proc.wait(timeout=20)
        traffic.stop()
        for s in (probe_tcp, probe_udp):
            if s is not None:
                s.close()
        time.sleep(0.3)
        recording.stop()
        server.close()
        udp_server.close()
        try:
            os.remove(capture_file_of(live))    # dumpcap's file, which tshark would have removed
        except (AssertionError, OSError):
            pass
    print("probe latencies (s):", latencies, "streams.csv versions (s, rows):", versions)

    # While it ran: streams.csv came and was rewritten with more rows.
    assert len(versions) >= 2 and versions[-1][1] > versions[0][1], \
        "streams.csv was not rewritten with more rows while the capture ran: %s" % versions

    # After the kill: every file reads back, a prefix of its stream in the
    # recording, holding every frame sent KILL_LAG before the kill.
    rec_records = capfile.read(rec)
    names = sorted(os.listdir(out))
    files = {"tcp": {}, "udp": {}}
    for name in names:
        if name in ("streams.csv", "streams.csv.tmp"):
            continue
        m = NAME_RE.match(name)
        assert m and m.group("proto") in files and m.group("ext") == "pcapng", "unexpected file %s" % name
        files[m.group("proto")][int(m.group("stream"))] = name
    cut_short = []
    held = {}
    for proto, by_stream in files.items():
        o = oracle(rec, proto)
        for stream in o.streams:
            first = rec_records[o.streams[stream][0] - 1].ts_ns
            if first < killed_at - KILL_LAG * 1e9:
                assert stream in by_stream, "no file for %s stream %d, begun %.1f s before the kill" % (
                    proto, stream, (killed_at - first) / 1e9)
        for stream, name in by_stream.items():
            assert stream in o.streams, "%s: no such stream in the recording" % name
            sport, dport, flags = o.first[stream]
            client, server_port = (dport, sport) if (flags & 0x12) == 0x12 else (sport, dport)
            m = NAME_RE.match(name)
            assert (int(m.group("cport")), int(m.group("sport"))) == (client, server_port), name
            got, tail = whole_blocks(os.path.join(out, name), snapshot)
            want = [rec_records[n - 1] for n in o.streams[stream]]
            assert len(got) <= len(want), "%s: more frames than its stream" % name
            for k, (g, w) in enumerate(zip(got, want)):
                assert (g.length, g.caplen, g.data) == (w.length, w.caplen, w.data), "%s: frame %d differs" % (name, k)
                assert abs(g.ts_ns - w.ts_ns) < 50_000_000, "%s: frame %d time" % (name, k)
            old = sum(1 for w in want if w.ts_ns < killed_at - KILL_LAG * 1e9)
            assert len(got) >= old, "%s: %d frames, but %d were sent %.1f s before the kill" % (
                name, len(got), old, KILL_LAG)
            if tail:
                cut_short.append(name)
                assert len(got) < len(want), "%s: a partial block after the stream's last frame" % name
                nxt = want[len(got)]
                if got and len(tail) >= 4:
                    assert struct.unpack("<I", tail[:4])[0] == 6, "%s: cut short in a block other than a packet" % name
                if got and len(tail) >= 28:
                    assert struct.unpack("<II", tail[20:28]) == (nxt.caplen, nxt.length), name
                    data = tail[28:28 + nxt.caplen]
                    assert nxt.data.startswith(data), "%s: the cut-short frame's bytes differ" % name
            held[proto, stream] = (name, got, want)
    assert len(cut_short) <= 1, "more than one file cut short: %s" % cut_short
    lost = [(killed_at - want[len(got)].ts_ns) / 1e9 for name, got, want in held.values() if len(got) < len(want)]
    print("the oldest frame lost was sent %.2f s before the kill" % max(lost, default=0))
    capinfos_all(out, [n for n in names if n.endswith(".pcapng") and n not in cut_short])

    # streams.csv parses; each row's file holds at least the frames it counts,
    # a prefix of its stream with the row's bytes; every stream begun
    # INDEX_LAG before the kill has a row.
    rows = read_index(out)
    listed = set()
    for r in rows:
        key = (r["proto"], int(r["stream"]))
        assert key in held, "a row for a stream without a file: %s" % r
        name, got, want = held[key]
        assert r["file"] == name, r
        n = int(r["frames_ab"]) + int(r["frames_ba"])
        assert len(got) >= n, "%s holds %d frames, its row counts %d" % (name, len(got), n)
        assert int(r["bytes_ab"]) + int(r["bytes_ba"]) == sum(w.length for w in want[:n]), r
        listed.add(key)
    unlisted = []
    for proto in files:
        o = oracle(rec, proto)
        for stream in o.streams:
            first = rec_records[o.streams[stream][0] - 1].ts_ns
            if (proto, stream) not in listed:
                unlisted.append((killed_at - first) / 1e9)
            if first < killed_at - INDEX_LAG * 1e9:
                assert (proto, stream) in listed, "%s stream %d began %.1f s before the kill, no row" % (
                    proto, stream, (killed_at - first) / 1e9)
    print("the oldest stream without a row began %.2f s before the kill" % max(unlisted, default=0))
