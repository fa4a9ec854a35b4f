"""make deb: dpkg-buildpackage builds sockit, libsockit0 and libsockit-dev;
lintian finds no error; the packages hold what they should, the binary
runs from the extracted package, its man pages render, and a program
builds with pkg-config against the extracted library packages.  The build
takes ~20 s, so it runs once, in the normal (not the sanitizer) pass."""
import glob
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import ROOT, SANITIZED, Server, run
from pkg_util import make_env, version

pytestmark = [
    pytest.mark.skipif(not shutil.which("dpkg-buildpackage"), reason="dpkg-buildpackage not installed"),
    pytest.mark.skipif(SANITIZED, reason="the package is the same in both passes: built once"),
]


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    build = tmp_path_factory.mktemp("debbuild")
    r = subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={build}", "deb"],
                       capture_output=True, text=True, timeout=600, env=make_env())
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    found = {os.path.basename(p).split("_")[0]: p for p in glob.glob(f"{build}/deb/*.deb")}
    return build, found


def contents(deb):
    r = run(["dpkg-deb", "-c", deb])
    return {line.split()[5].lstrip(".") for line in r.stdout.decode().splitlines()}


def extract(deb, dest):
    r = run(["dpkg-deb", "-x", deb, str(dest)])
    assert r.returncode == 0, r.stderr


def test_changelog_version_is_the_version_file():
    r = subprocess.run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "debian", "changelog"),
                        "-S", "Version"], capture_output=True, text=True)
    assert r.stdout.strip() == version()


def test_three_packages_with_the_version(debs):
    _, found = debs
    assert {"sockit", "libsockit0", "libsockit-dev"} <= set(found)
    for name in ("sockit", "libsockit0", "libsockit-dev"):
        assert os.path.basename(found[name]).startswith(f"{name}_{version()}_")


def test_sockit_package_contents(debs):
    _, found = debs
    files = contents(found["sockit"])
    for f in ("/usr/bin/sockit", "/usr/share/man/man1/sockit.1.gz",
              "/usr/share/man/man1/sockit-serve.1.gz", "/usr/share/man/man5/sockit.conf.5.gz",
              "/usr/share/bash-completion/completions/sockit",
              "/usr/share/zsh/vendor-completions/_sockit", "/etc/sockit/sockit.conf",
              "/lib/systemd/system/sockit.service", "/lib/systemd/system/sockit.socket",
              "/usr/share/doc/sockit/copyright"):
        assert f in files, f
    r = run(["dpkg-deb", "-f", found["sockit"], "Depends"])
    assert b"libsockit0" not in r.stdout  # the command links the archive
    assert b"libssl3" in r.stdout  # dlopen()ed for --tls: shlibdeps cannot see it
    r = run(["dpkg-deb", "-I", found["sockit"], "conffiles"])
    assert b"/etc/sockit/sockit.conf" in r.stdout


def test_library_packages_contents(debs):
    _, found = debs
    lib = contents(found["libsockit0"])
    assert any(re.search(r"/usr/lib/[^/]+/libsockit\.so\.0$", f) for f in lib)
    assert not any(f.endswith("/libsockit.so") for f in lib)
    dev = contents(found["libsockit-dev"])
    for pat in (r"/usr/include/sockit/net\.h$", r"/libsockit\.a$", r"/libsockit\.so$",
                r"/pkgconfig/sockit\.pc$", r"/usr/share/man/man3/libsockit\.3\.gz$"):
        assert any(re.search(pat, f) for f in dev), pat


def test_binary_from_the_package_runs_and_serves(debs, tmp_path):
    _, found = debs
    extract(found["sockit"], tmp_path)
    exe = str(tmp_path / "usr/bin/sockit")
    r = run([exe, "--help"])
    assert r.returncode == 0 and b"usage: sockit" in r.stdout
    r = run([exe, "--version"])
    assert r.returncode == 0 and r.stdout.decode().strip() == f"sockit {version()}"
    s = Server([exe, "serve", "echo", "tcp://127.0.0.1:0"], 1)
    try:
        r = run([exe, "echo", s.endpoint(), "from the package"])
        assert r.returncode == 0 and r.stdout == b"from the package", r.stderr
    finally:
        s.stop()


def test_man_pages_from_the_package_render(debs, tmp_path):
    _, found = debs
    extract(found["sockit"], tmp_path)
    extract(found["libsockit-dev"], tmp_path)
    pages = glob.glob(str(tmp_path / "usr/share/man/man*/*.gz"))
    assert len(pages) >= 4
    for page in pages:
        text = subprocess.run(["zcat", page], capture_output=True, check=True).stdout
        r = subprocess.run(["groff", "-ww", "-z", "-man"], input=text, capture_output=True)
        assert r.returncode == 0 and r.stderr == b"", (page, r.stderr)
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", str(tmp_path / "usr/share/man/man1/sockit-serve.1.gz")],
                           capture_output=True, text=True, env=dict(os.environ, MANPAGER="cat"))
        assert "sockit-serve" in r.stdout


def test_program_builds_against_the_extracted_library_packages(debs, tmp_path):
    _, found = debs
    root = tmp_path / "root"
    extract(found["libsockit0"], root)
    extract(found["libsockit-dev"], root)
    libdir = os.path.dirname(glob.glob(str(root / "usr/lib/*/libsockit.so"))[0])
    env = dict(os.environ, PKG_CONFIG_PATH=f"{libdir}/pkgconfig", PKG_CONFIG_SYSROOT_DIR=str(root))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sockit"], env=env,
                           capture_output=True, text=True, check=True).stdout.split()
    exe = str(tmp_path / "libdemo")
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-o", exe,
                        os.path.join(ROOT, "tests", "pkg", "libdemo.c"), *flags],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([exe], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    assert r.returncode == 0 and r.stdout.startswith("hello libsockit via tcp://127.0.0.1:"), r.stderr


@pytest.mark.skipif(not shutil.which("lintian"), reason="lintian not installed")
def test_lintian_reports_no_errors(debs):
    build, _ = debs
    changes = glob.glob(f"{build}/deb/*.changes")[0]
    r = subprocess.run(["lintian", "--fail-on", "error", changes], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not re.search(r"^E: ", r.stdout, re.M), r.stdout
