"""libsockit as a library: the shared object exports exactly the sk_ API
under a soname, every public header compiles alone in strict C11, and a
program outside the tree builds against an installed tree through
pkg-config and runs."""
import glob
import os
import re
import subprocess

from conftest import BUILD, ROOT, SANITIZED, run
from pkg_util import install, version

SO = os.path.join(BUILD, "libsockit.so")


def dynamic_symbols(path):
    """Defined dynamic symbols of a shared object, without the version
    node (nm prints it as an absolute symbol)."""
    r = run(["nm", "-D", "--defined-only", path])
    assert r.returncode == 0, r.stderr
    syms = set()
    for line in r.stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":
            syms.add(parts[2].split("@")[0])
    return syms


def test_shared_library_exports_only_the_sk_api():
    syms = dynamic_symbols(SO)
    assert syms, "no exported symbols"
    leaked = sorted(s for s in syms if not re.match(r"sk_[a-z]", s))
    assert not leaked, f"exported symbols outside the sk_ API: {leaked}"


def test_every_public_function_of_the_archive_is_exported():
    r = run(["nm", "-g", "--defined-only", os.path.join(BUILD, "libsockit.a")])
    public = {p[2] for p in (l.split() for l in r.stdout.decode().splitlines())
              if len(p) == 3 and re.match(r"sk_[a-z]", p[2])}
    missing = sorted(public - dynamic_symbols(SO))
    assert not missing, f"sk_ functions missing from libsockit.so: {missing}"


def test_soname_and_links():
    r = run(["readelf", "-d", SO])
    assert b"Library soname: [libsockit.so.0]" in r.stdout
    assert os.readlink(os.path.join(BUILD, "libsockit.so")) == "libsockit.so.0"
    assert os.readlink(os.path.join(BUILD, "libsockit.so.0")) == f"libsockit.so.{version()}"


def test_every_public_header_compiles_alone_in_strict_c11():
    headers = sorted(glob.glob(os.path.join(ROOT, "include", "sockit", "*.h")))
    assert headers
    for h in headers:
        src = f"#include <sockit/{os.path.basename(h)}>\nint sk__probe;\n"
        r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror",
                            "-I", os.path.join(ROOT, "include"), "-x", "c", "-c",
                            "-o", os.devnull, "-"], input=src, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, f"{os.path.basename(h)}:\n{r.stderr}"


def pkg_config(destdir, *args):
    env = dict(os.environ, PKG_CONFIG_PATH=f"{destdir}/usr/lib/pkgconfig",
               PKG_CONFIG_SYSROOT_DIR=str(destdir))
    env.pop("PKG_CONFIG_LIBDIR", None)
    r = subprocess.run(["pkg-config", *args, "sockit"], capture_output=True,
                       text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_program_builds_with_pkg_config_against_installed_tree(tmp_path):
    dest = tmp_path / "root"
    install(dest)
    assert pkg_config(dest, "--modversion") == [version()]
    flags = pkg_config(dest, "--cflags", "--libs")
    assert f"-I{dest}/usr/include" in flags and "-lsockit" in flags
    exe = tmp_path / "libdemo"
    san = ["-fsanitize=address,undefined"] if SANITIZED else []
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", *san,
                        "-o", str(exe), os.path.join(ROOT, "tests", "pkg", "libdemo.c"),
                        *flags], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    # It links the installed shared object, not the build tree's archive.
    needed = run(["readelf", "-d", str(exe)]).stdout.decode()
    assert "Shared library: [libsockit.so.0]" in needed
    env = dict(os.environ, LD_LIBRARY_PATH=f"{dest}/usr/lib")
    ldd = subprocess.run(["ldd", str(exe)], capture_output=True, text=True, env=env)
    assert f"{dest}/usr/lib/libsockit.so.0" in ldd.stdout
    r = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"hello libsockit via tcp://127\.0\.0\.1:\d+\n", r.stdout)


def test_every_exported_function_is_in_libsockit_3():
    with open(os.path.join(ROOT, "man", "libsockit.3.scd")) as f:
        page = f.read().replace("\\_", "_")
    missing = sorted(s for s in dynamic_symbols(SO) if f"*{s}*" not in page)
    assert not missing, f"libsockit(3) does not name: {missing}"
