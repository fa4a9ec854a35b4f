"""make install / install-strip / uninstall: DESTDIR and PREFIX honoured,
files in their FHS places, nothing stripped by install, everything
removed by uninstall."""
import os

from conftest import run
from pkg_util import files_under, install, make, version


def expected_files(prefix, etc):
    p = prefix.lstrip("/")
    v = version()
    return {
        f"{p}/bin/sockit",
        f"{p}/lib/libsockit.a", f"{p}/lib/libsockit.so", f"{p}/lib/libsockit.so.0",
        f"{p}/lib/libsockit.so.{v}", f"{p}/lib/pkgconfig/sockit.pc",
        f"{p}/include/sockit/endpoint.h", f"{p}/include/sockit/net.h",
        f"{p}/share/doc/sockit/README.md", f"{p}/share/doc/sockit/examples/sockit.conf",
        f"{etc.lstrip('/')}/sockit/sockit.conf",
    }


def has_symtab(path):
    return b".symtab" in run(["readelf", "-S", path]).stdout


def test_install_usr_puts_config_in_etc(tmp_path):
    install(tmp_path, prefix="/usr")
    files = files_under(tmp_path)
    missing = expected_files("/usr", "/etc") - files
    assert not missing, missing
    assert has_symtab(tmp_path / "usr/bin/sockit"), "make install must not strip"
    pc = (tmp_path / "usr/lib/pkgconfig/sockit.pc").read_text()
    assert "prefix=/usr\n" in pc and f"Version: {version()}\n" in pc


def test_install_prefix_then_uninstall_leaves_nothing(tmp_path):
    install(tmp_path, prefix="/opt/sk")
    files = files_under(tmp_path)
    missing = expected_files("/opt/sk", "/opt/sk/etc") - files
    assert not missing, missing
    assert all(f.startswith("opt/sk/") for f in files), files
    r = run([str(tmp_path / "opt/sk/bin/sockit"), "--help"])
    assert r.returncode == 0 and b"usage: sockit" in r.stdout
    r = make("uninstall", DESTDIR=str(tmp_path), PREFIX="/opt/sk")
    assert r.returncode == 0, r.stderr
    assert files_under(tmp_path) == set()


def test_install_strip_strips(tmp_path):
    install(tmp_path, prefix="/usr", target="install-strip")
    assert not has_symtab(tmp_path / "usr/bin/sockit")
    assert not has_symtab(tmp_path / f"usr/lib/libsockit.so.{version()}")
    r = run([str(tmp_path / "usr/bin/sockit"), "--help"])
    assert r.returncode == 0
