"""sockit serve chat --cluster: the state that is global lives in Redis
(rooms: members, topic, modes, masks; users), on the namespace bed of
tests/e2e/cluster_util.py (each node in a namespace of its own, a real
redis-server in a fourth).  Raw IRC clients; every wait bounded."""
import signal
import time

import pytest

from cluster_util import HAVE_REDIS, IS_ROOT, Bed, wait_names

needs_bed = pytest.mark.skipif(not (HAVE_REDIS and IS_ROOT),
                               reason="needs root (namespaces) and redis-server")


@pytest.fixture
def bed():
    b = Bed()
    try:
        for n in ("a", "b", "c"):
            b.start_node(n, "--no-flood-limit")
        yield b
    finally:
        logs = b.close()
        for log in logs.values():
            assert "runtime error" not in log and "AddressSanitizer" not in log, log


def user(bed, node, nick):
    c = bed.client(node)
    c.register(nick)
    return c


def join(c, chan, key=None):
    """JOIN; the lines up to the end of NAMES (or the refusal numeric)."""
    c.send(f"JOIN {chan}" + (f" {key}" if key else ""))
    m, seen = c.expect(r" (366|471|473|474|475) ")
    return m.group(1), seen + [c.lines[-1]]


def members(bed, chan):
    """The nicks Redis holds as members of chan (fields of its hash)."""
    vals = bed.redis_cli("--raw", "HVALS", f"sockit:members:{chan}").split("\n")
    return sorted(v.split("\t")[2] for v in vals if v.count("\t") >= 5)


def poll(fn, want, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got == want:
            return got
        assert time.monotonic() < deadline, f"{got!r}, want {want!r}"
        time.sleep(0.05)


@needs_bed
def test_join_on_a_node_without_members_sees_redis_state(bed):
    a = user(bed, "a", "alice")
    join(a, "#s")
    a.send("TOPIC #s :set on A", "MODE #s +kl sesame 40")
    a.expect(r"TOPIC #s :set on A$")
    a.expect(r" MODE #s \+kl sesame 40$")
    b = user(bed, "b", "bob")
    # The key is checked by Redis, not by B's (absent) copy of the room.
    code, _ = join(b, "#s")
    assert code == "475"
    code, seen = join(b, "#s", "sesame")
    assert code == "366", seen
    text = "\n".join(seen)
    # Topic and NAMES in the join's own reply, straight from Redis.
    assert " 332 bob #s :set on A" in text, seen
    assert " 333 bob #s alice " in text, seen
    names = [ln for ln in seen if " 353 " in ln]
    assert names and "@alice" in names[0] and "@bob" not in names[0], seen
    b.send("MODE #s")
    b.expect(r" 324 bob #s \+ntkl sesame 40$")
    assert members(bed, "#s") == ["alice", "bob"]


@needs_bed
def test_ban_set_on_a_refuses_join_on_b(bed):
    a = user(bed, "a", "alice")
    join(a, "#b")
    a.send("MODE #b +b bob!*@*")
    a.expect(r" MODE #b \+b bob!\*@\*$")
    b = user(bed, "b", "bob")
    code, _ = join(b, "#b")
    assert code == "474"
    c = user(bed, "c", "carol")
    code, _ = join(c, "#b")
    assert code == "366"
    c.send("MODE #b b")
    c.expect(r" 367 carol #b bob!\*@\* alice ")
    assert members(bed, "#b") == ["alice", "carol"]


@needs_bed
def test_two_topics_at_once_end_the_same_everywhere(bed):
    a = user(bed, "a", "alice")
    join(a, "#t")
    a.send("MODE #t -t")
    a.expect(r" MODE #t -t$")
    b = user(bed, "b", "bob")
    join(b, "#t")
    c = user(bed, "c", "carol")
    join(c, "#t")
    for cl in (a, b, c):
        wait_names(cl, "#t", ["alice", "bob", "carol"])
    # Both TOPICs reach their nodes while Redis is held (well under the
    # 2 s watchdog), so both are in flight at once when it resumes.
    bed.redis.send_signal(signal.SIGSTOP)
    try:
        a.send("TOPIC #t :from A")
        b.send("TOPIC #t :from B")
        time.sleep(0.4)
    finally:
        bed.redis.send_signal(signal.SIGCONT)

    def topics():
        out = []
        for cl, nick in ((a, "alice"), (b, "bob"), (c, "carol")):
            cl.send("TOPIC #t")
            m, _ = cl.expect(rf" (331|332) {nick} #t :?(.*)$")
            out.append(m.group(2))
        return out
    deadline = time.monotonic() + 15
    while True:
        got = topics()
        if len(set(got)) == 1 and got[0] in ("from A", "from B"):
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.1)
    want = got[0]
    stored = bed.redis_cli("--raw", "HGET", "sockit:chan:#t", "topic").strip()
    assert stored == want


@needs_bed
def test_lost_node_members_leave_redis(bed):
    a = user(bed, "a", "alice")
    join(a, "#l")
    b = user(bed, "b", "bob")
    join(b, "#l")
    lone = user(bed, "b", "lonely")
    join(lone, "#only")
    wait_names(a, "#l", ["bob"])
    assert members(bed, "#l") == ["alice", "bob"]
    assert members(bed, "#only") == ["lonely"]
    bed.nodes["b"].stop(sig=9)
    a.expect(r"^:bob!\S+ QUIT :node lost$", timeout=15)
    # Whichever node notices first removes them (idempotent).
    poll(lambda: members(bed, "#l"), ["alice"])
    poll(lambda: bed.redis_cli("--raw", "EXISTS", "sockit:members:#only",
                               "sockit:chan:#only", "sockit:user:bob").strip(), "0")
    assert bed.redis_cli("--raw", "HGET", "sockit:user:alice", "node").strip() == "A"


@needs_bed
def test_redis_restart_state_published_again(bed):
    a = user(bed, "a", "alice")
    join(a, "#r")
    a.send("TOPIC #r :before the restart", "MODE #r +b evil!*@*")
    a.expect(r" MODE #r \+b evil!\*@\*$")
    b = user(bed, "b", "bob")
    join(b, "#r")
    wait_names(a, "#r", ["bob"])
    bed.stop_redis()
    a.expect(r"NOTICE alice :\*\*\* cluster link lost", timeout=15)
    bed.start_redis()
    a.expect(r"NOTICE alice :\*\*\* cluster link restored", timeout=20)
    b.expect(r"NOTICE bob :\*\*\* cluster link restored", timeout=20)
    # Each member once, the room's state back, the users back.
    poll(lambda: members(bed, "#r"), ["alice", "bob"])
    poll(lambda: bed.redis_cli("--raw", "HGET", "sockit:chan:#r", "topic").strip(),
         "before the restart")
    assert bed.redis_cli("--raw", "HKEYS", "sockit:masks:#r").split() == ["b", "evil!*@*"]
    poll(lambda: bed.redis_cli("--raw", "HGET", "sockit:user:bob", "node").strip(), "B")
    # A node that had nothing of the room builds it from Redis again.
    c = user(bed, "c", "carol")
    code, seen = join(c, "#r")
    assert code == "366", seen
    text = "\n".join(seen)
    assert " 332 carol #r :before the restart" in text, seen
    assert "alice" in text and "bob" in text, seen
    evil = user(bed, "c", "evil")
    code, _ = join(evil, "#r")
    assert code == "474"
    assert members(bed, "#r") == ["alice", "bob", "carol"]


@needs_bed
def test_queries_about_a_user_sharing_no_room(bed):
    a = user(bed, "a", "alice")
    join(a, "#inv")
    a.send("MODE #inv +i")
    a.expect(r" MODE #inv \+i$")
    d = user(bed, "c", "dave")
    d.send("AWAY :out for lunch")
    d.expect(r" 306 dave ")
    # dave's 306 leaves node C after its Redis writes (his user record,
    # then the away text), but Redis may still serve node A's read first
    # (it takes ready connections in epoll's order): a 401 or a reply
    # without the away text is asked again until both are there.
    deadline = time.monotonic() + 10
    while True:
        a.send("WHOIS dave")
        _, seen = a.expect(r" 318 alice dave ")
        text = "\n".join(seen)
        if " 301 alice dave :out for lunch" in text or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert " 311 alice dave ~u " in text and ":Real Name" in text, seen
    assert " 312 alice dave sockit :sockit chat, node C" in text, seen
    assert " 301 alice dave :out for lunch" in text, seen
    a.send("ISON dave nobody alice")
    a.expect(r" 303 alice :alice dave$")
    a.send("PRIVMSG dave :hello across")
    d.expect(r"^:alice!\S+ PRIVMSG dave :hello across$")
    a.expect(r" 301 alice dave :out for lunch$")
    code, _ = join(d, "#inv")
    assert code == "473"
    a.send("INVITE dave #inv")
    a.expect(r" 341 alice dave #inv$")
    d.expect(r"^:alice!\S+ INVITE dave :#inv$")
    code, _ = join(d, "#inv")
    assert code == "366"
    # No answer from Redis in time: the usual numeric, after the watchdog.
    bed.redis.send_signal(signal.SIGSTOP)
    try:
        a.send("WHOIS erin")
        a.expect(r" 401 alice erin :No such nick", timeout=10)
        a.expect(r" 318 alice erin ")
    finally:
        bed.redis.send_signal(signal.SIGCONT)


def crossing(bed, chan):
    """alice on A and bob on B in chan; a line from each crosses."""
    a = user(bed, "a", "alice")
    join(a, chan)
    b = user(bed, "b", "bob")
    join(b, chan)
    wait_names(a, chan, ["bob"])
    a.send(f"PRIVMSG {chan} :from A")
    b.expect(rf"^:alice!\S+ PRIVMSG {chan} :from A$")
    b.send(f"PRIVMSG {chan} :from B")
    a.expect(rf"^:bob!\S+ PRIVMSG {chan} :from B$")


@needs_bed
def test_sharded_pubsub_when_redis_has_it(bed):
    crossing(bed, "#sh")
    st = bed.commandstats()
    assert st.get("spublish", 0) > 0 and st.get("ssubscribe", 0) > 0, st
    assert st.get("publish", 0) == 0 and st.get("subscribe", 0) == 0, st
    assert "sharded (SSUBSCRIBE/SPUBLISH) pub/sub" in bed.nodes["a"].log()


@needs_bed
def test_classic_pubsub_when_redis_lacks_sharded():
    # SSUBSCRIBE renamed away: the probe finds none, the nodes fall back.
    b = Bed(nodes=("a", "b"), redis_args=["--rename-command", "SSUBSCRIBE", ""])
    try:
        for n in ("a", "b"):
            b.start_node(n, "--no-flood-limit")
        crossing(b, "#cl")
        st = b.commandstats()
        assert st.get("publish", 0) > 0 and st.get("subscribe", 0) > 0, st
        assert st.get("spublish", 0) == 0, st
        assert "classic (SUBSCRIBE/PUBLISH) pub/sub" in b.nodes["a"].log()
    finally:
        logs = b.close()
        for log in logs.values():
            assert "runtime error" not in log and "AddressSanitizer" not in log, log


def listing(c, nick, arg=None):
    """LIST [arg]: {room: (count, topic)} of the 322 lines up to 323."""
    c.send("LIST" + (f" {arg}" if arg else ""))
    _, seen = c.expect(rf" 323 {nick} :End of /LIST$")
    got = {}
    for ln in seen:
        parts = ln.split(" 322 ", 1)
        if len(parts) == 2:
            head, topic = parts[1].split(" :", 1)
            _, room, count = head.split()
            got[room] = (int(count), topic)
    return got


@needs_bed
def test_list_shows_rooms_of_every_node(bed):
    b1 = user(bed, "b", "bob")
    b2 = user(bed, "b", "bea")
    join(b1, "#far")
    b1.send("TOPIC #far :from B only")
    b1.expect(r"TOPIC #far :from B only$")
    join(b2, "#far")
    join(b1, "#sec")
    b1.send("MODE #sec +s")
    b1.expect(r" MODE #sec \+s$")
    poll(lambda: int(bed.redis_cli("--raw", "HGET", "sockit:chan:#sec", "modes")) & 64, 64)
    # A has no member of either room: what it lists comes from Redis.
    a = user(bed, "a", "alice")
    got = listing(a, "alice")
    assert got.get("#far") == (2, "from B only"), got
    assert "#sec" not in got, got
    assert listing(a, "alice", "#far,#sec,#none") == {"#far": (2, "from B only")}
    # A member of the +s room sees it.
    assert listing(b1, "bob").get("#sec") == (1, ""), "+s room hidden from its member"
    # The set of rooms follows the rooms: emptied by PART, and a lost
    # node's rooms leave it.
    for c in (b1, b2):
        c.send("PART #far")
        c.expect(r" PART #far")
    poll(lambda: "#far" in listing(a, "alice"), False)
    assert "#sec" in bed.redis_cli("--raw", "ZRANGE", "sockit:rooms", "0", "-1").split()
    bed.nodes["b"].stop(sig=9)
    poll(lambda: bed.redis_cli("--raw", "ZRANGE", "sockit:rooms", "0", "-1").split(), [])
    assert listing(a, "alice") == {}
    # No answer from Redis in time: the local list, after the watchdog.
    join(a, "#mine")
    bed.redis.send_signal(signal.SIGSTOP)
    try:
        a.send("LIST")
        _, seen = a.expect(r" 323 alice :End of /LIST$", timeout=10)
        assert [ln.split(" 322 ", 1)[1] for ln in seen if " 322 " in ln] == \
            ["alice #mine 1 :"], seen
    finally:
        bed.redis.send_signal(signal.SIGCONT)
