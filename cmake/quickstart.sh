#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# From a fresh Debian 12 machine to a split: installs the dependencies,
# builds flowsplit, installs the plugin and splits a bundled capture into
# ./mixed-streams. As root the plugin goes into the global plugin folder,
# because tshark run by root ignores the personal one.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake/install-deps.sh
if [ "$(id -u)" -eq 0 ]; then
    scope=system
else
    scope=user
fi
cmake -S . -B build -DFLOWSPLIT_INSTALL_SCOPE=$scope
cmake --build build
cmake --install build
tshark -G plugins | grep flowsplit
tshark -r captures/mixed.pcap -q -X flowsplit:out=mixed-streams,replace=yes
ls mixed-streams | head -20
