# SPDX-License-Identifier: GPL-2.0-or-later
"""The fast path: tshark options that skip dissection a split does not need
(README, "Fast path"). On every capture the files hold exactly what a full
dissection puts in each stream, and with the index the index is the same
as a full dissection's."""
import os
import pytest

from conftest import (REPO, bundled_captures, capture_id, check_membership, oracle, public_captures, read_index, scratch,
                      split_files, tshark)

CAPTURES = bundled_captures() + public_captures()

# The options README gives; test_readme_gives_these_options keeps them equal.
FAST_WITH_INDEX = ["-o", "tcp.analyze_sequence_numbers:FALSE"]
FAST_FILES_ONLY = FAST_WITH_INDEX + ["-o", "tcp.desegment_tcp_streams:FALSE"]


def fast_split(capture, out, tshark_options, *flowsplit_options):
    args = ["-r", capture, "-q"] + tshark_options + ["-X", "flowsplit:out=" + out]
    for opt in flowsplit_options:
        args += ["-X", "flowsplit:" + opt]
    return tshark(args)


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_fast_path_files_only(capture):
    out = os.path.join(scratch(capture_id(capture) + "-fast-files"), "out")
    proc = fast_split(capture, out, FAST_FILES_ONLY, "index=no")
    assert proc.returncode == oracle(capture).returncode, proc.stderr
    check_membership(capture, out)


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_fast_path_with_index(capture):
    work = scratch(capture_id(capture) + "-fast-index")
    fast, full = os.path.join(work, "fast"), os.path.join(work, "full")
    proc = fast_split(capture, fast, FAST_WITH_INDEX)
    assert proc.returncode == oracle(capture).returncode, proc.stderr
    check_membership(capture, fast)
    proc = fast_split(capture, full, [])
    assert proc.returncode == oracle(capture).returncode, proc.stderr
    assert sorted(split_files(fast).values()) == sorted(split_files(full).values())
    # ja3s aside: with sequence analysis on, Wireshark 4.0 itself does not
    # dissect some ServerHellos as TLS (suri__tls-subjectaltname.pcap, stream
    # 3: tls.handshake.type 2 only with tcp.analyze_sequence_numbers:FALSE),
    # and the column is Wireshark's field under the options given;
    # test_index checks it against tshark's own.
    assert without_ja3s(read_index(fast)) == without_ja3s(read_index(full)), \
        "the fast path's index differs from a full dissection's"


def without_ja3s(rows):
    return [{k: v for k, v in r.items() if k != "ja3s"} for r in rows]


def test_readme_gives_these_options():
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    assert " ".join(FAST_WITH_INDEX) in readme
    assert " ".join(FAST_FILES_ONLY) in readme
