"""docs/serve-config.md and the config parser agree: every example the
page gives is run.  The config examples (the page's first block and
docs/examples/sockit.conf) are served inside a private network namespace,
since they bind the fixed default ports; every error line of the page's
"Errors" block is reproduced and must come out exactly as written (a
"..." in the doc stands for the rest of the line); the inline examples
(trailing "#" is no comment) are checked on port 0."""
import os
import pathlib
import re
import subprocess
import tempfile

import pytest

from conftest import SOCKIT, run, sockit

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DOC = os.path.join(ROOT, "docs", "serve-config.md")
EXAMPLE = os.path.join(ROOT, "docs", "examples", "sockit.conf")


def can_unshare():
    if os.geteuid() != 0:
        return False
    try:
        return run(["unshare", "-n", "true"], timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_netns = pytest.mark.skipif(not can_unshare(), reason="needs root and unshare -n")


def blocks():
    """The page's fenced code blocks, in order, as text."""
    text = open(DOC).read()
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)


def config_example():
    return blocks()[0]


def error_lines():
    (errs,) = [b for b in blocks() if b.startswith("sockit serve:")]
    return [l for l in errs.splitlines() if l]


def expected_endpoints(conf):
    """(endpoint, service) pairs a config should announce: its listen lines,
    or the defaults (DESIGN.md) for a block without one."""
    defaults = {
        "echo": ["tcp://127.0.0.1:65432", "udp://127.0.0.1:65432"],
        "greet": ["tcp://127.0.0.1:12345"], "caesar": ["tcp://127.0.0.1:5555"],
        "discard": ["tcp://127.0.0.1:7009", "udp://127.0.0.1:7009"],
        "daytime": ["tcp://127.0.0.1:7013", "udp://127.0.0.1:7013"],
        "qotd": ["tcp://127.0.0.1:7017", "udp://127.0.0.1:7017"],
        "chargen": ["tcp://127.0.0.1:7019"],
        "time": ["tcp://127.0.0.1:7037", "udp://127.0.0.1:7037"],
    }
    want, svc, listens = set(), None, None

    def close_block():
        if svc:
            for ep in listens if listens is not None else defaults[svc]:
                want.add((ep, svc))

    for line in conf.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "service":
            close_block()
            svc, listens = words[1], None
        elif words[0] == "listen":
            listens = (listens or []) + words[1:]
    close_block()
    return want


def serve_in_netns(conf_text):
    """Run `sockit serve -c` on conf_text in a namespace of its own until
    it is ready (or exits); returns ("running" or "exit N", announced set,
    expected set, stderr).  The server is stopped by PID."""
    with tempfile.TemporaryDirectory(prefix="sockit-confdoc-") as d:
        return _serve_in_netns(pathlib.Path(d), conf_text)


def _serve_in_netns(tmp_path, conf_text):
    conf = tmp_path / "doc.conf"
    conf.write_text(conf_text)
    want = expected_endpoints(conf_text)
    # Made before the server starts: the loop below reads "out" at once,
    # maybe before the background job has opened it.
    (tmp_path / "out").write_text("")
    (tmp_path / "err").write_text("")
    script = (
        "ip link set lo up\n"
        f'"{SOCKIT}" serve -c "{conf}" > "{tmp_path}/out" 2> "{tmp_path}/err" &\n'
        "pid=$!\n"
        "i=0\n"
        f'while [ $i -lt 3000 ] && kill -0 $pid 2>/dev/null && '
        f'[ "$(grep -c ^listening "{tmp_path}/out")" -lt {len(want)} ]; do\n'
        "  sleep 0.01; i=$((i+1))\n"
        "done\n"
        "if kill -0 $pid 2>/dev/null; then kill $pid; wait $pid; echo running; "
        "else wait $pid; echo exit $?; fi\n")
    r = run(["unshare", "-n", "sh", "-c", script], timeout=60)
    got = set()
    for line in (tmp_path / "out").read_text().splitlines():
        m = re.match(r"^listening (\S+) (\S+)$", line)
        if m:
            got.add((m.group(1), m.group(2)))
    return r.stdout.decode().strip(), got, want, (tmp_path / "err").read_text()


@needs_netns
@pytest.mark.parametrize("source", ["doc", "examples/sockit.conf"])
def test_config_examples_serve_what_they_say(source):
    text = config_example() if source == "doc" else open(EXAMPLE).read()
    state, got, want, err = serve_in_netns(text)
    assert state == "running", (state, err)
    # unix:@NAME is announced as written; the rest with the real port.
    assert got == want, (got ^ want, err)


def test_config_examples_pass_the_check(tmp_path):
    """Without a namespace: the parser accepts both examples (a bad line
    would exit 2 before any bind)."""
    for text in (config_example(), open(EXAMPLE).read()):
        conf = tmp_path / "x.conf"
        # Every endpoint on port 0 so nothing fixed is bound here; the
        # text is otherwise the doc's.
        conf.write_text(re.sub(r":\d+\b", ":0", text).replace("unix:@sockit-greet",
                                                           f"unix:{tmp_path}/g.sock"))
        p = subprocess.Popen([SOCKIT, "serve", "-c", str(conf)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline().decode()
        finally:
            p.terminate()
            _, err = p.communicate(timeout=15)
        assert line.startswith("listening "), err.decode()


def pad(n, first=(), last=""):
    """A file whose line n is last, after the lines first and comments."""
    lines = list(first)
    lines += ["# padding"] * (n - 1 - len(lines))
    return "\n".join(lines + [last]) + "\n"


# How to make each error the page lists, from its line number.
MAKERS = [
    (r"unknown setting '(\w+)'", lambda n, m: pad(n, ["service greet"], f"{m[1]} x")),
    (r"unknown service '(\w+)'", lambda n, m: pad(n, [], f"service {m[1]}")),
    (r"endpoint '([^']+)'", lambda n, m: pad(n, ["service echo"], f"listen {m[1]}")),
    (r"^(max-conn|per-ip|threads) '([^']+)'",
     lambda n, m: pad(n, [], f"{m[1]} {m[2]}") + "service echo\n"),
    (r"'([\w-]+)' is a global setting", lambda n, m: pad(n, ["service echo"], f"{m[1]} 3")),
    (r"'(\w+)' outside a service block",
     lambda n, m: pad(n, [], f"{m[1]} tcp://127.0.0.1:0") + "service echo\n"),
    (r"line longer than (\d+) bytes",
     lambda n, m: pad(n, ["service greet"], "banner " + "x" * (int(m[1]) + 1))),
    (r"chargen: (udp://\S+): chargen over UDP",
     lambda n, m: pad(n, [], "service chargen") + f"listen {m[1]}\n"),
    (r"no service blocks", lambda n, m: pad(n, ["threads 2"], "# the end")),
    (r"user '(\w+)': no such user",
     lambda n, m: pad(n, [], f"user {m[1]}") + "service echo\n"),
]


@pytest.mark.parametrize("doc_line", error_lines())
def test_every_documented_error_is_what_the_parser_says(tmp_path, doc_line):
    m = re.match(r"^sockit serve: sockit\.conf:(\d+): (.*)$", doc_line)
    assert m, f"error line not in the documented form: {doc_line!r}"
    n, msg = int(m[1]), m[2]
    makers = [(re.search(pat, msg), make) for pat, make in MAKERS]
    made = [make(n, mm) for mm, make in makers if mm]
    assert made, f"no way to make this documented error (add one): {doc_line!r}"
    conf = tmp_path / "sockit.conf"
    conf.write_text(made[0])
    r = run([SOCKIT, "serve", "-c", "sockit.conf"], cwd=tmp_path, timeout=20)
    assert r.returncode == 2 and r.stdout == b"", r
    got = r.stderr.decode()
    if msg.endswith("..."):
        want = doc_line[:-3]
        assert got.startswith(want) and got.count("\n") == 1, (got, doc_line)
    else:
        assert got == doc_line + "\n"


def test_trailing_hash_is_part_of_the_value(server, tmp_path):
    """The page: `banner hi # there` sets the banner to `hi # there`."""
    conf = tmp_path / "b.conf"
    conf.write_text("service greet\nlisten tcp://127.0.0.1:0\nbanner hi # there\n")
    srv = server(SOCKIT, "serve", "-c", str(conf))
    r = sockit("greet", srv.endpoint(), "--reply", "x")
    assert r.returncode == 0 and r.stdout.startswith(b"hi # there"), r
