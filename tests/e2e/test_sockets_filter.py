"""`sockit sockets` against ss, the oracle, on sockets built for the purpose.

Each check runs tests/e2e/ssfilter_ns.py inside a private network namespace
(`unshare -n`): it opens listeners, established pairs over IPv4 and IPv6, a
TIME-WAIT, UDP and UNIX sockets, then runs ss and sockit with the same
arguments.  For every filter expression in tests/data/ssfilter/*.txt the
two must list the same sockets, field for field (spacing aside), and so
must sockit's user-space path (--no-kernel-filter) and a replay of one
--record-dump of the set — which also proves the kernel's audit accepted
every bytecode sockit built (a refused one fails the dump, exit 1).  -K, -E, -o/-m/-i and
expression errors are checked here too.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, SOCKIT


def sockit(*args):
    return subprocess.run([SOCKIT, *args], capture_output=True, text=True, timeout=30)

HERE = os.path.dirname(os.path.abspath(__file__))
NS = os.path.join(HERE, "ssfilter_ns.py")
DATA = os.path.join(ROOT, "tests", "data", "ssfilter")



def in_namespace(*args, timeout=120):
    if not shutil.which("unshare") or not shutil.which("ss"):
        pytest.skip("needs unshare and ss")
    r = subprocess.run(["unshare", "-n", "python3", NS, *args], capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0 and "unshare failed" in r.stderr:
        pytest.skip("cannot create a network namespace here")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("name,flags", [("tcp", "-tna"), ("udp", "-una"),
                                        ("unix", "-xa"), ("all", "-an"),
                                        ("resolve", "-tar")])
def test_expressions_select_what_ss_selects(name, flags):
    rows = in_namespace("compare", SOCKIT, flags, os.path.join(DATA, name + ".txt"))
    assert len(rows) >= 4
    bad = []
    for row in rows:
        ss, sk, user, dump = row["ss"], row["sockit"], row["user"], row["dump"]
        assert ss["rc"] == 0, (row["expr"], ss["err"])
        if sk["rc"] != 0 or sk["lines"] != ss["lines"]:
            bad.append((row["expr"], "ss", ss["lines"], "sockit", sk["lines"], sk["err"]))
        if user["lines"] != sk["lines"]:
            bad.append((row["expr"], "bytecode", sk["lines"], "user space", user["lines"]))
        if dump["rc"] != 0 or dump["lines"] != ss["lines"]:
            bad.append((row["expr"], "ss", ss["lines"], "replayed dump", dump["lines"],
                        dump["err"]))
    assert not bad, "\n".join(map(str, bad))


def test_raw_packet_netlink_list_what_ss_lists():
    """-w, -0, --netlink and -A's names for them, against ss on a raw ICMP
    socket per family, packet sockets (one bound to lo) and netlink sockets
    (one connected); with -p, -m, -O and expressions too."""
    rows = in_namespace("kinds", SOCKIT)
    bad = []
    for row in rows:
        if "order" in row:
            o = row["order"]
            assert len(o["ss"]) >= 18 and o["sockit"] == o["ss"]
            continue
        if "json" in row:
            assert row["rc"] == 0, row["err"]
            doc = json.loads(row["out"])
            assert doc, row["json"]
            fams = {o["family"] for o in doc}
            if row["json"] == "-0an":
                assert fams == {"packet"} and {o["netid"] for o in doc} == {"p_raw", "p_dgr"}
                assert {o["protocol"] for o in doc} >= {3, 0x0800, 0x86dd}
                assert any(o["ifindex"] == 1 and o["local"] == "[2048]:lo" for o in doc)
            elif row["json"] == "-wan":
                assert fams == {"inet", "inet6"}
                assert {o["local_port"] for o in doc} == {1, 58}  # the IP protocols
            else:
                assert fams == {"netlink"}
                assert any(o["connected"] and o["peer"] == "0:0" for o in doc)
                assert any(o["protocol"] == 0 and o["portid"] == 0 for o in doc)
            continue
        ss, sk = row["ss"], row["sockit"]
        assert ss["rc"] == 0, (row["flags"], ss["err"])
        if sk["rc"] != 0 or sk["lines"] != ss["lines"]:
            bad.append((row["flags"], "ss", ss["lines"], "sockit", sk["lines"], sk["err"]))
    assert not bad, "\n".join(map(str, bad))
    lines = {row["flags"]: row["ss"]["lines"] for row in rows if "flags" in row}
    assert len(lines["-wan"]) == 2 and len(lines["-0an"]) == 4
    assert len(lines["-0an autobound"]) == 1 and len(lines["--netlink -an autobound"]) >= 1
    assert len(lines["-A netlink -an"]) >= 3 and lines["-an sport = :1"]


def test_query_names_and_errors():
    r = sockit("sockets", "-A", "tcp,raw,packet_dgram,netlink,unix_seqpacket", "-Han")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert {l.split()[0] for l in r.stdout.splitlines()} <= {"tcp", "raw", "p_dgr", "nl",
                                                           "u_seq"}
    r = sockit("sockets", "-A", "raw,bogus")
    assert r.returncode == 2 and "'bogus'" in r.stderr and "packet_raw" in r.stderr


def test_expression_set_is_large_and_selective():
    exprs = []
    for f in os.listdir(DATA):
        exprs += [l for l in open(os.path.join(DATA, f)) if l.strip() and l[0] != "#"]
    assert len(exprs) >= 30
    text = " ".join(exprs)
    for form in ("( ", "not ", "! ", " or ", " and ", "state ", "exclude ", "sport",
                 "dport", "src", "dst", ">=", "<=", " lt ", " gt ", "[::1]", "/8",
                 "autobound", "dev", ":ssh"):
        assert form in text, form


def test_kill_closes_exactly_the_matching_connection():
    r = in_namespace("kill", SOCKIT)
    assert r["rc"] == 0, r["stderr"]
    assert r["stdout"] and all(":22" in l for l in r["stdout"]), r["stdout"]
    assert len(r["stdout"]) == 1
    assert "killed 1 of 1 matching sockets" in r["stderr"]
    assert r["peer"] == "reset"
    assert r["owner"] != "alive"
    assert r["other"] == "ping"
    # As ss -K: a TIME-WAIT entry is destroyed (and listed), UNIX sockets
    # are listed untouched.
    p = r["parity"]
    for tool in ("ss", "sockit"):
        row = p[tool]
        assert all(v["rc"] == 0 for v in row.values()), row
        assert len(row["tw_before"]["lines"]) == 1, row
        assert row["tw_kill"]["lines"] == row["tw_before"]["lines"], row
        assert row["tw_after"]["lines"] == [], row
        assert row["unix_kill"]["lines"] == row["unix_after"]["lines"], row
        assert any("@ssfilter-kill" in l for l in row["unix_after"]["lines"]), row
    assert p["sockit"]["tw_kill"]["err"] == "sockit sockets: killed 1 of 1 matching sockets"
    assert p["sockit"]["unix_kill"]["lines"] == p["ss"]["unix_kill"]["lines"]


def test_events_report_a_destroyed_socket():
    r = in_namespace("events", SOCKIT)
    assert "waiting for socket destruction events" in r["ready"]
    assert r["rc"] == 0, r["stderr"]
    seen = {(e["netid"], e["local_port"]) for e in r["events"]}
    assert ("tcp", r["events"][0]["local_port"]) in seen
    assert {n for n, _ in seen} == {"tcp", "udp"}, r["events"]
    assert ("udp", 6060) in seen


def test_timers_memory_and_tcp_info():
    r = in_namespace("details", SOCKIT)
    for k in ("ss", "text", "oneline", "json"):
        assert r[k]["rc"] == 0, r[k]["err"]
    ss, text = r["ss"]["out"], r["text"]["out"]
    # Both print the same kinds of fields, skmem and info on a second line.
    for field in ("timer:(keepalive,", "skmem:(r", "rtt:", "cwnd:", "mss:",
                  "bytes_sent:1000", "bytes_received:1000", "rcv_space:"):
        assert field in ss and field in text, (field, ss, text)
    assert text.count("\n\t") == ss.count("\n\t") == 2
    assert "\n\t" not in r["oneline"]["out"].rstrip("\n")
    rows = json.loads(r["json"]["out"])
    assert len(rows) == 1
    row = rows[0]
    assert row["timer"]["name"] == "keepalive" and row["timer"]["expires_ms"] > 0
    assert row["skmem"]["rb"] > 0 and row["skmem"]["tb"] > 0
    assert row["info"]["rtt_ms"] > 0 and row["info"]["cwnd"] > 0
    assert row["info"]["mss"] > 0 and row["info"]["bytes_acked"] >= 1000


@pytest.mark.parametrize("expr,token,col", [
    (["dport", "=", ":nosuchservice"], ":nosuchservice", 9),
    (["sport", ">", "70000"], "70000", 9),
    (["(", "dport", "=", "22"], "at the end", 13),
    (["dport", "=", "22", ")"], ")", 12),
    (["src", "300.1.1.1"], "300.1.1.1", 5),
    (["state", "bogus"], "bogus", 7),
    (["frobnicate"], "frobnicate", 1),
    (["dport", "=", "and"], "and", 9),
    (["src", "!=", "127.0.0.1"], "!=", 5),
])
def test_malformed_expression_names_the_token(expr, token, col):
    r = sockit("sockets", "-tn", *expr)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert token in r.stderr and f"column {col}" in r.stderr, r.stderr


def test_filter_file(tmp_path):
    f = tmp_path / "filter"
    f.write_text("# a comment\n( sport = :22\n  or dport = :22 )\n")
    a = sockit("sockets", "-tan", "--json", "-F", str(f))
    b = sockit("sockets", "-tan", "--json", "(", "sport", "=", ":22", "or", "dport",
               "=", ":22", ")")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert json.loads(a.stdout) == json.loads(b.stdout)
    r = sockit("sockets", "-F", str(f), "dport", "=", "1")
    assert r.returncode == 2 and "-F" in r.stderr


def test_help_examples_run():
    """The three --help examples, inside a namespace (-K kills nothing there)."""
    r = sockit("sockets", "--help")
    assert r.returncode == 0
    examples = [l.strip() for l in r.stdout.split("examples:\n")[1].split("\n\n")[0]
                .splitlines()]
    assert len(examples) == 3 and all(e.startswith("sockit sockets") for e in examples)
    assert "exit status" in r.stdout
    for e in examples:
        cmd = SOCKIT + e[len("sockit"):]
        p = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up; " + cmd],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (e, p.stderr)
        if "-K" in e:
            assert "killed 0 of 0 matching sockets" in p.stderr
