# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared test machinery: running the real tshark with the built plugin,
and what tshark itself says a split must hold (the oracle).

tshark ignores plugin folders when it runs as root, so as root every tshark
here runs as the unprivileged uid 65534 (setpriv), with
WIRESHARK_PLUGIN_DIR pointing at the build's plugins/ folder.
"""
import functools
import glob
import hashlib
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import capfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FLOWSPLIT_BUILD_DIR", os.path.join(REPO, "build"))
PLUGIN_DIR = os.path.join(BUILD, "plugins")
# The public captures beside the checkout; FLOWSPLIT_PUBLIC_CAPTURES names
# them elsewhere (a git worktree whose parent has no shared/ folder).
PUBLIC = os.environ.get("FLOWSPLIT_PUBLIC_CAPTURES",
                        os.path.join(os.path.dirname(REPO), "shared", "captures", "public"))
NOBODY = 65534
AS_ROOT = os.geteuid() == 0

# tshark options a capture must be read with, by every run (split and oracle).
CAPTURE_OPTIONS = {
    "tcp-in-rpcap.pcap": ["-o", "rpcap.linktype:1"],     # TCP inside TCP
    "options-everywhere.pcapng": ["-o", "rpcap.linktype:1"],
}

NAME_RE = re.compile(r"^(?P<proto>tcp|udp|dccp)-(?P<stream>\d{6,})_(?P<client>[A-Za-z0-9._]+)\.(?P<cport>\d+)"
                     r"-(?P<server>[A-Za-z0-9._]+)\.(?P<sport>\d+)\.(?P<ext>pcapng|pcap)$")
PROTOS = ("tcp", "udp", "dccp")     # the order of the index's rows


def bundled_captures():
    return sorted(p for p in glob.glob(os.path.join(REPO, "captures", "*"))
                  if not p.endswith(".py") and os.path.isfile(p))


def public_captures():
    """The public captures; FLOWSPLIT_PUBLIC_SHARE=K/N keeps every N-th from
    the K-th (tests/other-versions gives each Wireshark release its half)."""
    if not os.path.isdir(PUBLIC):
        return []
    found = sorted(p for p in glob.glob(os.path.join(PUBLIC, "*")) if not p.endswith(".md"))
    share = os.environ.get("FLOWSPLIT_PUBLIC_SHARE")
    if share:
        k, n = (int(x) for x in share.split("/"))
        found = found[k::n]
    return found


def capture_id(path):
    return os.path.basename(path)


_WORK = None


def work_root():
    """A scratch folder every uid can use (the split runs as uid 65534)."""
    global _WORK
    if _WORK is None:
        _WORK = tempfile.mkdtemp(prefix="flowsplit-tests-", dir=os.environ.get("FLOWSPLIT_TEST_TMP"))
        os.chmod(_WORK, 0o777)
        os.makedirs(os.path.join(_WORK, "home"))
        os.chmod(os.path.join(_WORK, "home"), 0o777)
    return _WORK


def pytest_sessionfinish(session, exitstatus):
    """A run that passed leaves nothing behind (each test file's run wrote
    up to half a GB); a failed one keeps its folder to look at."""
    if _WORK is not None and exitstatus == 0:
        shutil.rmtree(_WORK, ignore_errors=True)


def scratch(name):
    path = tempfile.mkdtemp(prefix=re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60] + "-", dir=work_root())
    os.chmod(path, 0o777)
    return path


def others_can_read(path):
    """Can uid 65534 read path (every folder above it searchable)?"""
    path = os.path.abspath(path)
    if not os.stat(path).st_mode & 0o004:
        return False
    folder = os.path.dirname(path)
    while True:
        if not os.stat(folder).st_mode & 0o001:
            return False
        if folder == os.path.dirname(folder):
            return True
        folder = os.path.dirname(folder)


_READABLE = {}


def readable(path):
    """path, or a copy of it in the scratch folder when uid 65534 cannot read it
    (a checkout under /root, say)."""
    if not AS_ROOT or others_can_read(path):
        return path
    if path not in _READABLE:
        folder = os.path.join(work_root(), "inputs")
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o755)
        copy = os.path.join(folder, "%d-%s" % (len(_READABLE), os.path.basename(path)))
        if os.path.isdir(path):
            shutil.copytree(path, copy)
            for root, dirs, files in os.walk(copy):
                for n in dirs + files:
                    os.chmod(os.path.join(root, n), 0o755)
        else:
            shutil.copyfile(path, copy)
            os.chmod(copy, 0o644)
        _READABLE[path] = copy
    return _READABLE[path]


def sanitized_build():
    """Was the plugin built with -DFLOWSPLIT_SANITIZE=ON?"""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            return "FLOWSPLIT_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        return False


SANITIZED = sanitized_build()


def sanitizer_log_dir():
    folder = os.path.join(work_root(), "sanitizer-logs")
    if not os.path.isdir(folder):
        os.makedirs(folder)
        os.chmod(folder, 0o777)
    return folder


@functools.lru_cache(maxsize=None)
def libasan_path():
    return subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()


def sanitizer_env(env):
    """Preloads libasan into the uninstrumented tshark; every finding goes to a
    log file that the autouse fixture below reads after each test."""
    log = os.path.join(sanitizer_log_dir(), "log")
    env["LD_PRELOAD"] = libasan_path()
    # fast_unwind_on_malloc=0: GLib has no frame pointers, so the fast
    # unwinder stops at g_malloc and a leak's stack never names the plugin.
    # 16 frames reach flowsplit's from any allocation it makes, also through
    # wiretap, at a quarter less unwinding than the default 30.
    env["ASAN_OPTIONS"] = ("log_path=%s:detect_leaks=1:exitcode=0:abort_on_error=0:fast_unwind_on_malloc=0:"
                           "malloc_context_size=16" % log)
    env["LSAN_OPTIONS"] = "exitcode=0"
    env["UBSAN_OPTIONS"] = "log_path=%s:print_stacktrace=1" % log
    # Wireshark unloads its plugins at exit: a leak's frames in flowsplit
    # would then show as <unknown module>, and whatever flowsplit's globals
    # still hold (reachable while it is loaded) as leaks. GLib keeps every
    # module loaded with this, so a leak of ours is reported by name and
    # reachable memory is not.
    env["G_DEBUG"] = "resident-modules"
    # The preload reaches the extcap helpers tshark starts to list
    # interfaces, and some hang under it; none are needed here.
    no_extcap = os.path.join(work_root(), "no-extcap")
    os.makedirs(no_extcap, exist_ok=True)
    env["WIRESHARK_EXTCAP_DIR"] = no_extcap


_STDERR_FINDINGS = []


def sanitizer_findings():
    """Findings in flowsplit's own code, from the logs written so far (which
    are then removed): every error, and leaks whose stack passes through the
    plugin, or through code no longer loaded (which G_DEBUG=resident-modules
    rules out for every plugin, ours included: such a leak cannot be told
    apart from ours). Leaks of Wireshark's own are not ours to report."""
    if not SANITIZED:
        return []
    findings = list(_STDERR_FINDINGS)
    del _STDERR_FINDINGS[:]
    folder = sanitizer_log_dir()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        with open(path, errors="replace") as f:
            text = f.read()
        os.remove(path)
        for block in re.split(r"\n(?=Direct leak|Indirect leak|==\d+==ERROR|\S+:\d+:\d+: runtime error)", text):
            ours = "flowsplit.so" in block or "/plugin/" in block or "<unknown module>" in block
            if block.startswith(("Direct leak", "Indirect leak")):
                if ours:
                    findings.append(block.strip())
            elif "ERROR: AddressSanitizer" in block or "runtime error:" in block:
                findings.append(block.strip())
    return findings


@pytest.fixture(autouse=True)
def no_sanitizer_findings():
    sanitizer_findings()        # what came before this test is not its own
    yield
    found = sanitizer_findings()
    assert not found, "sanitizer findings in flowsplit:\n\n" + "\n\n".join(found)[:8000]


def tshark_command(args, ulimit_n=None, plugin=True, capture=False, extra_env=None):
    """The command line and environment that run tshark with args (as uid
    65534 when we are root; with capture=True that uid keeps the two
    capabilities dumpcap needs to capture, as ambient capabilities).
    extra_env: variables to add (None: to unset); its LD_PRELOAD goes after
    libasan's, which must come first."""
    env = dict(os.environ)
    env["HOME"] = os.path.join(work_root(), "home")
    env.pop("WIRESHARK_PLUGIN_DIR", None)
    if plugin:
        env["WIRESHARK_PLUGIN_DIR"] = readable(PLUGIN_DIR)
        if SANITIZED:
            sanitizer_env(env)
    for key, value in (extra_env or {}).items():
        if value is None:       # unset
            env.pop(key, None)
            continue
        if key == "LD_PRELOAD" and env.get(key):
            value = env[key] + " " + value
        env[key] = value
    args = list(args)
    for i in range(1, len(args)):
        if args[i - 1] == "-r":
            args = args + CAPTURE_OPTIONS.get(os.path.basename(args[i]), [])
            args[i] = readable(args[i])
    cmd = ["tshark"] + args
    if ulimit_n is not None:
        cmd = ["bash", "-c", 'ulimit -n %d && exec "$@"' % ulimit_n, "bash"] + cmd
    if AS_ROOT:
        caps = ["--inh-caps=+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin"] if capture else []
        cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + caps + cmd
    return cmd, env


def note_sanitizer_stderr(stderr):
    if SANITIZED and ("runtime error:" in stderr or "ERROR: AddressSanitizer" in stderr):
        _STDERR_FINDINGS.append(stderr[-4000:])     # UBSan may report on stderr


def tshark(args, ulimit_n=None, plugin=True, timeout=1800, extra_env=None):
    """Runs tshark (as uid 65534 when we are root) and returns the CompletedProcess."""
    cmd, env = tshark_command(args, ulimit_n=ulimit_n, plugin=plugin, extra_env=extra_env)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, errors="replace")
    note_sanitizer_stderr(proc.stderr)
    return proc


def stderr_lines(proc):
    """stderr without tshark's own note about running as root (never printed as nobody)."""
    return [l for l in proc.stderr.splitlines() if l.strip()]


def split(capture, out, *options, ulimit_n=None, extra_env=None):
    args = ["-r", capture, "-q", "-X", "flowsplit:out=" + out]
    for opt in options:
        args += ["-X", "flowsplit:" + opt]
    return tshark(args, ulimit_n=ulimit_n, extra_env=extra_env)


@functools.lru_cache(maxsize=None)
def tshark_cannot_write(capture):
    """Does this Wireshark's own tshark -w fail to write the capture's
    records? 4.4 and 4.6 refuse some packet options of
    options-everywhere.pcapng (4.4: "has data that can't be saved", 4.6:
    "An error occurred while writing"). A split must then fail the same way."""
    out = os.path.join(scratch(os.path.basename(capture) + "-w"), "all.pcapng")
    proc = tshark(["-r", capture, "-w", out], plugin=False)
    return "error occurred while writing" in proc.stderr or "can't be saved" in proc.stderr


def check_fails_as_tshark_does(capture, proc):
    """When tshark -w cannot write the capture's records, the split stops
    with exit status 2 and wiretap's reason; then the test has nothing to
    compare and is skipped."""
    if tshark_cannot_write(capture):
        assert proc.returncode == 2 and "cannot write" in proc.stderr, proc.stderr
        pytest.skip("this Wireshark's tshark -w cannot write this capture's records either")


@functools.lru_cache(maxsize=None)
def tshark_version():
    """(major, minor) of the tshark the tests run."""
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)", out)
    return int(m.group(1)), int(m.group(2))


def fraction_ns(frac):
    """Nanoseconds of the fraction tshark prints after the seconds of a time:
    digits, at least 9 (4.0 prints 10 for an invalid time stamp whose
    fraction is 1 s or more, which 4.4 prints as "(1000000000 nanosec")."""
    m = re.match(r"^\((\d+) nanosec", frac)
    if m:
        return int(m.group(1))
    return int(frac.ljust(9, "0"))


class Oracle:
    """What tshark says of a capture: each frame's digest, and each stream's
    frames, for the streams of proto ("tcp": tcp.stream, "udp": udp.stream,
    "dccp": dccp.stream). Made from a _Capture, which reads every transport
    in one tshark pass."""

    def __init__(self, returncode, digest):
        self.returncode = returncode
        self.digest = digest
        self.streams = {}           # stream -> sorted frame numbers
        self.first = {}             # stream -> (srcport, dstport, tcp flags) of its first frame
        self.fragments_only = {}    # stream -> the earlier IP fragments its segments were reassembled from
        self.reassembled = []       # streams with a frame reassembled from IP fragments, in frame order

    def expected(self, stream):
        return [self.digest[n] for n in self.streams[stream]]


@functools.lru_cache(maxsize=None)
def tshark_fields():
    """The names of every field the tshark under test has (tshark -G fields)."""
    proc = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True, errors="replace")
    return frozenset(line.split("\t")[2] for line in proc.stdout.splitlines() if line.startswith("F\t"))


# The packet options digest() compares besides comments: the fields
# (capfile.SHOWN_FIELDS) this tshark has; an option whose field another
# version lacks is then left to the raw comparison with tshark's exports.
capfile.SHOWN_FIELDS = [f for f in capfile.SHOWN_FIELDS if f in tshark_fields()]


def option_field_value(name, text):
    """A packet option's field as capfile.Record.shown_options() writes it:
    numbers in decimal (tshark prints flags in hex), bytes in hex without
    separators."""
    if name == "frame.verdict.hw" or name == "frame.verdict.unknown":
        return re.sub(r"[^0-9a-fA-F]", "", text).lower()
    m = re.match(r"^\s*(-?(?:0x[0-9a-fA-F]+|\d+))", text)
    return str(int(m.group(1), 0)) if m else text


def _read_capture(capture):
    """{proto: Oracle} of a capture, from one tshark -2 pass."""
    common = ["frame.number", "ip.fragment", "ipv6.fragment", "frame.time_epoch", "frame.len", "frame.cap_len",
              "frame.md5_hash", "frame.comment", "tcp.flags"] + capfile.SHOWN_FIELDS
    fields = common + [p + k for p in PROTOS for k in (".stream", ".srcport", ".dstport")]
    args = ["-2", "-r", capture, "-o", "frame.generate_md5_hash:TRUE", "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=\x1f", "-E", "separator=\t"]
    for f in fields:
        args += ["-e", f]
    proc = tshark(args, plugin=False)
    digest = {}
    oracles = {p: Oracle(proc.returncode, digest) for p in PROTOS}
    own = {p: {} for p in PROTOS}   # stream -> frames that carry it themselves
    for line in proc.stdout.splitlines():
        values = line.split("\t")
        if len(values) < len(fields) or not values[0]:
            continue
        c = dict(zip(fields, values))
        num = int(c["frame.number"])
        sec, _, frac = c["frame.time_epoch"].partition(".")
        # tshark prints the nanoseconds as they are, at least 9 digits
        # (10 for an invalid time stamp whose fraction is >= 1 s).
        ts = None       # a record without a time stamp (a whole file read as one frame)
        if c["frame.time_epoch"]:
            ts = int(sec) * 10**9 + fraction_ns(frac) * (-1 if sec.startswith("-") else 1)
        comments = ",".join(v for v in c["frame.comment"].split("\x1f") if v)
        shown = ";".join("%s=%s" % (f, "|".join(option_field_value(f, v) for v in c[f].split("\x1f")))
                         for f in capfile.SHOWN_FIELDS if c[f])
        digest[num] = (ts, int(c["frame.len"]), int(c["frame.cap_len"]), c["frame.md5_hash"], comments, shown)
        frags = [int(f) for f in (c["ip.fragment"] + "\x1f" + c["ipv6.fragment"]).split("\x1f") if f]
        flags = c["tcp.flags"].split("\x1f")
        for proto in PROTOS:
            o = oracles[proto]
            streams = [int(v) for v in c[proto + ".stream"].split("\x1f") if v]
            sports, dports = c[proto + ".srcport"].split("\x1f"), c[proto + ".dstport"].split("\x1f")
            for k, st in enumerate(streams):
                if frags and st not in o.reassembled:
                    o.reassembled.append(st)
                members = o.streams.setdefault(st, set())
                members.add(num)
                own[proto].setdefault(st, set()).add(num)
                members.update(frags)
                if st not in o.first and k < len(sports) and sports[k] and dports[k]:
                    tcp_flags = int(flags[k], 16) if proto == "tcp" and k < len(flags) and flags[k] else 0
                    o.first[st] = (int(sports[k]), int(dports[k]), tcp_flags)
    for proto, o in oracles.items():
        o.streams = {st: sorted(m) for st, m in o.streams.items()}
        o.fragments_only = {st: set(m) - own[proto].get(st, set()) for st, m in o.streams.items()}
    return oracles


# Each test file is its own pytest process, and most ask tshark about every
# capture (the oracles below): kept on disk, they are made once per CI pass
# instead of once per test file. The key is everything the answer depends
# on: the capture's bytes and its tshark options, the tshark under test, and
# the code that asks and reads tshark (this file, capfile.py and the file of
# the function that makes the answer). tests/run
# points both of its passes (the normal and the sanitizer build) at one
# folder with FLOWSPLIT_ORACLE_CACHE: the oracles never load the plugin.
ORACLE_CACHE = os.environ.get("FLOWSPLIT_ORACLE_CACHE", os.path.join(BUILD, "oracle-cache"))


@functools.lru_cache(maxsize=None)
def _oracle_code_digest(maker_file):
    h = hashlib.sha256()
    for path in (__file__, capfile.__file__, maker_file):
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(subprocess.run(["tshark", "--version"], capture_output=True).stdout)
    return h.hexdigest()


def disk_cached(kind, capture, make):
    """make(capture), or what it returned for the same key before."""
    h = hashlib.sha256(("%s\0%s\0%r\0" % (kind, _oracle_code_digest(sys.modules[make.__module__].__file__),
                                            CAPTURE_OPTIONS.get(os.path.basename(capture)))).encode())
    with open(capture, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    path = os.path.join(ORACLE_CACHE, "%s-%s.pickle" % (kind, h.hexdigest()[:32]))
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        pass
    value = make(capture)
    os.makedirs(ORACLE_CACHE, exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())     # two tests may make it at once (ctest -j)
    with open(tmp, "wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return value


@functools.lru_cache(maxsize=None)
def _capture_oracles(capture):
    return disk_cached("oracle", capture, _read_capture)


def oracle(capture, proto="tcp"):
    return _capture_oracles(capture)[proto]


def as_tshark_exports(o, stream, records, exported):
    """records (a stream's file, in frame order) as `tshark -2 -Y ... -w`
    of this Wireshark writes the stream (exported records), and the indexes
    kept: tshark 4.4 and later leave out the earlier IP fragments of a
    reassembled segment, which 4.0 writes and ip.fragment names; the split
    keeps them on every version."""
    if tshark_version() < (4, 4) or exported >= len(records):
        return records, list(range(len(records)))
    keep = [i for i, n in enumerate(o.streams[stream]) if n not in o.fragments_only[stream]]
    return [records[i] for i in keep], keep


def split_files(out, proto="tcp", rewriting=False):
    """{stream: file name} of the split's files of proto, failing on names
    that are not ours. rewriting: a live capture that still runs, whose
    index may be between its temporary file and its rename."""
    files = {}
    for name in sorted(os.listdir(out)):
        if name == "streams.csv" or (rewriting and name == "streams.csv.tmp"):
            continue
        m = NAME_RE.match(name)
        assert m, "unexpected file in the split: %s" % name
        if m.group("proto") != proto:
            continue
        stream = int(m.group("stream"))
        assert stream not in files, "two files for stream %d: %s, %s" % (stream, files[stream], name)
        files[stream] = name
    return files


def check_membership(capture, out, fmt="pcapng", only=None, proto="tcp"):
    """Every stream of proto in the capture (or of the set only) has exactly
    its file, holding exactly the frames tshark -2 assigns it (and their
    fragments), in capture order."""
    o = oracle(capture, proto)
    files = split_files(out, proto)
    want = sorted(o.streams) if only is None else sorted(set(only))
    assert sorted(files) == want, "streams with files differ from tshark's %s.stream values" % proto
    for stream, name in files.items():
        path = os.path.join(out, name)
        records = capfile.read(path)
        got = [r.digest() for r in records]
        want = o.expected(stream)
        assert got == want, "%s: frames differ from tshark's %s stream %d (%d vs %d frames)" % (
            name, proto, stream, len(got), len(want))
        m = NAME_RE.match(name)
        assert m.group("ext") == capfile.file_format(path), "%s: extension does not match the format" % name
        if fmt == "pcap" and name.endswith(".pcap"):
            assert len({r.linktype for r in records}) == 1
        if stream in o.first:
            sport, dport, flags = o.first[stream]
            client_port, server_port = (dport, sport) if (flags & 0x12) == 0x12 else (sport, dport)
            assert (int(m.group("cport")), int(m.group("sport"))) == (client_port, server_port), \
                "%s: ports are not client then server of the first frame" % name
    return files


def capinfos_all(out, names):
    """capinfos reads every file without error."""
    paths = [os.path.join(out, n) for n in names]
    for i in range(0, len(paths), 500):
        proc = subprocess.run(["capinfos", "-c"] + paths[i:i + 500], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.fixture
def workdir(request):
    return scratch(request.node.name)


def generator():
    return os.path.join(REPO, "captures", "generate.py")


def python3():
    return shutil.which("python3") or "/usr/bin/python3"


def generated_capture(name, *args, command="scale"):
    """A capture made by captures/generate.py `command` (a large one unless
    told), kept in the build folder (the generator is deterministic, so it
    is made once)."""
    folder = os.path.join(BUILD, "test-captures")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        tmp = "%s.%d.tmp" % (path, os.getpid())     # two tests may make it at once (ctest -j)
        subprocess.run([python3(), generator(), command, tmp] + list(args), check=True)
        os.rename(tmp, path)
        os.chmod(path, 0o644)
    return path


def summary_line(proc):
    lines = [l for l in stderr_lines(proc) if l.startswith("flowsplit: ") and " streams, " in l]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def summary_number(proc, pattern):
    m = re.search(pattern, summary_line(proc))
    assert m, summary_line(proc)
    return int(m.group(1))


def index_escape(raw):
    """The index's escaping of payload-derived text (see plugin/stream_index.c)."""
    out = []
    for i, ch in enumerate(raw):
        c = ord(ch)
        if (c < 0x20 or c == 0x7F or 0x80 <= c < 0xA0 or ch in '\\",;'
                or (i == 0 and ch in "=+-@")):
            out.append("\\x%02X" % c)
        else:
            out.append(ch)
    return "".join(out)


class IndexOracle:
    """What tshark's own fields say each row of streams.csv must be: the sums
    of frame.len per tcp.stream (udp.stream, dccp.stream) and direction, A
    being the source of the stream's first frame (the IP layer carrying its
    TCP layer; PDML gives the layer structure for frames with tunnels, ICMP
    quotes or TCP in TCP). A ClientHello belongs to the frame's innermost
    TCP stream, or to its innermost UDP stream when it has no TCP (QUIC),
    else DCCP's. ja3s is the same of the first ServerHello, and ja4 the
    ClientHello's tls.handshake.ja4 where this Wireshark has the field (4.2+;
    without it, ja4 is None here and tests/test_ja4.py asks 4.6). One tshark
    pass reads every transport: rows[proto]."""

    COMMON = ["frame.number", "frame.len", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
              "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
              "tls.handshake.ja3", "tls.handshake.ja3s", "tcp.flags"]

    def __init__(self, capture):
        self.has_ja4 = "tls.handshake.ja4" in tshark_fields()
        fields = self.COMMON + [p + k for p in PROTOS for k in (".stream", ".srcport", ".dstport")]
        if self.has_ja4:
            fields.append("tls.handshake.ja4")
        args = ["-r", capture, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-E", "separator=\t"]
        for f in fields:
            args += ["-e", f]
        proc = tshark(args, plugin=False)
        self.returncode = proc.returncode
        frames = {p: [] for p in PROTOS}
        complex_frames = set()
        for line in proc.stdout.splitlines():
            c = dict(zip(fields, [v.split("\x1f") if v else [] for v in line.split("\t")]))
            if len(c) < len(fields) or not c["frame.number"]:
                continue
            num = int(c["frame.number"][0])
            sec, _, frac = c["frame.time_epoch"][0].partition(".")
            ts = int(sec) * 10**9 + fraction_ns(frac)
            ips = list(zip(c["ip.src"], c["ip.dst"])) + list(zip(c["ipv6.src"], c["ipv6.dst"]))
            owner = next((p for p in PROTOS if c[p + ".stream"]), None)
            for proto in PROTOS:
                streams = [int(v) for v in c[proto + ".stream"]]
                if not streams:
                    continue
                sports, dports = c[proto + ".srcport"], c[proto + ".dstport"]
                frame = {"num": num, "len": int(c["frame.len"][0]), "ts": ts, "streams": streams, "layers": None,
                         "tls_types": c["tls.handshake.type"] if owner == proto else [],
                         "sni": c["tls.handshake.extensions_server_name"],
                         "alpn": c["tls.handshake.extensions_alpn_str"], "ja3": c["tls.handshake.ja3"],
                         "ja3s": c["tls.handshake.ja3s"], "ja4": c.get("tls.handshake.ja4")}
                flags = c["tcp.flags"] if proto == "tcp" else ["0"]
                if len(streams) == 1 and len(ips) == 1 and len(sports) == 1 and len(flags) == 1:
                    frame["layers"] = [(streams[0], ips[0][0], int(sports[0]), ips[0][1], int(dports[0]),
                                        int(flags[0], 16))]
                else:
                    complex_frames.add(num)
                frames[proto].append(frame)
        layers = self._pdml_layers(capture, sorted(complex_frames))
        self.rows = {}
        for proto in PROTOS:
            for frame in frames[proto]:
                if frame["layers"] is None:
                    frame["layers"] = layers.get(frame["num"], {}).get(proto, [])
            self.rows[proto] = self._rows(frames[proto])

    @staticmethod
    def _pdml_layers(capture, nums):
        """{frame: {proto: [(stream, src, sport, dst, dport, tcp flags)]}} from PDML."""
        import xml.etree.ElementTree as ET
        layers = {}
        for i in range(0, len(nums), 400):
            chunk = nums[i:i + 400]
            flt = "frame.number in {%s}" % ",".join(str(n) for n in chunk)
            proc = tshark(["-r", capture, "-T", "pdml", "-Y", flt], plugin=False)
            root = ET.fromstring(proc.stdout)
            for packet in root.iter("packet"):
                num, src, dst, found = None, None, None, {p: [] for p in PROTOS}
                for el in packet.iter():
                    name = el.get("name")
                    if name == "frame.number":
                        num = int(el.get("show"))
                    elif name in ("ip.src", "ipv6.src"):
                        src = el.get("show")
                    elif name in ("ip.dst", "ipv6.dst"):
                        dst = el.get("show")
                    elif el.tag == "proto" and name in PROTOS:
                        keys = [name + k for k in (".srcport", ".dstport", ".stream")] + ["tcp.flags"]
                        f = {c.get("name"): c.get("show") for c in el.iter("field") if c.get("name") in keys}
                        if name + ".stream" in f:
                            found[name].append((int(f[name + ".stream"]), src, int(f.get(name + ".srcport", 0)), dst,
                                                int(f.get(name + ".dstport", 0)), int(f.get("tcp.flags", "0"), 16)))
                layers[num] = found
        return layers

    @staticmethod
    def _rows(frames):
        rows = {}
        for frame in frames:
            seen = []
            for stream, src, sport, dst, dport, flags in frame["layers"]:
                r = rows.get(stream)
                if r is None:
                    r = rows[stream] = {"addr_a": src, "port_a": sport, "addr_b": dst, "port_b": dport,
                                        "frames_ab": 0, "bytes_ab": 0, "frames_ba": 0, "bytes_ba": 0,
                                        "first_frame": frame["num"], "start": frame["ts"], "syn": 0,
                                        "close": "none", "fin": set(), "tls_sni": "", "tls_alpn": "",
                                        "ja3": "", "tls": False, "ja3s": "", "server_hello": False,
                                        "ja4": "" if frame["ja4"] is not None else None}
                from_a = (src, sport) == (r["addr_a"], r["port_a"])
                if stream not in seen:
                    seen.append(stream)
                    d = "ab" if from_a else "ba"
                    r["frames_" + d] += 1
                    r["bytes_" + d] += frame["len"]
                    r["last_frame"] = frame["num"]
                    r["last"] = frame["ts"]
                if flags & 0x02 and not flags & 0x10:
                    r["syn"] = 1
                if r["close"] == "none":
                    if flags & 0x04:
                        r["close"] = "rst"
                    elif flags & 0x01:
                        r["fin"].add(from_a)
                        if len(r["fin"]) == 2:
                            r["close"] = "fin"
            if "1" in frame["tls_types"] and frame["layers"]:
                r = rows[frame["layers"][-1][0]]
                if not r["tls"]:
                    r["tls"] = True
                    r["tls_sni"] = index_escape(frame["sni"][0]) if frame["sni"] else ""
                    r["tls_alpn"] = ";".join(index_escape(a) for a in frame["alpn"])
                    r["ja3"] = index_escape(frame["ja3"][0]) if frame["ja3"] else ""
                    if frame["ja4"] is not None:
                        r["ja4"] = index_escape(frame["ja4"][0]) if frame["ja4"] else ""
            if "2" in frame["tls_types"] and frame["layers"]:
                r = rows[frame["layers"][-1][0]]
                if not r["server_hello"]:
                    r["server_hello"] = True
                    r["ja3s"] = index_escape(frame["ja3s"][0]) if frame["ja3s"] else ""
        for r in rows.values():
            r["duration"] = r["last"] - r["start"]
            for k in ("fin", "tls", "last", "server_hello"):
                del r[k]
        return rows


@functools.lru_cache(maxsize=None)
def index_oracle(capture):
    return disk_cached("index", capture, IndexOracle)


def parse_time(text):
    sec, _, frac = text.partition(".")
    return int(sec) * 10**9 + fraction_ns(frac)


def read_index(out):
    import csv
    with open(os.path.join(out, "streams.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
