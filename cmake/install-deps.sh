#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installs what flowsplit needs to build and test on Debian 12 (bookworm):
# tshark and the Wireshark development files, a C toolchain and CMake, and
# the test tools (Debian's python3-pytest, tcpdump, python3-cryptography for
# the QUIC Initials of captures/generate.py hellos; for the GUI test
# Wireshark itself, Xvfb, xdotool, xclip and ImageMagick's import for
# screenshots; debootstrap for the chroots of tests/other-versions; GNU
# parallel for the multi-machine recipe of docs/parallel.md). Uses
# sudo when not root.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# Do not ask whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y --no-install-recommends \
    tshark wireshark-dev libwireshark-dev libwiretap-dev libwsutil-dev \
    cmake make gcc libc6-dev pkg-config zlib1g-dev \
    python3 python3-pytest python3-cryptography tcpdump util-linux \
    wireshark-qt xvfb xdotool xclip imagemagick fonts-dejavu-core \
    debootstrap parallel
