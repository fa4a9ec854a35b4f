"""soak_chat.py — the chat half of the soak (tests/e2e/soak.py): hostile
chat clients for its client processes, and the chat probe.

The clients, against `sockit serve`'s chat service (flood control on,
sendq 64K):

- chat_member: registers, joins #busy (one in ten) or one of a
  few quieter rooms, reads everything, says PONG every few seconds;
- chat_lurker: a member of #busy with a tiny receive buffer that never
  reads and asks for NAMES #busy twice a second (big replies it leaves
  unread): the server must drop it (SendQ, or the idle timeout once the
  kernel stops taking its output) and keep no more than its sendq for it;
- chat_flooder: a member of #busy that sends PRIVMSG lines as fast as the
  socket takes them: flood control must hold it to its budget (a burst of
  ~33 commands, then ~3 a second), which the probe checks line by line;
- chat_storm: JOIN/PART storms (20 rooms at once), rooms shared by every
  storm, #busy now and then, and NICK changes, faster than its budget;
- chat_garbage: binary lines, over-long lines, NUL bytes, pre-registration
  commands, bad parameters, a spoofed prefix, line mode with control
  bytes, a QUIT reason full of escape sequences (it reaches the log), a
  half line left hanging; it talks in #gb and at #busy from outside.

The chat probe (chat_probe_main) is a receiver and SENDERS senders, all in
#busy, joined before any hostile client starts (so the receiver is the
channel's operator and no attacker can set modes on it).  Each sender says
`probe K SEQ` every PERIOD seconds — slower than flood control's refill,
so the probe itself is never held — and the receiver checks that every
line of every sender arrives, in order, and measures its delivery latency.
It also counts each flooder's lines in #busy against flood control's
budget."""
import random
import selectors
import socket
import time

CHAT_KINDS = ("chat_member", "chat_lurker", "chat_flooder", "chat_storm", "chat_garbage")
BUSY = b"#busy"
ROOMS = 8
STORM_ROOMS = 40
PREFIX = {"chat_member": "m", "chat_lurker": "lk", "chat_flooder": "fl",
          "chat_storm": "st", "chat_garbage": "g"}
# services/chat/chat.h: keep in step.
PENALTY_S, BURST_S = 0.3, 10.0
SENDERS, PERIOD = 4, 0.4


def registration(nick, chan=None):
    out = b"NICK %s\r\nUSER %s 0 * :soak\r\n" % (nick, nick[:10])
    if chan:
        out += b"JOIN %s\r\n" % chan
    return out


def garbage_payload(nick):
    """One hostile chat conversation (bytes to send at once)."""
    reg = registration(nick)
    choice = random.randrange(9)
    if choice == 0:      # binary with line ends sprinkled in
        junk = bytes(random.randrange(256) for _ in range(300))
        return junk.replace(b"Q", b"\r\n")
    if choice == 1:      # over-long lines (417), one without its end yet
        return reg + b"PRIVMSG #busy :" + b"x" * 3000 + b"\r\n" + b"y" * 1500
    if choice == 2:      # NUL bytes inside lines
        return reg + b"PRIVMSG #busy :a\x00b\r\nJOIN #n\x00ul\r\n"
    if choice == 3:      # a QUIT reason that would corrupt a log
        return reg + b"JOIN #gb\r\nQUIT :\x1b[2J\x1b[31mevil\x07\x7f\xff\xfe\x01 reason\r\n"
    if choice == 4:      # line mode (an nc user) with control bytes
        return (b"hello \x1b[1mthere\r\n" + nick + b"\r\n/join #gb\r\n"
                b"/msg #gb \x1b]0;title\x07\r\n/nick \x01bad\r\n/me \xff\xfe\r\n"
                b"/quit \x1b[31mbye\x08\r\n")
    if choice == 5:      # commands before registering, and malformed ones
        return (b"PRIVMSG\r\nMODE\r\nJOIN " + b",".join(b"#c%d" % i for i in range(100)) +
                b"\r\nWHO *\r\n" + b"A " * 40 + b"\r\n:\r\n \r\nNICK\r\nUSER\r\n" + reg)
    if choice == 6:      # bad parameters after registering
        return (reg + b"MODE #busy +ovbkl x y z k 5\r\nKICK #busy cpr\r\nTOPIC #busy :x\r\n"
                b"WHOIS " + b"," * 100 + b"\r\nUSERHOST a b c d e f g\r\n"
                b"PRIVMSG a,b,c,d,e,f :x\r\nNICK " + b"n" * 100 + b"\r\n"
                b"CAP LS 302\r\nCAP REQ :sasl\r\nCAP END\r\nJOIN " +
                b",".join(b"#j%d" % i for i in range(30)) + b"\r\nOPER a b\r\nKILL cpr :x\r\n")
    if choice == 7:      # a spoofed prefix, mask games
        return (reg + b":cps0!x@y PRIVMSG #busy :probe 0 999999\r\nJOIN #gb\r\n"
                b"MODE #busy +b *!*@*\r\nWHO " + b"*?" * 200 + b"\r\nNAMES #busy\r\n")
    return reg + b"PRIVMSG #busy :half a li"        # a half line, left hanging


def nick_of(kind, index, seq):
    return b"%s%dx%d" % (PREFIX[kind].encode(), index, seq)


# ---------------------------------------------------------------- clients
# Called by soak.py's client loop with ctx (sel, stats, arm, close_conn,
# index, seq) and a Conn c whose connect just completed or got an event.

def connected(ctx, c, now):
    kind = c.kind
    c.nick = nick_of(kind, ctx.index, next(ctx.seq))
    c.out = b""
    if kind == "chat_member":
        chan = BUSY if random.random() < 0.1 else b"#room%d" % random.randrange(ROOMS)
        send(ctx, c, registration(c.nick, chan))
        ctx.sel.modify(c.sock, selectors.EVENT_READ, c)
        ctx.arm(c, now + random.uniform(1, 3))
    elif kind == "chat_lurker":
        send(ctx, c, registration(c.nick, BUSY))
        ctx.sel.unregister(c.sock)       # it never reads
        c.watched = False
        ctx.arm(c, now + 0.5)
    elif kind == "chat_flooder":
        c.seq = 0
        c.out = registration(c.nick, BUSY)
        ctx.sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    elif kind == "chat_storm":
        send(ctx, c, registration(c.nick, b"#st%d" % random.randrange(STORM_ROOMS)))
        ctx.sel.modify(c.sock, selectors.EVENT_READ, c)
        ctx.arm(c, now + 0.2)
    else:
        send(ctx, c, garbage_payload(c.nick))
        ctx.sel.modify(c.sock, selectors.EVENT_READ, c)
        ctx.arm(c, now + random.uniform(0.5, 3))


def send(ctx, c, data):
    """Send what the socket takes now; False when the server is gone."""
    try:
        c.sock.send(data)
    except BlockingIOError:
        pass
    except OSError:
        ctx.close_conn(c, True)
        return False
    return True


def event(ctx, c, mask):
    if mask & selectors.EVENT_READ:
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            ctx.close_conn(c, True)
            return
    if mask & selectors.EVENT_WRITE and c.kind == "chat_flooder":
        flood(ctx, c)


def flood(ctx, c):
    """As many PRIVMSG lines as the socket takes; whole lines kept."""
    if len(c.out) < 16384:
        lines = []
        for _ in range(200):
            c.seq += 1
            lines.append(b"PRIVMSG #busy :flood %d %s\r\n" % (c.seq, b"f" * 24))
        c.out += b"".join(lines)
    try:
        n = c.sock.send(c.out)
    except BlockingIOError:
        return
    except OSError:
        ctx.close_conn(c, True)
        return
    c.out = c.out[n:]


def due(ctx, c, now):
    kind = c.kind
    if kind == "chat_member":
        if send(ctx, c, b"PONG :soak\r\n"):
            ctx.arm(c, now + 3)
    elif kind == "chat_lurker":
        if send(ctx, c, b"NAMES #busy\r\n"):
            ctx.arm(c, now + 0.5)
    elif kind == "chat_storm":
        if send(ctx, c, storm_line(c)):
            ctx.arm(c, now + 0.2)
    else:
        ctx.close_conn(c, False)


def storm_line(c):
    """The next command of a storm: mostly in rooms of its own (20 joined
    at once), some in rooms shared by every storm, a few on #busy."""
    r = random.random()
    base = c.nick.split(b"_")[0]
    own = b",".join(b"#%s_%d" % (base, i) for i in range(20))
    shared = b"#st%d" % random.randrange(STORM_ROOMS)
    if r < 0.25:
        return b"JOIN %s\r\n" % own
    if r < 0.5:
        return b"PART %s :storm\r\n" % own
    if r < 0.65:
        return b"JOIN %s\r\n" % shared
    if r < 0.8:
        return b"PART %s\r\n" % shared
    if r < 0.96:
        c.nick = base + b"_%d" % random.randrange(1000)
        return b"NICK %s\r\n" % c.nick
    if r < 0.98:
        return b"JOIN #busy\r\n"
    return b"PART #busy\r\n"


# ---------------------------------------------------------------- probe

class ProbeSock:
    __slots__ = ("sock", "nick", "buf", "role")


def probe_connect(ep, nick, role, deadline):
    """Connect, register, join #busy; wait for the end of its NAMES."""
    p = ProbeSock()
    p.nick, p.role, p.buf = nick, role, b""
    p.sock = socket.create_connection(ep, timeout=10)
    p.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    p.sock.sendall(registration(nick, BUSY))
    want = b" 366 %s #busy " % nick
    data = b""
    while want not in data:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{nick.decode()}: not in #busy in time")
        chunk = p.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"{nick.decode()}: closed while joining: {data[-300:]!r}")
        data += chunk
        for line in data.split(b"\r\n"):
            if line.startswith(b"PING"):
                p.sock.sendall(b"PONG" + line[4:] + b"\r\n")
    p.buf = data[data.index(want):].split(b"\r\n", 1)[-1]
    p.sock.setblocking(False)
    return p


class ProbeState:
    def __init__(self):
        self.sent = {}            # (k, seq) -> perf_counter at send
        self.nsent = [0] * SENDERS
        self.expect = [1] * SENDERS
        self.lat = []
        self.fails = []
        self.floods = {}          # flooder nick -> [first, last, count]

    def line(self, p, line, now):
        if line.startswith(b"PING"):
            try:
                p.sock.send(b"PONG" + line[4:] + b"\r\n")
            except OSError:
                pass
            return
        if line.startswith(b"ERROR"):
            self.fails.append(f"{p.nick.decode()} dropped: {line[:200]!r}")
            return
        if p.role != "receiver":
            return
        i = line.find(b" PRIVMSG #busy :")
        if i < 0 or not line.startswith(b":"):
            return
        bang = line.find(b"!")
        nick, text = line[1:bang], line[i + 16:]
        if nick.startswith(b"cps"):
            self.probe_line(nick, text, now)
        elif nick.startswith(b"fl") and text.startswith(b"flood "):
            f = self.floods.setdefault(nick, [now, now, 0])
            f[1] = now
            f[2] += 1

    def probe_line(self, nick, text, now):
        try:
            _, k, seq = text.split(b" ")
            k, seq = int(k), int(seq)
        except ValueError:
            self.fails.append(f"malformed probe line from {nick!r}: {text[:80]!r}")
            return
        if nick != b"cps%d" % k or not 0 <= k < SENDERS:
            self.fails.append(f"probe line of sender {k} from {nick!r}")
            return
        if seq != self.expect[k]:
            what = "lost" if seq > self.expect[k] else "out of order"
            self.fails.append(f"sender {k}: got {seq}, expected {self.expect[k]} ({what})")
        self.expect[k] = max(self.expect[k], seq + 1)
        t = self.sent.pop((k, seq), None)
        if t is not None:
            self.lat.append((now - t) * 1000)

    def flood_excess(self):
        """How many lines the worst flooder got through beyond its
        budget (a burst of BURST_S/PENALTY_S commands, then one per
        PENALTY_S; 6 lines of slack for arrival jitter)."""
        worst = None
        for first, last, count in self.floods.values():
            allowed = BURST_S / PENALTY_S + 1 + (last - first) / PENALTY_S + 6
            excess = count - allowed
            worst = excess if worst is None else max(worst, excess)
        return worst


def chat_probe_main(ep, seconds, ready, out):
    """The chat probe: joins #busy, sets ready, then runs seconds; puts
    its report on out."""
    st = ProbeState()
    socks, nconn = [], 0
    deadline = time.monotonic() + 60
    try:
        socks.append(probe_connect(ep, b"cpr", "receiver", deadline))
        nconn += 1
        for k in range(SENDERS):
            socks.append(probe_connect(ep, b"cps%d" % k, "sender", deadline))
            nconn += 1
    except OSError as e:
        st.fails.append(f"chat probe could not join: {e!r}")
        nconn = len(socks) + 1
    ready.set()
    if len(socks) == SENDERS + 1:
        run_probe(st, socks, seconds)
    for p in socks:
        try:
            p.sock.setblocking(True)
            p.sock.settimeout(2)
            p.sock.sendall(b"QUIT :probe done\r\n")
        except OSError:
            pass
        p.sock.close()
    st.lat.sort()
    lat = st.lat
    out.put({"chat_probes": len(lat), "failures": st.fails[:20], "nfail": len(st.fails),
             "p50_ms": lat[len(lat) // 2] if lat else None,
             "p99_ms": lat[int(len(lat) * 0.99)] if lat else None,
             "max_ms": lat[-1] if lat else None,
             "sent": sum(st.nsent), "connections": nconn,
             "flooders_seen": len(st.floods),
             "flood_lines": sum(f[2] for f in st.floods.values()),
             "flood_max_excess": st.flood_excess()})


def run_probe(st, socks, seconds):
    sel = selectors.DefaultSelector()
    for p in socks:
        sel.register(p.sock, selectors.EVENT_READ, p)
    senders = socks[1:]
    t0 = time.monotonic()
    end = t0 + seconds
    next_send = [t0 + k * PERIOD / SENDERS for k in range(SENDERS)]
    for p in socks:        # what came after the join's NAMES
        for line in p.buf.split(b"\r\n"):
            st.line(p, line, time.perf_counter())
        p.buf = b""
    while True:
        now = time.monotonic()
        if now >= end and (not st.sent or now >= end + 10):
            break
        if now < end:
            for k, p in enumerate(senders):
                if now >= next_send[k]:
                    seq = st.nsent[k] + 1
                    st.sent[(k, seq)] = time.perf_counter()
                    try:
                        p.sock.send(b"PRIVMSG #busy :probe %d %d\r\n" % (k, seq))
                        st.nsent[k] = seq
                    except OSError as e:
                        st.sent.pop((k, seq))
                        st.fails.append(f"sender {k}: {e!r}")
                    next_send[k] += PERIOD
        wait = max(0.0, min(next_send) - time.monotonic()) if now < end else 0.1
        for key, _ in sel.select(min(wait, 0.1)):
            p = key.data
            t = time.perf_counter()
            try:
                data = p.sock.recv(262144)
            except BlockingIOError:
                continue
            except OSError as e:
                data, err = b"", e
            else:
                err = None
            if not data:
                st.fails.append(f"{p.nick.decode()}: connection lost ({err!r})")
                sel.unregister(p.sock)
                continue
            lines = (p.buf + data).split(b"\r\n")
            p.buf = lines.pop()
            for line in lines:
                st.line(p, line, t)
        if len(sel.get_map()) < len(socks):
            break
    for k in range(SENDERS):
        if st.expect[k] <= st.nsent[k]:
            st.fails.append(f"sender {k}: {st.nsent[k] - st.expect[k] + 1} of "
                            f"{st.nsent[k]} lines never arrived")
    sel.close()
