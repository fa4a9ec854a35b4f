"""The build on a machine that lacks something: plain `make` names the
missing Debian packages in one line and says to run `make deps`, before
any compiler runs; sockit links only the libraries it uses.  A missing
package is simulated by pointing its probe (HDR_<package>) at a path
that does not exist."""
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make(*args, cwd=ROOT):
    # A make above us (make check) must not hand its flags and variables down.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    r = subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=env,
                       capture_output=True, timeout=120)
    return r.returncode, (r.stdout + r.stderr).decode()


def assert_one_line_naming(out, pkgs):
    lines = out.splitlines()
    assert len(lines) == 1, out
    m = re.search(r"missing Debian packages: ([^;]+); run 'make deps' as root", lines[0])
    assert m, out
    assert sorted(m.group(1).split()) == sorted(pkgs), out


def test_plain_make_names_a_missing_library_before_compiling(tmp_path):
    build = tmp_path / "b"
    rc, out = make(f"BUILD={build}", "HDR_libmnl-dev=/nonexistent/libmnl/libmnl.h")
    assert rc != 0
    assert_one_line_naming(out, ["libmnl-dev"])
    assert not build.exists()                  # no compiler ran


def test_tests_goal_also_needs_cmocka(tmp_path):
    build = tmp_path / "b"
    rc, out = make(f"BUILD={build}", "all", "tests", "HDR_libcmocka-dev=/nonexistent.h",
                   "HDR_libmnl-dev=/nonexistent/libmnl.h")
    assert rc != 0
    assert_one_line_naming(out, ["libmnl-dev", "libcmocka-dev"])
    assert not build.exists()


def test_a_library_added_to_the_link_is_checked_too(tmp_path):
    """A branch that adds -lssl (or -lcrypt, -lhiredis...) to LDLIBS gets
    its package checked without touching the check."""
    rc, out = make(f"BUILD={tmp_path}/b", "LDLIBS=-lssl -lcrypto -lmnl -lm",
                   "HDR_libssl-dev=/nonexistent/ssl.h")
    assert rc != 0
    assert_one_line_naming(out, ["libssl-dev"])


def test_missing_compiler_is_named(tmp_path):
    rc, out = make(f"BUILD={tmp_path}/b", "CC=/nonexistent/cc")
    assert rc != 0
    assert_one_line_naming(out, ["gcc"])


def test_plain_make_does_not_need_cmocka(tmp_path):
    rc, out = make("-n", f"BUILD={tmp_path}/b", "HDR_libcmocka-dev=/nonexistent.h")
    assert rc == 0, out


def test_goals_that_install_their_packages_are_not_stopped(tmp_path):
    for goal in ("clean", "deps", "check", "demo"):
        rc, out = make("-n", goal, "DEPS_CHECK=yes", f"BUILD={tmp_path}/b",
                       "HDR_libmnl-dev=/nonexistent/libmnl/libmnl.h", "-q")
        # -n -q: print nothing, run nothing; only the parse-time check
        # could fail, and it must not for these goals.
        assert "missing Debian packages" not in out, (goal, out)


def test_sockit_links_liburing(tmp_path):
    """The loop's io_uring backend (lib/loop_uring.c) needs liburing."""
    build = tmp_path / "b"
    rc, out = make("-n", "-B", f"BUILD={build}", f"{build}/sockit")
    assert rc == 0, out
    (link,) = [l for l in out.splitlines() if f"-o {build}/sockit " in l + " "]
    assert "-lmnl" in link and "-luring" in link, link


def test_readme_says_where_make_puts_sockit(tmp_path):
    """README: "`make` puts the command at `build/sockit`" — and it does."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "`make` puts the command at `build/sockit`" in readme
    rc, out = make("-n", "-B", "build/sockit")
    assert rc == 0 and any("-o build/sockit " in l + " " for l in out.splitlines()), out
