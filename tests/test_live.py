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
import struct
import subprocess
import threading
import time

import pytest

import capfile
from conftest import (AS_ROOT, capinfos_all, generated_capture, note_sanitizer_stderr, oracle, read_index,
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
        # are closed, complete, and read by another program. (The open
        # stream's frames wait in memory: it has no file yet.)
        time.sleep(1.5)
        names = set(os.listdir(out))
        assert len(names) == 8, sorted(names)
        assert open_files(pid, out) == set(), "files of ended streams still open"
        ended = {n: records(os.path.join(out, n)) for n in names}
        capinfos_all(out, ended)

        # idle= seconds after its last frame the idle stream's frames are in
        # its file, which is closed and readable; its next frames are
        # appended.
        time.sleep(IDLE)
        idle_names = set(os.listdir(out)) - names
        assert len(idle_names) == 1, sorted(idle_names)
        long_name = idle_names.pop()
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
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", port))
    running = True

    def serve_udp():
        echo.settimeout(0.2)
        while running:
            try:
                data, peer = echo.recvfrom(65536)
            except socket.timeout:
                continue
            echo.sendto(data, peer)
    udp_server = threading.Thread(target=serve_udp, daemon=True)
    udp_server.start()
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
        udp_names = set(split_files(out, "udp").values())
        assert len(udp_names) == 3, sorted(os.listdir(out))
        assert len(split_files(out, "tcp")) == 1
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
        running = False
        udp_server.join(timeout=5)
        server.close()
        echo.close()
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
