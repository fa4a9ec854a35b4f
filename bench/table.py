#!/usr/bin/env python3
"""table.py RESULTS.jsonl — render make bench's results: one table (scenario
x peer -> req/s, p99, errors, server CPU per request, sockit's ratio), the
goals of issue 5 checked against numbers of the same run, printed and
written to docs/benchmarks.md."""
import argparse
import json
import os
import platform
import subprocess

LABELS = {
    "tcp64x1": "TCP ping-pong 64 B, 1 conn",
    "tcp64x50": "TCP ping-pong 64 B, 50 conns",
    "tcp64x1000": "TCP ping-pong 64 B, 1000 conns",
    "tcp16kx1": "TCP ping-pong 16 KiB, 1 conn",
    "tcp16kx50": "TCP ping-pong 16 KiB, 50 conns",
    "pipe16x50": "pipeline 16 x 64 B, 50 conns",
    "connect50": "connect + 64 B exchange + close, 50 at once",
    "udp64x50": "UDP ping-pong 64 B, 50 sockets",
    "caesar64x50": "Caesar 'e07'+64 B+'.', 50 conns (vs echo of 68 B)",
}
PEERS = {
    "sockit-1": "sockit serve -q --threads 1 echo tcp://127.0.0.1:0 udp://127.0.0.1:0",
    "sockit-1u": "sockit serve -q --threads 1 --backend io_uring echo tcp://127.0.0.1:0 "
                 "udp://127.0.0.1:0 (lib/loop_uring.c, lib/conn_uring.c)",
    "sockit-2": "sockit serve -q --threads 2 echo tcp://127.0.0.1:0 udp://127.0.0.1:0 "
                "(pinned to CPUs 0-1: shares CPU 1 with the load generator)",
    "sockit-caesar": "sockit serve -q --threads 1 caesar tcp://127.0.0.1:0",
    "sockit-1:echo 68 B": "the sockit-1 server, with 68-byte requests (the size of "
                          "a Caesar request 'e07' + 64 + '.')",
    "epoll": "build/bench/epoll_echo (bench/peers/epoll_echo.c: bare epoll reference)",
    "udp-epoll": "build/bench/udp_epoll_echo (bench/peers/udp_epoll_echo.c)",
    "io_uring": "build/bench/uring_echo (bench/peers/uring_echo.c: multishot accept and "
                "recv, provided buffers, one io_uring_enter per loop turn)",
    "libuv": "build/bench/uv_echo (bench/peers/uv_echo.c, libuv)",
    "libevent": "build/bench/ev_echo (bench/peers/ev_echo.c, libevent bufferevent)",
    "py-thread": "python3 bench/peers/py_threaded_echo.py (thread per connection)",
    "py-asyncio": "python3 bench/peers/py_asyncio_echo.py (asyncio streams)",
    "socat": "socat TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork,backlog=4096 PIPE",
    "ncat": "ncat -l 127.0.0.1 PORT -k --max-conns 5000 --exec /bin/cat",
    "xinetd": "xinetd -dontfork -f CONF -pidfile FILE (CONF: bench/xinetd.conf, "
              "internal echo, PORT filled in)",
}


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def collapse(runs):
    """One row per (scenario, peer): the median run by req/s, with the
    range of all runs and the errors of all runs summed (none hidden)."""
    groups = {}
    for r in runs:
        groups.setdefault((r["scenario"], r["peer"]), []).append(r)
    rows = []
    for (scen, peer), rs in groups.items():
        ok = sorted((x for x in rs if x["r"]), key=rps)
        row = dict(ok[(len(ok) - 1) // 2]) if ok else dict(rs[0])
        row["runs"] = len(rs)
        row["range"] = (rps(ok[0]), rps(ok[-1])) if ok else (0, 0)
        row["all_errors"] = sum(x["r"]["errors"]["total"] if x["r"] else 1 for x in rs)
        row["failed_runs"] = sum(1 for x in rs if x["rc"] != 0)
        rows.append(row)
    order = {}
    for r in runs:
        order.setdefault(r["scenario"], len(order))
    rows.sort(key=lambda r: order[r["scenario"]])
    return rows


def rps(row):
    return row["r"].get("rps", 0.0) if row else 0.0


def fmt_rps(v):
    return f"{v:,.0f}"


def fmt_us(v):
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} us"


def cpu_per_req(row):
    r = row["r"]
    n = r.get("replies_total", 0)
    if not n or row["ticks"] <= 0:
        return "-"
    return f"{row['ticks'] / row['hz'] * 1e6 / n:.1f}"


def reference(rows, scen):
    """The sockit row each peer of scen is compared with."""
    name = "sockit-caesar" if scen == "caesar64x50" else "sockit-1"
    return find(rows, scen, name)


def find(rows, scen, peer):
    for r in rows:
        if r["scenario"] == scen and r["peer"] == peer:
            return r
    return None


def table(rows):
    out = ["| scenario | peer | req/s | p99 | errors | server CPU us/req | sockit ÷ peer | runs (req/s range) |",
           "|---|---|---:|---:|---:|---:|---:|---|"]
    scens = []
    for r in rows:
        if r["scenario"] not in scens:
            scens.append(r["scenario"])
    for s in scens:
        ref = reference(rows, s)
        for r in (x for x in rows if x["scenario"] == s):
            res = r["r"]
            if not res:
                out.append(f"| {LABELS.get(s, s)} | {r['peer']} | failed | | | | | {r['runs']} |")
                continue
            ratio = "-"
            if ref and r is not ref and rps(r) > 0:
                ratio = f"{rps(ref) / rps(r):.2f}x"
            errs = r["all_errors"]
            spread = str(r["runs"])
            if r["runs"] > 1:
                spread += f" ({fmt_rps(r['range'][0])}-{fmt_rps(r['range'][1])})"
            out.append(f"| {LABELS.get(s, s)} | {r['peer']} | {fmt_rps(res['rps'])} | "
                       f"{fmt_us(res['latency_us']['p99'])} | {errs} | "
                       f"{cpu_per_req(r)} | {ratio} | {spread} |")
    return out


def goal_ratio(rows, scen, a, b, need):
    ra, rb = find(rows, scen, a), find(rows, scen, b)
    if not ra or not rb or rps(rb) == 0:
        return None, "not measured"
    ratio = rps(ra) / rps(rb)
    # On a shared machine req/s moves with the other load; server CPU per
    # request much less: its ratio is given too (> 1: a needs less).
    try:
        cpu = f"; per server CPU {float(cpu_per_req(rb)) / float(cpu_per_req(ra)):.2f}x"
    except (ValueError, ZeroDivisionError):
        cpu = ""
    return ratio >= need, (f"{ratio:.2f}x ({fmt_rps(rps(ra))} vs {fmt_rps(rps(rb))} req/s; "
                           f"server CPU {cpu_per_req(ra)} vs {cpu_per_req(rb)} us/req{cpu})")


def goals(rows):
    checks = [
        ("echo 64 B x 1000 conns >= 1.0x bare epoll",
         goal_ratio(rows, "tcp64x1000", "sockit-1", "epoll", 1.0)),
        ("echo 64 B x 1000 conns >= 1.5x libuv",
         goal_ratio(rows, "tcp64x1000", "sockit-1", "libuv", 1.5)),
        ("echo 16 KiB x 50 conns >= 1.0x bare epoll",
         goal_ratio(rows, "tcp16kx50", "sockit-1", "epoll", 1.0)),
        ("io_uring: echo 64 B x 1000 conns >= 1.0x uring_echo",
         goal_ratio(rows, "tcp64x1000", "sockit-1u", "io_uring", 1.0)),
        ("io_uring: echo 64 B x 50 conns >= 1.0x bare epoll",
         goal_ratio(rows, "tcp64x50", "sockit-1u", "epoll", 1.0)),
        ("io_uring: echo 16 KiB x 50 conns >= 1.0x bare epoll",
         goal_ratio(rows, "tcp16kx50", "sockit-1u", "epoll", 1.0)),
        ("io_uring: UDP 64 B x 50 >= 1.0x sockit on epoll",
         goal_ratio(rows, "udp64x50", "sockit-1u", "sockit-1", 1.0)),
        ("UDP 64 B x 50 >= 1.0x bare epoll",
         goal_ratio(rows, "udp64x50", "sockit-1", "udp-epoll", 1.0)),
        ("Caesar within 15% of echo of the same size",
         goal_ratio(rows, "caesar64x50", "sockit-caesar", "sockit-1:echo 68 B", 0.85)),
    ]
    one = find(rows, "tcp16kx1", "sockit-1")
    if one and one["r"]:
        lat = one["r"]["latency_us"]
        p99 = lat["p99"]
        checks.insert(3, ("echo 16 KiB, 1 conn: p99 < 1 ms",
                          (p99 < 1000, f"p99 {fmt_us(p99)} (p50 {fmt_us(lat['p50'])}, "
                                       f"max {fmt_us(lat['max'])})")))
    else:
        checks.insert(3, ("echo 16 KiB, 1 conn: p99 < 1 ms", (None, "not measured")))
    out = ["| goal | measured | met |", "|---|---|---|"]
    for name, (ok, text) in checks:
        mark = "n/a" if ok is None else ("yes" if ok else "**no**")
        out.append(f"| {name} | {text} | {mark} |")
    return out


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}"


def commands(rows, a):
    cmds = sorted({f"taskset -c {a.client_cpu} sockit bench EP --json -d {a.duration} "
                   f"--warmup {a.warmup} {r['args']}" for r in rows})
    return ["```", "make bench            # = scripts/install-deps.sh bench; make all; "
            "bench/run.sh build",
            f"taskset -c {a.server_cpu} SERVER   # each server of the list above",
            *cmds, "```",
            "",
            "EP is the endpoint the server announced (`listening tcp://127.0.0.1:PORT "
            "echo`), or the free port given to socat, ncat and xinetd."]


def analysis():
    """The hand-written notes (bench/analysis.md): how to read the table
    and where the server's time goes; they describe code, not one run."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")
    try:
        with open(path) as f:
            return f.read().rstrip("\n").split("\n") + [""]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--date", default="")
    ap.add_argument("--duration", default="2")
    ap.add_argument("--warmup", default="0.5")
    ap.add_argument("--rounds", default="1")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--load", default="?")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--doc", default="-")
    a = ap.parse_args()
    runs = load(a.results) if os.path.exists(a.results) else []
    rows = collapse(runs)
    tab, gl = table(rows), goals(rows)
    print("\n".join(tab))
    print()
    print("\n".join(gl))
    if a.doc == "-":
        return
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "unknown"
    doc = [
        "# sockit benchmarks",
        "",
        "Written by `make bench` (bench/run.sh, bench/table.py); re-run it to",
        "refresh.  Numbers are from one run on a shared 2-core machine and are",
        "noisy: compare rows of the same run, not runs.",
        "",
        f"- date: {a.date}",
        f"- machine: {machine()} (nproc {os.cpu_count()}, uname -r {platform.release()})",
        f"- commit: {rev}; whole run {a.elapsed} s",
        f"- load average (1/5/15 min) before -> after the run: {a.load}; anything",
        "  above ~2 means other work shared the two CPUs and the req/s columns",
        "  moved with it (server CPU per request moves much less)",
        f"- each run: {a.duration} s measured after {a.warmup} s warmup; servers pinned "
        f"to CPU {a.server_cpu}, the load generator to CPU {a.client_cpu}",
        f"- the pairs the goals compare ran {a.rounds} times, alternating which went",
        "  first; their row is the median run (errors: summed over all runs);",
        "  every other peer ran once.",
        "- req/s: verified replies per second; p99: latency from the request's first",
        "  write to its last reply byte; errors: mismatched bytes, early closes,",
        "  timeouts (UDP: lost datagrams); server CPU: user+system time of the",
        "  server process (and its reaped children) per reply, warmup included.",
        "- sockit ÷ peer: sockit serve --threads 1 req/s divided by the peer's",
        "  (Caesar rows: sockit serve caesar's).",
        "",
        "## Results",
        "",
        *tab,
        "",
        "## Goals (issue 5), same run",
        "",
        *gl,
        "",
        "## Peers",
        "",
        *[f"- {k}: {v}" for k, v in PEERS.items()],
        "",
        "## Commands",
        "",
        *commands(rows, a),
        "",
        *analysis(),
    ]
    os.makedirs(os.path.dirname(a.doc) or ".", exist_ok=True)
    with open(a.doc, "w") as f:
        f.write("\n".join(doc))
    print(f"\nwritten to {a.doc}")


if __name__ == "__main__":
    main()
