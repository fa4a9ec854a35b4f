"""End-to-end tests of `sockit serve chat`: raw-socket IRC clients, a
line-mode nc user, a real irssi under tmux, ngircd as a reference peer.
Every wait is on a line or a condition, bounded; nothing depends on how
fast the machine is."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from chat_util import Irc, numerics, start_chat
from conftest import SOCKIT


@pytest.fixture
def server(server):
    """conftest's server factory, and at the end a clean stop: under
    SOCKIT_SAN=1 a sanitizer report (a leak is printed at exit) fails the
    test that started the server."""
    started = []

    def start(*args, **kw):
        s = server(*args, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        log = s.stop()
        assert "Sanitizer" not in log and "runtime error" not in log, log[-4000:]


def test_registration_as_irssi_does_it(server):
    srv, port = start_chat(server)
    c = Irc(port)
    c.send("CAP LS 302", "JOIN :")
    c.expect(r"^:sockit CAP \* LS :$")
    c.expect(r"^:sockit 451 \* :You have not registered")
    c.send("CAP END", "NICK alice", "USER al 0 * :Alice Liddell")
    m, seen = c.expect(r" 422 alice :MOTD File is missing")
    nums = numerics(seen)
    assert nums[:4] == ["001", "002", "003", "004"]
    assert "005" in nums and "251" in nums and "255" in nums
    assert seen[nums.index("001")].startswith(
        ":sockit 001 alice :Welcome to the sockit IRC Network alice!~al@127.0.0.1")
    isupport = " ".join(l for l in seen if " 005 " in l)
    for tok in ("CASEMAPPING=rfc1459", "CHANTYPES=#", "PREFIX=(ov)@+",
                "CHANMODES=beI,k,l,imnpst", "NICKLEN=30"):
        assert tok in isupport
    # PING both ways: the client pings the server.
    c.send("PING :abc")
    c.expect(r"^:sockit PONG sockit :abc$")


def test_registration_holds_until_cap_end_and_motd_file(server, tmp_path):
    motd = tmp_path / "motd"
    motd.write_text("first line\nsecond line\n")
    srv, port = start_chat(server, "--motd", str(motd), "--server-name", "irc.test")
    c = Irc(port)
    c.send("CAP LS 302", "NICK bob", "USER b 0 * :B")
    c.send("CAP REQ :multi-prefix")
    c.expect(r"^:irc.test CAP bob NAK :multi-prefix$")
    c.send("CAP END")
    _, seen = c.expect(r" 376 bob :End of MOTD")
    assert ":irc.test 372 bob :- first line" in seen
    assert ":irc.test 372 bob :- second line" in seen


def test_join_fans_out_to_every_member(server):
    srv, port = start_chat(server, "--no-flood-limit")
    clients = []
    for i in range(30):
        c = Irc(port)
        c.register(f"u{i}")
        c.send("JOIN #room")
        c.expect(rf"^:u{i}!~u@127.0.0.1 JOIN :#room$")
        c.expect(r" 366 ")
        clients.append(c)
    # Every earlier member saw every later JOIN.
    for i, c in enumerate(clients[:-1]):
        c.expect(r"^:u29!~u@127.0.0.1 JOIN :#room$")
    for k in range(5):
        clients[0].send(f"PRIVMSG #room :message {k}")
    for c in clients[1:]:
        for k in range(5):
            c.expect(rf"^:u0!~u@127.0.0.1 PRIVMSG #room :message {k}$")
    # The sender does not get its own message back.
    clients[0].send("PING :sync")
    _, seen = clients[0].expect(r"PONG sockit :sync")
    assert not any("PRIVMSG" in l for l in seen)


def test_channel_sync_irssi_waits_for(server):
    srv, port = start_chat(server)
    a = Irc(port)
    a.register("alice")
    a.send("JOIN #c")
    a.expect(r" 353 alice = #c :@alice$")
    a.expect(r" 366 alice #c :End of /NAMES list")
    a.send("MODE #c", "WHO #c", "MODE #c b")
    a.expect(r" 324 alice #c \+nt$")
    a.expect(r" 329 alice #c \d+$")
    a.expect(r" 352 alice #c ~u 127.0.0.1 sockit alice H@ :0 Real Name$")
    a.expect(r" 315 alice #c :End of WHO list")
    a.expect(r" 368 alice #c :End of channel ban list")


def test_privmsg_notice_topic_part_quit_nick(server):
    srv, port = start_chat(server)
    a, b = Irc(port), Irc(port)
    a.register("alice")
    b.register("bob")
    a.send("JOIN #c")
    a.expect(r" 366 ")
    b.send("JOIN #c")
    b.expect(r" 353 bob = #c :(@alice bob|bob @alice)$")
    a.expect(r"^:bob!~u@127.0.0.1 JOIN :#c$")
    a.send("PRIVMSG bob :hi there", "NOTICE #c :a notice")
    b.expect(r"^:alice!~u@127.0.0.1 PRIVMSG bob :hi there$")
    b.expect(r"^:alice!~u@127.0.0.1 NOTICE #c :a notice$")
    a.send("TOPIC #c :new topic")
    b.expect(r"^:alice!~u@127.0.0.1 TOPIC #c :new topic$")
    b.send("TOPIC #c")
    b.expect(r" 332 bob #c :new topic$")
    b.expect(r" 333 bob #c alice \d+$")
    b.send("TOPIC #c :mine")             # +t: only ops
    b.expect(r" 482 bob #c :You're not channel operator")
    b.send("NICK [bobby]")
    a.expect(r"^:bob!~u@127.0.0.1 NICK :\[bobby\]$")
    b.expect(r"^:bob!~u@127.0.0.1 NICK :\[bobby\]$")
    a.send("PRIVMSG {BOBBY} :case mapped")   # RFC 1459: {} fold to []
    b.expect(r"PRIVMSG \[bobby\] :case mapped$")
    b.send("PART #c :leaving")
    a.expect(r"^:\[bobby\]!~u@127.0.0.1 PART #c :leaving$")
    b.send("JOIN #c")
    a.expect(r"JOIN :#c$")
    b.send("QUIT :gone now")
    b.expect(r"^ERROR :Closing Link: \[bobby\]\[127.0.0.1\] \(Quit: gone now\)$")
    assert b.until_eof() == []
    a.expect(r"^:\[bobby\]!~u@127.0.0.1 QUIT :Quit: gone now$")


def test_error_numerics(server):
    srv, port = start_chat(server)
    a, b = Irc(port), Irc(port)
    a.register("alice")
    b.register("bob")
    b.send("JOIN #b")
    b.expect(r" 366 ")
    cases = [
        ("PRIVMSG nobody :x", r" 401 alice nobody :No such nick"),
        ("PRIVMSG #nochan :x", r" 403 alice #nochan :No such channel"),
        ("PRIVMSG #b :outside", r" 404 alice #b :Cannot send to channel"),
        ("PRIVMSG", r" 411 alice :No recipient given"),
        ("PRIVMSG bob", r" 412 alice :No text to send"),
        ("FROB x", r" 421 alice FROB :Unknown command"),
        ("NICK", r" 431 alice :No nickname given"),
        ("NICK 9lives", r" 432 alice 9lives :Erroneous nickname"),
        ("NICK BOB", r" 433 alice BOB :Nickname is already in use"),
        ("PART #b", r" 442 alice #b :You're not on that channel"),
        ("KICK #b bob", r" 442 alice #b :You're not on that channel"),
        ("JOIN", r" 461 alice JOIN :Not enough parameters"),
        ("USER a 0 * :again", r" 462 alice :You may not reregister"),
        ("JOIN bad", r" 403 alice bad :No such channel"),
        ("MODE bob +i", r" 502 alice :Can't change mode"),
        ("MODE #b +z", r" 472 alice z :is unknown mode char"),
        ("OPER x y", r" 491 alice :No O-lines"),
        ("KILL bob :x", r" 481 alice :Permission Denied"),
        ("WHOIS ghost", r" 401 alice ghost :No such nick"),
        ("WHOWAS ghost", r" 406 alice ghost :There was no such nickname"),
        ("PRIVMSG n1,n2,n3,n4,n5 :x", r" 407 alice n5 :Too many recipients"),
        ("PING", r" 409 alice :No origin specified"),
        ("CAP FOO", r" 410 alice FOO :Invalid CAP command"),
        ("JOIN " + ",".join(f"#j{i}" for i in range(20)), r" 366 alice #j19 "),
        ("JOIN #j20", r" 405 alice #j20 :You have joined too many channels"),
        ("JOIN 0", r"PART #j\d+ :alice$"),
    ]
    for line, want in cases:
        a.send(line)
        a.expect(want)
    a.send("JOIN #a")
    a.expect(r" 366 ")
    a.send("KICK #a bob")
    a.expect(r" 441 alice bob #a :They aren't on that channel")
    a.send("INVITE bob #b")
    a.expect(r" 442 alice #b ")
    b.send("INVITE alice #b")
    b.expect(r" 341 bob alice #b$")
    a.expect(r"^:bob!~u@127.0.0.1 INVITE alice :#b$")
    a.send("JOIN #b")
    a.expect(r" 366 ")
    b.send("INVITE alice #b")
    b.expect(r" 443 bob alice #b :is already on channel")


def test_hostile_lines(server):
    srv, port = start_chat(server)
    a = Irc(port)
    a.register("alice")
    a.send_raw(b"PRIVMSG alice :" + b"x" * 2000 + b"\r\n")
    a.expect(r" 417 alice :Input line was too long")
    a.send_raw(b"PRIVMSG alice :nul\x00byte\r\n")    # ignored
    a.send_raw(b"PING :cr-only\rPING :lf-only\n")
    a.expect(r"PONG sockit :cr-only$")
    a.expect(r"PONG sockit :lf-only$")
    # A line split in many pieces is put back together.
    for ch in b"PING :pieces\r\n":
        a.send_raw(bytes([ch]))
    _, seen = a.expect(r"PONG sockit :pieces$")
    assert not any("nul" in l for l in seen)
    assert "line with a NUL byte ignored" in srv.log()
    # Binary junk before registration does not crash the server.
    j = Irc(port)
    j.send_raw(bytes(range(1, 256)) * 20 + b"\r\n")
    b = Irc(port)
    b.register("bob")


def test_modes_keys_limits_bans_invite_moderated(server):
    srv, port = start_chat(server)
    op, u = Irc(port), Irc(port)
    op.register("op")
    u.register("user")
    op.send("JOIN #m")
    op.expect(r" 366 ")
    op.send("MODE #m +kl secret 1")
    op.expect(r"^:op!~u@127.0.0.1 MODE #m \+kl secret 1$")
    u.send("JOIN #m")
    u.expect(r" 475 user #m :Cannot join channel \(\+k\)")
    u.send("JOIN #m secret")
    u.expect(r" 471 user #m :Cannot join channel \(\+l\)")
    op.send("MODE #m -kl+i")
    op.expect(r"MODE #m -kl\+i \*$")
    u.send("JOIN #m")
    u.expect(r" 473 user #m :Cannot join channel \(\+i\)")
    op.send("INVITE user #m")
    op.expect(r" 341 op user #m")
    u.send("JOIN #m")
    u.expect(r" 366 user #m ")
    op.send("MODE #m +m")
    op.expect(r"MODE #m \+m$")
    u.send("PRIVMSG #m :muted")
    u.expect(r" 404 user #m ")
    op.send("MODE #m +v user")
    u.expect(r"MODE #m \+v user$")
    u.send("PRIVMSG #m :voiced")
    op.expect(r"^:user!~u@127.0.0.1 PRIVMSG #m :voiced$")
    op.send("MODE #m +b user", "MODE #m b")
    op.expect(r"MODE #m \+b user!\*@\*$")
    op.expect(r" 367 op #m user!\*@\* op \d+$")
    op.expect(r" 368 op #m ")
    op.send("KICK #m user :out")
    u.expect(r"^:op!~u@127.0.0.1 KICK #m user :out$")
    op.send("MODE #m -i")
    op.expect(r"MODE #m -i$")
    u.send("JOIN #m")
    u.expect(r" 474 user #m :Cannot join channel \(\+b\)")
    op.send("MODE #m +e user*!*@*")
    op.expect(r"MODE #m \+e user\*!\*@\*$")
    u.send("JOIN #m")
    u.expect(r"^:user!~u@127.0.0.1 JOIN :#m$")
    op.send("MODE #m +o user")
    u.expect(r"MODE #m \+o user$")
    u.send("MODE #m +s", "MODE #m")
    u.expect(r" 324 user #m \+mnst$")
    u.send("MODE user +iw", "MODE user")
    u.expect(r"^:user MODE user :\+iw$")
    u.expect(r" 221 user \+iw$")


def test_queries(server):
    srv, port = start_chat(server)
    a, b = Irc(port), Irc(port)
    a.register("alice", real="Alice A")
    b.register("bob")
    a.send("JOIN #q")
    a.expect(r" 366 ")
    a.send("TOPIC #q :about q")
    a.expect(r"TOPIC #q :about q$")
    a.send("AWAY :lunch")
    a.expect(r" 306 alice :You have been marked as being away")
    b.send("WHOIS alice")
    b.expect(r" 311 bob alice ~u 127.0.0.1 \* :Alice A$")
    b.expect(r" 319 bob alice :@#q$")
    b.expect(r" 312 bob alice sockit ")
    b.expect(r" 301 bob alice :lunch$")
    b.expect(r" 317 bob alice \d+ \d+ :seconds idle")
    b.expect(r" 318 bob alice :End of /WHOIS list")
    b.send("PRIVMSG alice :hello")
    b.expect(r" 301 bob alice :lunch$")
    b.send("LIST")
    b.expect(r" 321 bob Channel :Users")
    b.expect(r" 322 bob #q 1 :about q$")
    b.expect(r" 323 bob :End of /LIST")
    b.send("ISON alice nobody bob", "USERHOST alice")
    b.expect(r" 303 bob :alice bob$")
    b.expect(r" 302 bob :alice=-~u@127.0.0.1$")
    for cmd, want in [("LUSERS", r" 251 bob :There are 2 users"),
                      ("MOTD", r" 422 bob "), ("VERSION", r" 351 bob sockit-"),
                      ("TIME", r" 391 bob sockit :"), ("INFO", r" 374 bob "),
                      ("ADMIN", r" 256 bob sockit "), ("LINKS", r" 365 bob "),
                      ("HELP", r" 706 bob "), ("NAMES #q", r" 353 bob = #q :@alice$")]:
        b.send(cmd)
        b.expect(want)
    a.send("NICK alicia")
    a.expect(r"NICK :alicia$")
    b.send("WHOWAS alice")
    b.expect(r" 314 bob alice ~u 127.0.0.1 \* :Alice A$")
    b.expect(r" 369 bob alice :End of WHOWAS")
    b.send("WHO alicia")
    b.expect(r" 352 bob \* ~u 127.0.0.1 sockit alicia G :0 Alice A$")


def test_password_required(server):
    srv, port = start_chat(server, "--password", "s3cret")
    bad = Irc(port)
    bad.send("PASS wrong", "NICK x", "USER x 0 * :x")
    bad.expect(r" 464 x :Password incorrect")
    bad.expect(r"^ERROR :Closing Link")
    good = Irc(port)
    good.send("PASS s3cret", "NICK y", "USER y 0 * :y")
    good.expect(r" 001 y ")


def test_oper_kill_wallops(server, tmp_path):
    hashed = subprocess.run(["openssl", "passwd", "-6", "-salt", "abcdefgh", "pw"],
                            capture_output=True, text=True, check=True).stdout.strip()
    opers = tmp_path / "opers"
    opers.write_text(f"# operators\nboss:{hashed}\n")
    srv, port = start_chat(server, "--oper-file", str(opers))
    a, b = Irc(port), Irc(port)
    a.register("alice")
    b.register("bob")
    b.send("MODE bob +w")
    b.expect(r"MODE bob :\+w$")
    a.send("OPER boss nope")
    a.expect(r" 464 alice :Password incorrect")
    a.send("OPER boss pw")
    a.expect(r" 381 alice :You are now an IRC operator")
    a.expect(r"^:alice MODE alice :\+o$")
    a.send("WALLOPS :hear ye")
    b.expect(r"^:alice!~u@127.0.0.1 WALLOPS :hear ye$")
    a.send("KILL bob :enough")
    b.expect(r"KILL bob :Killed \(alice \(enough\)\)$")
    b.expect(r"^ERROR :Closing Link: bob\[127.0.0.1\] \(Killed")
    assert b.until_eof() == []


def test_bad_oper_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "opers"
    bad.write_text("no-colon-here\n")
    r = subprocess.run([SOCKIT, "serve", "--oper-file", str(bad), "chat",
                        "tcp://127.0.0.1:0"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "expected NAME:HASH" in r.stderr and r.stderr.count("\n") == 1


def test_slow_reader_dropped_by_sendq_others_keep_receiving(server):
    srv, port = start_chat(server, "--sendq", "65536", "--no-flood-limit")
    sender, fast = Irc(port), Irc(port)
    slow = Irc(port, rcvbuf=4096)
    for c, n in ((sender, "sender"), (fast, "fast"), (slow, "slow")):
        c.register(n)
        c.send("JOIN #flood")
        c.expect(r" 366 ")
    fast.expect(r"slow!~u@127.0.0.1 JOIN")
    # slow never reads again.  Batches of 200 lines of ~420 bytes go out
    # until its kernel buffers (4 MiB at most here) and its 64 KiB SendQ
    # are full; fast must get every line, in order, all along.
    body = "y" * 400
    got, quit_seen, batch = 0, False, 200
    for k in range(0, 100 * batch, batch):
        sender.send(*[f"PRIVMSG #flood :{i:05d} {body}" for i in range(k, k + batch)])
        while got < k + batch:
            ln = fast.line(30)
            assert ln is not None, f"fast reader stalled after {got} lines"
            if "PRIVMSG #flood :" in ln:
                assert ln.endswith(f":{got:05d} {body}")
                got += 1
            elif ln == ":slow!~u@127.0.0.1 QUIT :SendQ exceeded":
                quit_seen = True
        if quit_seen:
            break
    assert quit_seen
    sender.send("PRIVMSG #flood :after")
    fast.expect(r"PRIVMSG #flood :after$")
    deadline = time.monotonic() + 20
    while "SendQ exceeded" not in srv.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "closed: SendQ exceeded" in srv.log()


def test_flood_control_holds_input_back_and_loses_nothing(server):
    srv, port = start_chat(server)
    a = Irc(port)
    a.register("alice")
    n = 45                         # past the burst of ~33 commands
    a.send(*[f"PING :p{i}" for i in range(n)])
    for i in range(n):
        a.expect(rf"PONG sockit :p{i}$", timeout=30)
    assert "flood control" in srv.log()


def test_ping_timeout_and_registration_timeout(server):
    srv, port = start_chat(server, "--ping-interval", "0.3")
    quiet, lively, never = Irc(port), Irc(port), Irc(port)
    quiet.register("quiet")
    lively.register("lively")
    never.send("NICK never")       # no USER: never registers
    never.expect(r"^ERROR :Closing Link: never\[127.0.0.1\] \(Registration timeout\)$")
    quiet.expect(r"^PING :sockit$")
    lively.expect(r"^PING :sockit$")
    lively.send("PONG :sockit")
    quiet.expect(r"^ERROR :Closing Link: quiet\[127.0.0.1\] \(Ping timeout")
    lively.expect(r"^PING :sockit$")   # pinged again: still connected
    lively.send("PONG :sockit", "PING :alive")
    lively.expect(r"PONG sockit :alive$")


def test_line_mode_nc_user_talks_with_irc_user(server):
    srv, port = start_chat(server)
    irc = Irc(port)
    irc.register("ircuser")
    irc.send("JOIN #lobby")
    irc.expect(r" 366 ")
    nc = subprocess.Popen(["nc", "127.0.0.1", str(port)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out = nc.stdout
        def nc_expect(pattern, limit=50):
            for _ in range(limit):
                ln = out.readline().decode(errors="replace").rstrip("\r\n")
                if re.search(pattern, ln):
                    return ln
            raise AssertionError(f"nc never saw {pattern!r}")
        nc.stdin.write(b"hello\n")
        nc.stdin.flush()
        nc_expect(r"^\* sockit chat, line mode\. Choose a nick:$")
        nc.stdin.write(b"ncuser\n")
        nc.stdin.flush()
        nc_expect(r"^\* welcome, ncuser\. You are in #lobby")
        nc_expect(r"^\* in #lobby: ")
        irc.expect(r"^:ncuser!~ncuser@127.0.0.1 JOIN :#lobby$")
        nc.stdin.write(b"hi from nc\n")
        nc.stdin.flush()
        irc.expect(r"^:ncuser!~ncuser@127.0.0.1 PRIVMSG #lobby :hi from nc$")
        irc.send("PRIVMSG #lobby :hi from irc", "PRIVMSG ncuser :psst")
        nc_expect(r"^<ircuser> hi from irc$")
        nc_expect(r"^\*ircuser\* psst$")
        nc.stdin.write(b"/me waves\n/nick nc2\n/join #other\n/help\n/quit bye\n")
        nc.stdin.close()
        irc.expect(r"PRIVMSG #lobby :\x01ACTION waves\x01$")
        irc.expect(r"^:ncuser!~ncuser@127.0.0.1 NICK :nc2$")
        nc_expect(r"^\* nc2 has joined #other$")
        nc_expect(r"^\* commands: /join")
        irc.expect(r"^:nc2!~ncuser@127.0.0.1 QUIT :Quit: bye$")
        assert nc.wait(20) == 0
    finally:
        if nc.poll() is None:
            nc.kill()
            nc.wait()


def test_default_set_includes_chat():
    r = subprocess.run([SOCKIT, "serve", "--help"], capture_output=True, text=True)
    assert "chat     tcp://127.0.0.1:6667" in r.stdout
    assert "--sendq BYTES" in r.stdout and "--no-flood-limit" in r.stdout


class Tmux:
    """irssi in a private tmux server (its own -L socket), read with
    capture-pane; every wait polls the pane, bounded."""

    def __init__(self, name, cmd):
        self.name = name
        self.base = ["tmux", "-L", name]
        subprocess.run(self.base + ["-f", "/dev/null", "new-session", "-d", "-s", "irc",
                                    "-x", "200", "-y", "50", cmd], check=True)

    def keys(self, text):
        subprocess.run(self.base + ["send-keys", "-t", "irc", "-l", text], check=True)
        subprocess.run(self.base + ["send-keys", "-t", "irc", "Enter"], check=True)

    def pane(self):
        r = subprocess.run(self.base + ["capture-pane", "-p", "-t", "irc", "-S", "-200"],
                           capture_output=True, text=True)
        return r.stdout

    def wait(self, pattern, timeout=30):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.pane()
            if rx.search(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"irssi never showed {pattern!r}:\n{self.pane()}")

    def kill(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True)


@pytest.mark.skipif(not shutil.which("irssi") or not shutil.which("tmux"),
                    reason="irssi and tmux are installed by scripts/install-deps.sh check")
def test_real_irssi(server, tmp_path):
    srv, port = start_chat(server)
    home = tmp_path / "irssi"
    home.mkdir()
    (home / "config").write_text(
        'settings = { core = { real_name = "Irssi Tester"; user_name = "it"; '
        'nick = "irssitest"; }; "fe-common/core" = { autocreate_own_query = "no"; autocreate_query_level = "NONE"; }; };\n')
    raw = Irc(port)
    raw.register("rawuser")
    raw.send("JOIN #test")
    raw.expect(r" 366 ")
    t = Tmux(f"sockit-chat-{os.getpid()}", f"irssi --home={home} -n irssitest")
    try:
        t.wait(r"Irssi")
        t.keys(f"/connect 127.0.0.1 {port}")
        t.wait(r"MOTD File is missing")
        t.keys("/join #test")
        raw.expect(r"^:irssitest!~it@127.0.0.1 JOIN :#test$", timeout=30)
        # irssi's own message that MODE, WHO and MODE b were all answered.
        t.wait(r"Join to #test was synced")
        raw.send("PRIVMSG #test :hello from raw")
        t.wait(r"rawuser> hello from raw")
        t.keys("hi from irssi")
        raw.expect(r"^:irssitest!~it@127.0.0.1 PRIVMSG #test :hi from irssi$", timeout=30)
        raw.send("PRIVMSG irssitest :a private word")
        t.wait(r"Act: 1")            # no query windows: it lands in window 1
        t.keys("/window 1")
        t.wait(r"rawuser.*a private word")
        t.keys("/window 2")
        raw.send("TOPIC #test :fresh topic")
        t.wait(r"changed the topic of #test to: fresh topic")
        t.keys("/nick irssi2")
        raw.expect(r"^:irssitest!~it@127.0.0.1 NICK :irssi2$", timeout=30)
        t.keys("/quit leaving now")
        raw.expect(r"^:irssi2!~it@127.0.0.1 QUIT :Quit: leaving now$", timeout=30)
    finally:
        t.kill()


def run_chat_client(port, *args):
    return subprocess.Popen([SOCKIT, "chat", *args, f"127.0.0.1:{port}"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def read_events(proc, want, limit=200):
    """JSON events from `sockit chat --json` until one has want's items."""
    import json
    for _ in range(limit):
        ln = proc.stdout.readline()
        if not ln:
            break
        ev = json.loads(ln)
        if all(ev.get(k) == v for k, v in want.items()):
            return ev
    raise AssertionError(f"no event {want!r}")


def chat_client_talks(port, raw, server_name):
    bot = run_chat_client(port, "--json", "--nick", "bot", "--channel", "#t")
    try:
        ev = read_events(bot, {"event": "registered"})
        assert ev["nick"] == "bot"
        read_events(bot, {"event": "join", "channel": "#t", "nick": "bot"})
        raw.expect(r"^:bot!\S+ JOIN :?#t$", timeout=30)
        bot.stdin.write(b"hello from sockit chat\n/msg raw private hello\n")
        bot.stdin.flush()
        raw.expect(r"^:bot!\S+ PRIVMSG #t :hello from sockit chat$", timeout=30)
        raw.expect(r"^:bot!\S+ PRIVMSG raw :private hello$", timeout=30)
        raw.send("PRIVMSG #t :hello bot")
        ev = read_events(bot, {"event": "message", "channel": "#t", "nick": "raw"})
        assert ev["text"] == "hello bot"
        bot.stdin.close()
        raw.expect(r"^:bot!\S+ QUIT :", timeout=30)
        assert bot.wait(30) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()


def test_sockit_chat_client_against_sockit(server):
    srv, port = start_chat(server)
    raw = Irc(port)
    raw.register("raw")
    raw.send("JOIN #t")
    raw.expect(r" 366 ")
    chat_client_talks(port, raw, "sockit")


def test_sockit_chat_client_usage_and_failures():
    r = subprocess.run([SOCKIT, "chat"], capture_output=True, text=True)
    assert r.returncode == 2 and "--nick NICK is required" in r.stderr
    r = subprocess.run([SOCKIT, "chat", "--nick", "a", "--bogus"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "unknown option '--bogus'" in r.stderr
    port = free_port_for_test()
    r = subprocess.run([SOCKIT, "chat", "--nick", "a", f"127.0.0.1:{port}"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "Connection refused" in r.stderr
    r = subprocess.run([SOCKIT, "chat", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "exit status" in r.stdout


def free_port_for_test():
    from chat_util import free_port
    return free_port()


needs_ngircd = pytest.mark.skipif(not shutil.which("ngircd"),
                                  reason="ngircd is installed by install-deps.sh check")


@needs_ngircd
def test_sockit_chat_client_against_ngircd(tmp_path):
    from chat_util import Ngircd
    ng = Ngircd(tmp_path)
    try:
        raw = Irc(ng.port)
        raw.register("raw")
        raw.send("JOIN #t")
        raw.expect(r" 366 ", timeout=30)
        chat_client_talks(ng.port, raw, "peer.test")
    finally:
        ng.stop()


def sync_sequence(port):
    """The numerics of irssi's channel sync and a few errors, in order."""
    c = Irc(port)
    c.register("seq")
    out = []
    for cmd, end in [("JOIN #s", r" 366 "), ("MODE #s", r" 329 "),
                     ("WHO #s", r" 315 "), ("MODE #s b", r" 368 "),
                     ("PRIVMSG nobody :x", r" 401 "), ("TOPIC #s :t", r" TOPIC "),
                     ("TOPIC #s", r" 333 "), ("PART #nope", r" 40[23] "),
                     ("NAMES #s", r" 366 ")]:
        c.send(cmd)
        m, seen = c.expect(end, timeout=30)
        out.append((cmd, numerics(seen + [m.string])))
    c.close()
    return out


@needs_ngircd
def test_reply_sequences_match_ngircd(server, tmp_path):
    from chat_util import Ngircd
    srv, port = start_chat(server)
    ng = Ngircd(tmp_path)
    try:
        ours, theirs = sync_sequence(port), sync_sequence(ng.port)
    finally:
        ng.stop()
    assert ours == theirs


def test_reload_keeps_one_chat_network(server, tmp_path):
    import signal
    conf = tmp_path / "serve.conf"
    conf.write_text("service chat\nlisten tcp://127.0.0.1:0\nserver-name one.test\n")
    srv = server(SOCKIT, "serve", "-c", str(conf), count=1)
    port = srv.hostport()[1]
    a = Irc(port)
    a.register("before")
    a.send("JOIN #r")
    a.expect(r" 366 ")
    conf.write_text("service chat\nlisten tcp://127.0.0.1:0\nserver-name two.test\n")
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "SIGHUP: reloaded" not in srv.log():
        assert time.monotonic() < deadline, srv.log()
        time.sleep(0.05)
    b = Irc(port)
    b.register("after")
    b.send("JOIN #r")
    b.expect(r" 353 after = #r :(@before after|after @before)$")
    a.expect(r"^:after!~u@127.0.0.1 JOIN :#r$")


def thread_names(srv, want):
    """The server's thread names, sorted, once they are want (the workers
    start and name themselves just after the readiness lines), or as
    they are after 10 s."""
    task = f"/proc/{srv.proc.pid}/task"
    deadline = time.monotonic() + 10
    while True:
        names = sorted(open(f"{task}/{t}/comm").read().strip() for t in os.listdir(task))
        if names == want or time.monotonic() > deadline:
            return names
        time.sleep(0.02)


def test_chat_runs_on_a_thread_of_its_own(server, tmp_path):
    """With --threads 2, chat gets a worker of its own (sk-single) beside
    the two that share echo: readiness lines keep the file's order, a
    reload counts chat's endpoint once and keeps its network, and
    without chat (or with one thread) there is no such worker."""
    import signal
    conf = tmp_path / "serve.conf"
    base = "threads 2\nservice chat\nlisten tcp://127.0.0.1:0\nservice echo\nlisten tcp://127.0.0.1:0\n"
    conf.write_text(base)
    srv = server(SOCKIT, "serve", "-c", str(conf), count=2)
    assert [svc for _, svc in srv.endpoints] == ["chat", "echo"]
    want = ["sk-single", "sk-worker-1", "sockit"]
    assert thread_names(srv, want) == want
    port = srv.hostport()[1]
    a = Irc(port)
    a.register("before")
    a.send("JOIN #r")
    a.expect(r" 366 ")
    conf.write_text(base + "service daytime\nlisten tcp://127.0.0.1:0\n")
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "SIGHUP: reloaded" not in srv.log():
        assert time.monotonic() < deadline, srv.log()
        time.sleep(0.05)
    assert "SIGHUP: reloaded: 2 endpoints kept, 1 added, 0 closed" in srv.log()
    b = Irc(port)
    b.register("after")
    b.send("JOIN #r")
    a.expect(r"^:after!~u@127.0.0.1 JOIN :#r$")
    for args in (["--threads", "2", "echo", "tcp://127.0.0.1:0"],
                 ["--threads", "1", "chat", "tcp://127.0.0.1:0"]):
        other = server(SOCKIT, "serve", *args, count=1)
        want = ["sk-worker-1", "sockit"] if args[1] == "2" else ["sockit"]
        assert thread_names(other, want) == want, args


def test_thousand_clients_get_every_message_in_order(server):
    """1,000 clients in one channel, 10 senders: tests/helpers/chat_load
    checks every delivery (sender, order per sender) and that none is
    lost; it exits non-zero otherwise."""
    import json
    from conftest import HELPERS
    srv, port = start_chat(server, "--no-flood-limit")
    r = subprocess.run([os.path.join(HELPERS, "chat_load"), str(port), "1000", "10", "1", "20"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["deliveries"] > 0 and res["order_errors"] == 0 and res["lost"] == 0
