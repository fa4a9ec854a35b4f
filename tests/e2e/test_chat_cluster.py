"""sockit serve chat --cluster: three nodes, each in a network namespace
of its own, sharing nicks and rooms through a redis-server in a fourth
namespace (tests/e2e/cluster_util.py).  Raw IRC clients on every node."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from cluster_util import HAVE_REDIS, IS_ROOT, Bed, names, wait_names
from conftest import HELPERS

needs_bed = pytest.mark.skipif(not (HAVE_REDIS and IS_ROOT),
                               reason="needs root (namespaces) and redis-server")


@pytest.fixture
def bed():
    b = Bed()
    try:
        for n in ("a", "b", "c"):
            b.start_node(n, "--no-flood-limit", tcp=(n == "a"))
        yield b
    finally:
        logs = b.close()
        for n, log in logs.items():
            assert "runtime error" not in log and "AddressSanitizer" not in log, log


def joined(bed, node, nick, chan="#test"):
    c = bed.client(node)
    c.register(nick)
    c.send(f"JOIN {chan}")
    c.expect(r" 366 ")
    return c


@needs_bed
def test_rooms_and_commands_cross_nodes(bed):
    a = joined(bed, "a", "alice")
    b = joined(bed, "b", "bob")
    c = joined(bed, "c", "carol")
    for cl in (a, b, c):
        wait_names(cl, "#test", ["alice", "bob", "carol"])
    a.send("PRIVMSG #test :hello from A")
    b.expect(r"^:alice!~u@\S+ PRIVMSG #test :hello from A$")
    c.expect(r"^:alice!~u@\S+ PRIVMSG #test :hello from A$")
    c.send("NOTICE #test :notice from C")
    a.expect(r"^:carol!\S+ NOTICE #test :notice from C$")
    b.expect(r"^:carol!\S+ NOTICE #test :notice from C$")
    a.send("TOPIC #test :cluster topic")
    b.expect(r"^:alice!\S+ TOPIC #test :cluster topic$")
    c.expect(r"^:alice!\S+ TOPIC #test :cluster topic$")
    b.send("WHO #test")
    _, seen = b.expect(r" 315 ")
    who = " ".join(seen)
    assert " alice " in who and " carol " in who, seen
    b.send("WHOIS carol")
    b.expect(r" 311 bob carol ~u \S+ \* :Real Name")
    b.send("PRIVMSG carol :private B to C")
    c.expect(r"^:bob!\S+ PRIVMSG carol :private B to C$")
    # Users sharing no room: the nick's node is looked up in Redis.
    lone = bed.client("c")
    lone.register("lonely")
    a.send("PRIVMSG lonely :found you on C")
    lone.expect(r"^:alice!\S+ PRIVMSG lonely :found you on C$")
    lone.send("PRIVMSG alice :and back to A")
    a.expect(r"^:lonely!\S+ PRIVMSG alice :and back to A$")
    a.send("NICK alicia")
    b.expect(r"^:alice!\S+ NICK :alicia$")
    c.expect(r"^:alice!\S+ NICK :alicia$")
    a.send("KICK #test carol :bye carol")
    c.expect(r"^:alicia!\S+ KICK #test carol :bye carol$")
    b.expect(r"^:alicia!\S+ KICK #test carol :bye carol$")
    assert "carol" not in names(b, "#test")
    b.send("QUIT :leaving")
    a.expect(r"^:bob!\S+ QUIT :Quit: leaving$")
    a.send("LUSERS", "LINKS")
    m, _ = a.expect(r" 251 alicia :There are (\d+) users .* on (\d+) servers")
    a.expect(r" 364 alicia [BC] A :1 ")
    a.expect(r" 365 ")


@needs_bed
def test_two_clients_race_one_nick(bed):
    for i in range(5):
        x, y = bed.client("a"), bed.client("b")
        nick = f"racer{i}"
        for cl in (x, y):
            cl.send("CAP LS 302", f"NICK {nick}", "USER u 0 * :R", "CAP END")
        won = []
        for cl in (x, y):
            m, _ = cl.expect(r" (001|433) ")
            won.append(m.group(1) == "001")
        assert won.count(True) == 1, won
        x.close()
        y.close()


@needs_bed
def test_killed_node_users_quit_within_ttl(bed):
    a = joined(bed, "a", "alice")
    b = joined(bed, "b", "bob")
    wait_names(a, "#test", ["bob"])
    t0 = time.monotonic()
    bed.nodes["b"].stop(sig=9)
    a.expect(r"^:bob!\S+ QUIT :node lost$", timeout=15)
    assert time.monotonic() - t0 < 10
    assert "bob" not in names(a, "#test")
    # bob's nick is free again for a live node.
    n = bed.client("c")
    n.register("bob")
    assert any(" 001 bob " in ln for ln in n.lines), n.lines


@needs_bed
def test_stopped_node_users_quit_at_once(bed):
    a = joined(bed, "a", "alice")
    b = joined(bed, "b", "bob")
    wait_names(a, "#test", ["bob"])
    bed.nodes["b"].stop()                      # SIGTERM: a clean stop
    m, _ = a.expect(r"^:bob!\S+ QUIT :(.*)$", timeout=15)
    assert m.group(1) != "node lost", m.group(0)   # told, not timed out
    assert bed.redis_cli("--raw", "EXISTS", "sockit:nick:bob").strip() == "0"


@needs_bed
def test_redis_restart_local_rooms_keep_working_and_heal(bed):
    a = joined(bed, "a", "alice")
    b = joined(bed, "b", "bob")
    wait_names(a, "#test", ["bob"])
    bed.stop_redis()
    a.expect(r"NOTICE alice :\*\*\* cluster link lost", timeout=15)
    # Local users go on meanwhile: a new user on A registers and talks.
    d = joined(bed, "a", "dave")
    a.expect(r"^:dave!\S+ JOIN :#test$")
    a.send("PRIVMSG #test :during the split")
    d.expect(r"PRIVMSG #test :during the split$")
    bed.start_redis()
    a.expect(r"NOTICE alice :\*\*\* cluster link restored", timeout=20)
    # Healed: lines cross again, and every nick is registered once.
    deadline = time.monotonic() + 20
    i = 0
    while True:
        i += 1
        a.send(f"PRIVMSG #test :after {i}")
        try:
            b.expect(rf"PRIVMSG #test :after {i}$", timeout=0.5)
            break
        except AssertionError:
            assert time.monotonic() < deadline, "no line crossed after the restart"
    wait_names(b, "#test", ["alice", "dave"])
    keys = sorted(bed.redis_cli("--raw", "KEYS", "sockit:nick:*").split())
    assert keys == ["sockit:nick:alice", "sockit:nick:bob", "sockit:nick:dave"], keys
    e = bed.client("c")
    e.send("NICK dave", "USER u 0 * :R")
    e.expect(r" 433 \* dave ")


@needs_bed
def test_redis_stalled_commands_time_out_loop_never_stalls(bed):
    import signal
    a = joined(bed, "a", "alice")
    b = joined(bed, "b", "bob")
    wait_names(a, "#test", ["bob"])
    d = joined(bed, "a", "dave")
    bed.redis.send_signal(signal.SIGSTOP)       # accepts, never answers
    try:
        # The node keeps serving while its Redis commands hang...
        a.send("PRIVMSG #test :while redis hangs")
        d.expect(r"PRIVMSG #test :while redis hangs$")
        # ...and the watchdog ends the link (the next heartbeat times out).
        a.expect(r"NOTICE alice :\*\*\* cluster link lost \(.*timed out\)", timeout=20)
        d.send("PRIVMSG alice :still here")
        a.expect(r"PRIVMSG alice :still here$")
    finally:
        bed.redis.send_signal(signal.SIGCONT)
    a.expect(r"NOTICE alice :\*\*\* cluster link restored", timeout=20)
    log = bed.nodes["a"].log()
    assert "timed out" in log, log


@needs_bed
def test_many_clients_in_one_room_every_line_in_order(bed):
    per, senders, lines = 100, 10, 10
    clients = []
    for i in range(per * 3):
        c = bed.client("abc"[i % 3])
        c.send(f"NICK m{i}", "USER u 0 * :R", "JOIN #big")
        clients.append(c)
    for c in clients:
        c.expect(r" 366 ", timeout=30)
    wait_names(clients[0], "#big", [f"m{i}" for i in range(per * 3)], timeout=30)
    wait_names(clients[1], "#big", [f"m{i}" for i in range(per * 3)], timeout=30)
    wait_names(clients[2], "#big", [f"m{i}" for i in range(per * 3)], timeout=30)
    for k in range(lines):
        for s in range(senders):
            clients[s].send(f"PRIVMSG #big :{s} {k}")
    want = senders * lines
    rx = re.compile(r"^:m(\d+)!\S+ PRIVMSG #big :(\d+) (\d+)$")
    for i, c in enumerate(clients):
        nxt = {}
        got = 0
        expected = want - (lines if i < senders else 0)
        deadline = time.monotonic() + 60
        while got < expected:
            ln = c.line(max(deadline - time.monotonic(), 0.01))
            assert ln is not None, f"client {i}: {got} of {expected}"
            m = rx.match(ln)
            if not m:
                continue
            s, k = int(m.group(2)), int(m.group(3))
            assert int(m.group(1)) == s
            assert k == nxt.get(s, 0), f"client {i}: sender {s} line {k}"
            nxt[s] = k + 1
            got += 1
    for c in clients:
        c.close()


@needs_bed
def test_thousand_clients_over_three_nodes_every_line_in_order(bed):
    """1,000 clients spread over the three nodes in one room, 10 senders:
    tests/helpers/chat_load checks that every member gets every line of
    every sender, in order per sender, and counts what is missing."""
    eps = ",".join(f"unix:{os.path.join(bed.dir, n)}.sock" for n in "abc")
    r = subprocess.run([os.path.join(HELPERS, "chat_load"), eps, "1000", "10", "2", "50"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, (r.stdout, r.stderr)
    doc = json.loads(r.stdout.splitlines()[-1])
    assert doc["clients"] == 1000 and doc["deliveries"] > 0
    assert (doc["lost"], doc["order_errors"]) == (0, 0), doc


@pytest.mark.skipif(not shutil.which("irssi") or not shutil.which("tmux"),
                    reason="irssi and tmux are installed by scripts/install-deps.sh check")
@needs_bed
def test_irssi_on_node_a_with_raw_clients_on_b_and_c(bed, tmp_path):
    from test_chat import Tmux
    port = bed.nodes["a"].hostport()[1]
    home = tmp_path / "irssi"
    home.mkdir()
    (home / "config").write_text(
        'settings = { core = { real_name = "Irssi Tester"; user_name = "it"; '
        'nick = "irssitest"; }; "fe-common/core" = { autocreate_own_query = "no"; '
        'autocreate_query_level = "NONE"; }; };\n')
    b = joined(bed, "b", "bob")
    c = joined(bed, "c", "carol")
    # irssi runs inside node A's namespace (its tmux server forks there).
    t = Tmux(f"cluster-{os.getpid()}",
             f"ip netns exec {bed.ns['a']} irssi --home={home} -n irssitest")
    try:
        t.wait(r"Irssi")
        t.keys(f"/connect 127.0.0.1 {port}")
        t.wait(r"MOTD File is missing")
        t.keys("/join #test")
        b.expect(r"^:irssitest!~it@\S+ JOIN :#test$", timeout=30)
        c.expect(r"^:irssitest!~it@\S+ JOIN :#test$", timeout=30)
        t.wait(r"Join to #test was synced")
        wait_names(b, "#test", ["irssitest", "bob", "carol"])
        b.send("PRIVMSG #test :hello irssi from B")
        t.wait(r"bob> hello irssi from B")
        t.keys("hi from irssi on A")
        c.expect(r"^:irssitest!\S+ PRIVMSG #test :hi from irssi on A$", timeout=30)
        b.expect(r"^:irssitest!\S+ PRIVMSG #test :hi from irssi on A$", timeout=30)
        # bob made the room (its op, as Redis says); carol on C is not
        # until bob ops her.
        b.send("MODE #test +o carol")
        c.expect(r"^:bob!\S+ MODE #test \+o carol$", timeout=30)
        c.send("TOPIC #test :topic from C")
        t.wait(r"changed the topic of #test to: topic from C")
        t.keys("/nick irssi2")
        b.expect(r"^:irssitest!\S+ NICK :irssi2$", timeout=30)
        t.keys("/quit leaving now")
        c.expect(r"^:irssi2!\S+ QUIT :Quit: leaving now$", timeout=30)
    finally:
        t.kill()


@pytest.mark.parametrize("args,msg", [
    (["--cluster", "http://x", "chat"], "expected redis://HOST:PORT[/DB] or redis+unix:PATH"),
    (["--cluster", "redis://127.0.0.1", "chat"], "expected redis://HOST:PORT[/DB]"),
    (["--cluster", "redis://127.0.0.1:0", "chat"], "expected redis://HOST:PORT[/DB]"),
    (["--cluster-ttl", "10ms", "chat"], "out of range 300ms-1h"),
    (["--node-name", "a b", "chat"], "node-name 'a b': 1-60 characters"),
    (["--cluster", "redis://127.0.0.1:6379", "echo"], "echo cannot run in a cluster"),
])
def test_cluster_usage_errors_exit_2(args, msg):
    from conftest import sockit
    r = sockit("serve", *args)
    assert r.returncode == 2, r
    assert msg in r.stderr.decode(), r.stderr
