# SPDX-License-Identifier: GPL-2.0-or-later
"""The tshark side: plugin loading, -X options, the output folder, errors,
the summary, logging and progress."""
import hashlib
import os
import pty
import re
import select
import stat
import subprocess
import time

import pytest

import capfile
from conftest import (AS_ROOT, BUILD, REPO, NOBODY, PLUGIN_DIR, SANITIZED, capinfos_all, readable, check_membership, oracle, generated_capture, scratch,
                      split, split_files, stderr_lines, summary_line, summary_number, tshark)

MIXED = os.path.join(REPO, "captures", "mixed.pcap")


def project_version():
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("CMAKE_PROJECT_VERSION:"):
                return line.split("=", 1)[1].strip()
    raise AssertionError("no project version in CMakeCache.txt")


def test_plugin_is_listed_with_its_version():
    proc = tshark(["-G", "plugins"])
    rows = [l.split() for l in proc.stdout.splitlines() if l.startswith("flowsplit.so")]
    assert rows, proc.stdout
    assert rows[0][1] == project_version()
    # 4.0 says what it registered; from 4.2 on the loader asks
    # plugin_describe(), without which it would say "unknown".
    assert rows[0][2] == "dissector", rows[0]


def test_without_options_nothing_is_written(workdir):
    proc = tshark(["-r", MIXED, "-q"])
    assert proc.returncode == 0
    assert "flowsplit" not in proc.stderr


BAD_OPTIONS = [
    (["bogus=1"], "bogus", "valid keys"),
    (["format=pcapx"], "format", "pcapng, pcap"),
    (["max_open=0"], "max_open", "whole number"),
    (["max_open=-3"], "max_open", "whole number"),
    (["max_open=many"], "max_open", "whole number"),
    (["buffer_mb=-1"], "buffer_mb", "whole number"),
    (["replace=maybe"], "replace", "yes, no"),
    (["idle=-1"], "idle", "whole number from 0 to 86400"),
    (["idle=1m"], "idle", "whole number from 0 to 86400"),
    (["streams=5-2"], "streams", "N, N-M or N-"),
    (["streams=x"], "streams", "N, N-M or N-"),
    (["proto=icmp"], "proto", "tcp, udp, dccp, all"),
    (["proto=tcp,"], "proto", "tcp, udp, dccp, all"),
    (["proto="], "proto", "tcp, udp, dccp, all"),
    (["streams="], "streams", "streams=0-99"),
    (["select="], "select", "display filter"),
    (["community_id_seed=65536"], "community_id_seed", "whole number from 0 to 65535"),
    (["community_id_seed=-1"], "community_id_seed", "whole number from 0 to 65535"),
    (["justaword"], "justaword", "KEY=VALUE"),
]


@pytest.mark.parametrize("options,key,hint", BAD_OPTIONS, ids=[o[0][0] for o in BAD_OPTIONS])
def test_bad_option_stops_before_reading(workdir, options, key, hint):
    out = os.path.join(workdir, "out")
    proc = split(MIXED, out, *options)
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert key in lines[0] and hint in lines[0], lines[0]
    assert not os.path.exists(out), "the folder was created although the options were bad"
    assert proc.stdout == ""


def test_options_without_out(workdir):
    proc = tshark(["-r", MIXED, "-q", "-X", "flowsplit:format=pcap"])
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "out=DIR" in lines[0], proc.stderr


def test_several_options_in_one_x(workdir):
    out = os.path.join(workdir, "a,b")      # a comma in the folder name survives
    proc = tshark(["-r", MIXED, "-q", "-X", "flowsplit:out=%s,format=pcap,max_open=3" % out])
    assert proc.returncode == 0, proc.stderr
    assert "max_open=3" in summary_line(proc)
    files = check_membership(MIXED, out, "pcap")
    assert any(n.endswith(".pcap") for n in files.values())


def digest_folder(path):
    h = {}
    for name in sorted(os.listdir(path)):
        with open(os.path.join(path, name), "rb") as f:
            h[name] = hashlib.sha256(f.read()).hexdigest()
    return h


def test_existing_split_is_refused_then_replaced(workdir):
    out = os.path.join(workdir, "out")
    assert split(MIXED, out).returncode == 0
    before = digest_folder(out)
    proc = split(os.path.join(REPO, "captures", "rawip.pcap"), out)
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "replace=yes" in lines[0], proc.stderr
    assert digest_folder(out) == before, "the refused run changed the earlier split"
    proc = split(os.path.join(REPO, "captures", "rawip.pcap"), out, "replace=yes")
    assert proc.returncode == 0, proc.stderr
    check_membership(os.path.join(REPO, "captures", "rawip.pcap"), out)


def test_udp_files_count_as_a_split(workdir):
    """A folder holding only the UDP files of an earlier split is refused
    too, and replace=yes removes them."""
    out = os.path.join(workdir, "out")
    udp = os.path.join(REPO, "captures", "udp.pcap")
    assert split(udp, out, "proto=udp", "index=no").returncode == 0
    assert split_files(out, "udp") and not split_files(out, "tcp")
    before = digest_folder(out)
    proc = split(MIXED, out)
    assert proc.returncode != 0 and "replace=yes" in proc.stderr, proc.stderr
    assert digest_folder(out) == before
    proc = split(MIXED, out, "replace=yes")
    assert proc.returncode == 0, proc.stderr
    assert not split_files(out, "udp")
    check_membership(MIXED, out)


def test_other_files_in_the_folder_are_kept(workdir):
    out = os.path.join(workdir, "out")
    os.makedirs(out)
    os.chmod(out, 0o777)
    with open(os.path.join(out, "notes.txt"), "w") as f:
        f.write("mine")
    proc = split(MIXED, out)
    assert proc.returncode == 0, proc.stderr
    assert open(os.path.join(out, "notes.txt")).read() == "mine"


def test_planted_symlink_is_not_followed(workdir):
    out = os.path.join(workdir, "out")
    os.makedirs(out)
    os.chmod(out, 0o777)
    target = os.path.join(workdir, "target")
    with open(target, "w") as f:
        f.write("outside")
    os.chmod(target, 0o666)
    first = split_files_of_a_fresh_run(workdir)
    os.symlink(target, os.path.join(out, first))
    proc = split(MIXED, out)
    assert proc.returncode != 0 and len(stderr_lines(proc)) == 1, proc.stderr
    proc = split(MIXED, out, "replace=yes")
    assert proc.returncode == 0, proc.stderr
    assert open(target).read() == "outside"
    assert not os.path.islink(os.path.join(out, first))
    check_membership(MIXED, out)


def split_files_of_a_fresh_run(workdir):
    out = os.path.join(workdir, "fresh")
    assert split(MIXED, out).returncode == 0
    return split_files(out)[0]


def test_out_is_a_file(workdir):
    out = os.path.join(workdir, "file")
    open(out, "w").close()
    proc = split(MIXED, out)
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "not a folder" in lines[0] and out in lines[0], proc.stderr


def test_unwritable_folder(workdir):
    out = os.path.join(workdir, "ro")
    os.makedirs(out)
    os.chmod(out, 0o555)
    proc = split(MIXED, out)
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "cannot write" in lines[0] and out in lines[0], proc.stderr
    assert os.listdir(out) == []


def test_folder_that_cannot_be_created(workdir):
    parent = os.path.join(workdir, "ro")
    os.makedirs(parent)
    os.chmod(parent, 0o555)
    out = os.path.join(parent, "sub", "out")
    proc = split(MIXED, out)
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "cannot create" in lines[0] and "Permission denied" in lines[0], proc.stderr


@pytest.mark.skipif(not AS_ROOT, reason="mounting a file system needs root")
def test_read_only_file_system(workdir):
    """A folder on a read-only file system, and one that would have to be
    created there: one line naming the folder and the cause, exit 1,
    nothing written."""
    ro = os.path.join(workdir, "rofs")
    os.makedirs(ro)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k,mode=0777", "tmpfs", ro]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        for out, what in ((ro, "cannot write"), (os.path.join(ro, "sub"), "cannot create")):
            proc = split(MIXED, out)
            assert proc.returncode == 1, proc.stderr
            lines = stderr_lines(proc)
            assert len(lines) == 1, proc.stderr
            assert what in lines[0] and out in lines[0] and "Read-only file system" in lines[0], lines[0]
            assert "choose another out=DIR" in lines[0]
        assert os.listdir(ro) == []
    finally:
        subprocess.run(["umount", ro])


def disk_full_capture(which):
    if which == "at-the-end":
        return MIXED, []
    # 3 MB of frames through a 1 MB buffer: the disk fills while the second
    # thread writes the first full half, with frames still coming in.
    return generated_capture("disk-full-2k.pcap", "--streams", "2000", "--concurrent", "500",
                             "--frames-per-stream", "9"), ["buffer_mb=1"]


@pytest.mark.skipif(not AS_ROOT, reason="mounting a small tmpfs needs root")
@pytest.mark.parametrize("which", ["at-the-end", "in-the-background"])
def test_disk_full_fails_the_run(workdir, which):
    capture, options = disk_full_capture(which)
    out = os.path.join(workdir, "small")
    os.makedirs(out)
    size = "16k" if which == "at-the-end" else "256k"
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0777" % size, "tmpfs", out]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        proc = split(capture, out, *options)
        assert proc.returncode == 2, proc.stderr
        errors = [l for l in stderr_lines(proc) if " streams, " not in l]
        assert len(errors) == 1, proc.stderr
        assert out in errors[0] and "No space left" in errors[0], errors[0]
        assert "split incomplete" in summary_line(proc)
        # What is left is valid and holds each stream's first frames, exactly.
        o = oracle(capture)
        files = split_files(out)
        assert files, "nothing was kept"
        for stream, name in files.items():
            got = [r.digest() for r in capfile.read(os.path.join(out, name))]
            assert got == o.expected(stream)[:len(got)], name
        capinfos_all(out, files.values())
    finally:
        subprocess.run(["umount", out])


def test_summary_is_one_line_and_true(workdir):
    out = os.path.join(workdir, "out")
    proc = split(MIXED, out)
    assert proc.returncode == 0
    assert len(stderr_lines(proc)) == 1, "more than the summary on a non-terminal stderr"
    files = split_files(out)
    frames = sum(len(capfile.read(os.path.join(out, n))) for n in files.values())
    assert summary_number(proc, r"(\d+) streams") == len(files)
    assert summary_number(proc, r"(\d+) frames written") == frames
    assert summary_number(proc, r"to (\d+) files") == len(files)


def test_debug_log_shows_decisions(workdir):
    out = os.path.join(workdir, "out")
    proc = tshark(["-r", MIXED, "-q", "--log-debug", "flowsplit", "-X", "flowsplit:out=%s,max_open=2,buffer_mb=0" % out])
    assert proc.returncode == 0, proc.stderr
    for word in ("opened tcp-000000", "evicted tcp-", "reopened tcp-", "closed tcp-", "ended"):
        assert word in proc.stderr, word


def test_second_dissection_only_where_the_taps_leave_a_frame_open(workdir):
    """mixed.pcap has frames the taps cannot answer for (a bad TCP header
    length, an ICMP quote too short for its stream, IPv6 fragments, a
    ClientHello): those, and only a few frames besides, are dissected again
    with a tree. The membership and index tests prove the result; this one
    that the intake neither skips the second dissection nor does it for
    every frame."""
    out = os.path.join(workdir, "out")
    proc = tshark(["-r", MIXED, "-q", "--log-level", "info", "-X", "flowsplit:out=" + out])
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"(\d+) of (\d+) frames dissected again, with a tree", proc.stderr)
    assert m, proc.stderr
    again, frames = int(m.group(1)), int(m.group(2))
    assert frames == len(oracle(MIXED).digest) and 0 < again <= frames // 10


@pytest.mark.skipif(SANITIZED, reason="starts tshark itself, where the sanitizer build cannot preload libasan")
def test_progress_on_a_terminal(workdir):
    capture = generated_capture("progress-40k.pcap", "--streams", "4000", "--concurrent", "1000",
                                "--frames-per-stream", "12")
    out = os.path.join(workdir, "out")
    env = dict(os.environ, HOME=os.path.join(workdir), WIRESHARK_PLUGIN_DIR=readable(PLUGIN_DIR))
    cmd = ["tshark", "-r", readable(capture), "-q", "-X", "flowsplit:out=" + out]
    if AS_ROOT:
        cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + cmd
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.time() + 300
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 1)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait()
    os.close(master)
    text = seen.decode(errors="replace")
    assert proc.returncode == 0, text
    if "frames read" not in text:
        pytest.skip("the split took less than a second: no progress line is due")
    assert re.search(r"\rflowsplit: \d+ frames read, \d+ streams, [\d.]+ MB written", text), text
    assert "streams, " in text.splitlines()[-1]


def test_pcap_policy_streams_pcap_cannot_hold_become_pcapng(workdir):
    """format=pcap: a stream with packet comments, several link types or a
    finer time stamp than its first frame is written as pcapng, whole; every
    other stream as pcap; the summary counts the former."""
    capture = os.path.join(REPO, "captures", "interfaces.pcapng")
    out = os.path.join(workdir, "out")
    proc = split(capture, out, "format=pcap")
    assert proc.returncode == 0, proc.stderr
    files = check_membership(capture, out, "pcap")
    as_pcapng = []
    for stream, name in files.items():
        records = capfile.read(os.path.join(out, name))
        needs_pcapng = (any(r.comments for r in records) or len({r.linktype for r in records}) > 1
                        or any(r.ts_ns % 1000 for r in records[1:]) and records[0].ts_ns % 1000 == 0)
        assert name.endswith(".pcapng") == needs_pcapng, name
        if needs_pcapng:
            as_pcapng.append(name)
    assert as_pcapng and len(as_pcapng) < len(files), "the capture does not exercise both cases"
    assert summary_number(proc, r"(\d+) files written as pcapng") == len(as_pcapng)


@pytest.mark.skipif(SANITIZED, reason="starts tshark itself, where the sanitizer build cannot preload libasan")
def test_install_into_the_personal_plugin_folder(workdir):
    """cmake --install puts the plugin where tshark looks for the installing
    user's plugins, and tshark loads it from there."""
    home = os.path.join(workdir, "home")
    os.makedirs(home)
    proc = subprocess.run(["cmake", "--install", BUILD],
                          env=dict(os.environ, HOME=home), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    major_minor = re.search(r"TShark \(Wireshark\) (\d+\.\d+)", version).group(1)
    so = os.path.join(home, ".local", "lib", "wireshark", "plugins", major_minor, "epan", "flowsplit.so")
    assert os.path.isfile(so)
    for root, dirs, files in os.walk(home):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755)
    os.chmod(home, 0o755)
    env = dict(os.environ, HOME=home)
    env.pop("WIRESHARK_PLUGIN_DIR", None)
    cmd = ["tshark", "-G", "plugins"]
    if AS_ROOT:
        cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + cmd
    listed = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout
    assert so in listed, listed
    # The uninstall README gives.
    subprocess.run(["bash", "-c", "xargs rm < install_manifest.txt"], cwd=BUILD, check=True)
    assert not os.path.exists(so)
    listed = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout
    assert "flowsplit" not in listed, listed
