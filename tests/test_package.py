# SPDX-License-Identifier: GPL-2.0-or-later
"""Installing for the whole machine, for real: the .deb that `cpack -G DEB`
builds, and `cmake --install` with -DFLOWSPLIT_INSTALL_SCOPE=system; each
puts the plugin where tshark looks for global plugins (which also serve
tshark run as root), tshark lists it and splits with it, and removing it
leaves nothing tshark would load. Needs root; skipped where a flowsplit
package is installed already, so a developer's own install is never touched.
"""
import glob
import os
import re
import subprocess

import pytest

from conftest import AS_ROOT, REPO, SANITIZED, check_membership, scratch

MIXED = os.path.join(REPO, "captures", "mixed.pcap")

pytestmark = [
    pytest.mark.skipif(not AS_ROOT, reason="installs into the global plugin folder: needs root"),
    pytest.mark.skipif(SANITIZED, reason="installs a normal build, not the sanitizer build"),
]


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, "%s: %s%s" % (" ".join(cmd), proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def package_installed():
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "flowsplit"], capture_output=True, text=True)
    return "installed" in proc.stdout and "not-installed" not in proc.stdout


@pytest.fixture(scope="module")
def system_build():
    if package_installed():
        pytest.skip("a flowsplit package is installed on this machine; not touching it")
    build = os.path.join(scratch("build-system"), "build")
    run(["cmake", "-S", REPO, "-B", build, "-DFLOWSPLIT_INSTALL_SCOPE=system"])
    run(["cmake", "--build", build])
    return build


def global_plugin_folder():
    """Where tshark looks for global plugins, by its own word."""
    folders = run(["tshark", "-G", "folders"]).stdout
    return re.search(r"^Global Plugins:\s*(\S+)$", folders, re.M).group(1)


def abi_package():
    """The Debian package of the libwireshark tshark runs with."""
    ldd = run(["ldd", "/usr/bin/tshark"]).stdout
    lib = re.search(r"libwireshark\.so\.\d+ => (\S+)", ldd).group(1)
    return run(["dpkg-query", "-S", os.path.realpath(lib)]).stdout.split(":")[0]


def listed_plugins(as_nobody=False):
    env = dict(os.environ)
    env.pop("WIRESHARK_PLUGIN_DIR", None)
    cmd = ["tshark", "-G", "plugins"]
    if as_nobody:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    return [l.split() for l in run(cmd, env=env).stdout.splitlines() if l.startswith("flowsplit.so")]


def split_as_root(workdir):
    """tshark run as root loads global plugins only: the installed one."""
    out = os.path.join(workdir, "out")
    env = dict(os.environ)
    env.pop("WIRESHARK_PLUGIN_DIR", None)
    proc = subprocess.run(["tshark", "-r", MIXED, "-q", "-X", "flowsplit:out=" + out], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    check_membership(MIXED, out)


def test_deb_installs_splits_and_uninstalls(system_build, workdir):
    run(["cpack", "-G", "DEB"], cwd=system_build)
    debs = glob.glob(os.path.join(system_build, "flowsplit_*.deb"))
    assert len(debs) == 1, debs
    deb = debs[0]
    so = os.path.join(global_plugin_folder(), "epan", "flowsplit.so")

    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    assert re.search(r"(^|, )%s \(" % re.escape(abi_package()), depends), depends
    contents = run(["dpkg-deb", "-c", deb]).stdout
    assert "." + so in contents.split(), contents
    assert "./usr/bin/flowsplit" in contents.split(), contents     # the -j command ships with the plugin

    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "install", "-y", "--no-install-recommends", os.path.abspath(deb)], env=env)
    try:
        assert os.path.isfile(so)
        assert run(["/usr/bin/flowsplit", "--version"]).stdout.startswith("flowsplit ")
        for as_nobody in (False, True):
            rows = listed_plugins(as_nobody)
            assert rows and rows[0][-1] == so, rows
        split_as_root(workdir)
    finally:
        run(["apt-get", "remove", "-y", "--purge", "flowsplit"], env=env)
    assert not os.path.exists(so)
    assert listed_plugins() == []


def test_cmake_install_system_scope_and_uninstall(system_build, workdir):
    so = os.path.join(global_plugin_folder(), "epan", "flowsplit.so")
    assert not os.path.exists(so), "a flowsplit.so is in the global plugin folder already"
    run(["cmake", "--install", system_build])
    try:
        rows = listed_plugins()
        assert rows and rows[0][-1] == so, rows
        split_as_root(workdir)
    finally:
        # The uninstall README gives.
        run(["bash", "-c", "xargs rm < install_manifest.txt"], cwd=system_build)
    assert not os.path.exists(so)
    assert listed_plugins() == []
