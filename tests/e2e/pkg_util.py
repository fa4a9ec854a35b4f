"""Helpers for the packaging tests: run make targets of this tree (install,
uninstall, deb) into temporary directories, with the build directory the
suite is testing."""
import os
import subprocess

from conftest import BUILD, ROOT, SANITIZED


def make_env():
    """The environment for a nested make: no jobserver or flags inherited
    from a `make check` that may be running this suite."""
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(k, None)
    return env


def make(*targets, timeout=300, **variables):
    """Run `make TARGET... VAR=VALUE...` in the tree against the suite's
    build directory; returns the CompletedProcess (text)."""
    args = ["make", "-s", "-C", ROOT, f"BUILD={BUILD}", *targets]
    if SANITIZED:
        args.append("SAN=1")
    args += [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(args, capture_output=True, text=True,
                          timeout=timeout, env=make_env())


def install(destdir, prefix="/usr", target="install", **variables):
    """`make install` into destdir; asserts it succeeded."""
    r = make(target, DESTDIR=str(destdir), PREFIX=prefix, **variables)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def files_under(root):
    """Every file and symlink below root, as paths relative to it."""
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        return f.read().strip()
