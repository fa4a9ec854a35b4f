"""`sockit sockets -e`, `-i` and `-s` print what ss prints, field for field.

tests/e2e/ssfields_ns.py builds a known set of sockets inside a private
network namespace (`unshare -n`) and runs ss and sockit with the same flags
there.  Each socket's line is split into its tokens after the address
columns; the two tools must print the same tokens in the same order.  Only
values that move between the two runs on a live socket are masked: the
timers' remaining time and -i's lastsnd/lastrcv/lastack (milliseconds
since), and in -s the TCP line's allocated and closed counts (the kernel
counts allocated TCP sockets for the whole host, not per namespace).
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import SOCKIT

HERE = os.path.dirname(os.path.abspath(__file__))
NS = os.path.join(HERE, "ssfields_ns.py")
NETIDS = {"tcp", "udp", "raw", "u_str", "u_dgr", "u_seq", "p_raw", "p_dgr", "nl"}
MOVING = re.compile(r"^(lastsnd|lastrcv|lastack):\d+$")


def in_namespace(*flag_sets):
    if not shutil.which("unshare") or not shutil.which("ss"):
        pytest.skip("needs unshare and ss")
    r = subprocess.run(["unshare", "-n", "python3", NS, SOCKIT, *flag_sets],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "unshare failed" in r.stderr:
        pytest.skip("cannot create a network namespace here")
    assert r.returncode == 0, r.stderr
    runs = json.loads(r.stdout)
    for run in runs:
        for tool in ("ss", "sockit"):
            assert run[tool]["rc"] == 0, (run["flags"], tool, run[tool]["err"])
    return runs


def mask(tok):
    if tok.startswith("timer:("):
        return re.sub(r"^timer:\((\w+),[^,]*,", r"timer:(\1,*,", tok)
    return MOVING.sub(r"\1:*", tok)


def records(text):
    """{(netid, state, local, peer): [tokens after the peer]} of a -H listing;
    -m/-i's tab-indented second line belongs to the line before it."""
    joined = []
    for line in text.splitlines():
        if line.startswith("\t") and joined:
            joined[-1] += " " + line
        elif line.strip():
            joined.append(line)
    out = {}
    for line in joined:
        f = line.split()
        netid = f.pop(0) if f[0] in NETIDS else ""
        state = f[0]
        # UNIX addresses are two words each: NAME INODE.
        width = 2 if netid.startswith("u_") else 1
        local = " ".join(f[3:3 + width])
        peer = " ".join(f[3 + width:3 + 2 * width])
        key = (netid, state, local, peer)
        # netlink_diag lists a socket in multicast groups twice (from the
        # socket table and from the group's list): ss and sockit both.
        while key in out:
            key = key + ("again",)
        out[key] = [mask(t) for t in f[3 + 2 * width:]]
    return out


def assert_same_fields(run, least):
    ss, ours = records(run["ss"]["out"]), records(run["sockit"]["out"])
    assert len(ss) >= least, (run["flags"], run["ss"]["out"])
    assert ours.keys() == ss.keys(), (run["flags"], run["ss"]["out"], run["sockit"]["out"])
    bad = [(k, ss[k], ours[k]) for k in ss if ss[k] != ours[k]]
    assert not bad, (run["flags"], "\n".join(map(str, bad)))
    return ss


def test_extended_prints_what_ss_prints():
    tcp, udp, unix, timers = in_namespace("-Htane", "-Huane", "-Hxane", "-Htaneo")
    rows = assert_same_fields(tcp, 9)
    text = " ".join(" ".join(v) for v in rows.values())
    # The set has every conditional field ss -e prints for TCP.
    for field in ("uid:65534", "fwmark:0x2a", "v6only:1", "v6only:0", "cgroup:",
                  "<->", "<--", "-->", "timer:(timewait,"):
        assert field in text, (field, tcp["ss"]["out"])
    # Root's uid is left out, as ss does; a TIME-WAIT entry has no inode.
    assert "uid:0" not in text
    assert_same_fields(udp, 2)
    rows = assert_same_fields(unix, 4)
    listener = [v for k, v in rows.items() if k[1] == "LISTEN"]
    assert len(listener) == 1 and "peers:" in listener[0] and "dev:" in " ".join(listener[0])
    assert_same_fields(timers, 9)


def test_extended_packet_and_netlink_print_what_ss_prints():
    packet, packet_oneline, netlink = in_namespace("-H0ae", "-H0aeO",
                                                   "-Hnae -A netlink|-Hae --netlink")
    rows = assert_same_fields(packet, 1)
    assert any("ver:0" in v for v in rows.values())
    assert_same_fields(packet_oneline, 1)
    # Each tool's own sock_diag socket differs between the runs: compare
    # the sockets both saw, among them the test's own.
    ss, ours = records(netlink["ss"]["out"]), records(netlink["sockit"]["out"])
    both = ss.keys() & ours.keys()
    assert len(both) >= 3 and all(ss[k] == ours[k] for k in both), (ss, ours)
    assert any("groups=0x00000011" in ss[k] for k in both), ss


def test_raw_extended_memory_info_print_what_ss_prints():
    for run in in_namespace("-Hwane", "-Hwanmi", "-HwanmiO"):
        assert_same_fields(run, 1)
        assert run["sockit"]["out"].count("\n") == run["ss"]["out"].count("\n"), run


def test_extended_json_values_match_text():
    tcp, = in_namespace("-Htane|-tane --json")
    rows = json.loads(tcp["sockit"]["out"])
    ss = records(tcp["ss"]["out"])
    by_key = {("", r["state"], r["local"], r["peer"]): r for r in rows}
    assert by_key.keys() == ss.keys()
    for key, toks in ss.items():
        row = by_key[key]
        fields = dict(t.split(":", 1) for t in toks if ":" in t and not t.startswith("timer:"))
        assert row["sk"] == fields["sk"] and row["inode"] == int(fields["ino"])
        assert row.get("cgroup") == fields.get("cgroup")
        assert row["fwmark"] == int(fields.get("fwmark", "0"), 16)
        if "v6only" in fields:
            assert row["v6only"] == (fields["v6only"] == "1")
        assert (row["uid"] if "uid" in row else 0) == int(fields.get("uid", "0"))
        if row["state"] != "TIME-WAIT":
            assert row["shutdown"] in toks


def test_info_prints_what_ss_prints():
    numeric, options, scaled, oneline, extended, memory, udp = in_namespace(
        "-Htani", "-Htanoi", "-Htai", "-HtaniO", "-Htanei", "-Htanmi", "-Huani")
    rows = assert_same_fields(numeric, 9)
    listeners = [v for k, v in rows.items() if k[1] == "LISTEN"]
    # A listener has almost nothing to show: no zero fields (mss:0 ...).
    assert all(not any(t.endswith(":0") for t in v) for v in listeners), listeners
    assert not any("ts" in v for v in rows.values())   # ts/sack are -o's
    rows = assert_same_fields(options, 9)
    assert any("ts" in v and "sack" in v for v in rows.values())
    rows = assert_same_fields(scaled, 9)
    assert any(re.fullmatch(r"[\d.]+[kMGT]bps", t) for v in rows.values() for t in v)
    assert_same_fields(oneline, 9)
    assert "\n\t" not in oneline["sockit"]["out"]
    assert_same_fields(extended, 9)
    rows = assert_same_fields(memory, 9)
    assert all(any(t.startswith("skmem:(") for t in v) for k, v in rows.items()
               if k[1] != "TIME-WAIT")
    # UDP has no TCP internals: no second line, in either.
    assert_same_fields(udp, 2)
    assert "\t" not in udp["sockit"]["out"]


def same_total(run):
    """ss's "Total:" (sockets in use) may count a socket freed just before."""
    a, b = (int(run[t]["out"].split()[1]) for t in ("ss", "sockit"))
    return abs(a - b) <= 2


def summary_lines(text):
    """ss -s's lines, the TCP line's allocated and closed counts masked."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^Total: \d+$", "Total: *", line)
        line = re.sub(r"^TCP:   \d+ \(estab (\d+), closed \d+,",
                      r"TCP:   * (estab \1, closed *,", line)
        out.append(line)
    return out


def test_summary_prints_what_ss_prints():
    alone, with_all, with_tcp = in_namespace("-s", "-s -a", "-s -tan")
    ss = summary_lines(alone["ss"]["out"])
    assert same_total(alone)
    assert ss[0].startswith("Total: ") and ss[3] == "Transport Total     IP        IPv6"
    assert summary_lines(alone["sockit"]["out"]) == ss
    # -a alone selects no table: still only the summary, in both.
    assert summary_lines(with_all["sockit"]["out"]) == summary_lines(with_all["ss"]["out"])
    assert len(ss) == 10
    # A table selected: the summary, then that table's listing, as ss.
    ss_t, ours_t = with_tcp["ss"]["out"].splitlines(), with_tcp["sockit"]["out"].splitlines()
    assert summary_lines("\n".join(ours_t[:10])) == summary_lines("\n".join(ss_t[:10]))
    listing = lambda lines: sorted(tuple(l.split()[:5]) for l in lines[11:])
    assert listing(ours_t) == listing(ss_t) and len(listing(ss_t)) >= 9


def test_summary_json_keeps_the_counts_and_adds_ss_figures():
    r = subprocess.run([SOCKIT, "sockets", "-s", "--json"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"total", "netids", "sockstat"}
    st = doc["sockstat"]
    assert set(st["tcp"]) == {"total", "estab", "closed", "orphaned", "timewait"}
    assert set(st["transport"]) == {"raw", "udp", "tcp", "inet", "frag"}
    for row in st["transport"].values():
        assert row["total"] == row["ip"] + row["ipv6"]
