"""End-to-end tests of `sockit resolve`: compared with Python's own
getaddrinfo/getnameinfo/getservbyname for localhost and numeric addresses
only; unknown names are tried inside `unshare -n`, so no query leaves the
machine."""
import json
import shutil
import socket
import subprocess

import pytest

from conftest import SOCKIT, run, sockit

FAMILIES = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}
TYPES = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM",
         socket.SOCK_RAW: "SOCK_RAW"}
PROTOS = {0: "IPPROTO_IP", socket.IPPROTO_TCP: "IPPROTO_TCP", socket.IPPROTO_UDP: "IPPROTO_UDP"}


def python_view(host, service, family=0, socktype=0, flags=0):
    res = socket.getaddrinfo(host, service, family, socktype, 0, flags | socket.AI_CANONNAME)
    return [{"family": FAMILIES[f], "type": TYPES[t], "protocol": PROTOS[p],
             "canonname": c or None, "address": sa[0], "port": sa[1]} for f, t, p, c, sa in res]


def sockit_view(*args):
    r = sockit("resolve", "--json", *args)
    assert r.returncode == 0, r.stderr
    return [{k: row[k] for k in ("family", "type", "protocol", "canonname", "address", "port")}
            for row in json.loads(r.stdout)]


CASES = [
    (("localhost",), ("localhost", None)),
    (("localhost", "http"), ("localhost", "http")),
    (("localhost", "53"), ("localhost", 53)),
    (("-4", "localhost", "domain"), ("localhost", "domain", socket.AF_INET)),
    (("--type", "dgram", "localhost", "7"), ("localhost", 7, 0, socket.SOCK_DGRAM)),
    (("--type", "raw", "127.0.0.1"), ("127.0.0.1", None, 0, socket.SOCK_RAW)),
    (("-6", "--all", "localhost", "80"),
     ("localhost", 80, socket.AF_INET6, 0, socket.AI_ALL | socket.AI_V4MAPPED)),
    (("--numeric-host", "::1", "8080"), ("::1", 8080, 0, 0, socket.AI_NUMERICHOST)),
    (("--numeric-service", "127.0.0.1", "65432"), ("127.0.0.1", 65432, 0, 0, socket.AI_NUMERICSERV)),
    (("--passive", "--type", "stream", "localhost", "12345"),
     ("localhost", 12345, 0, socket.SOCK_STREAM, socket.AI_PASSIVE)),
]


@pytest.mark.parametrize("args,py", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_matches_python_getaddrinfo(args, py):
    assert sockit_view(*args) == python_view(*py)


def test_table_has_symbolic_names():
    r = sockit("resolve", "localhost", "http")
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["FAMILY", "TYPE", "PROTOCOL", "CANONNAME", "ADDRESS"]
    assert lines[1].split() == ["AF_INET", "SOCK_STREAM", "IPPROTO_TCP", "localhost", "127.0.0.1:80"]


def test_passive_wildcard():
    rows = sockit_view("--passive", "--type", "stream", "*", "80")
    py = socket.getaddrinfo(None, 80, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    assert [(r["family"], r["address"]) for r in rows] == [(FAMILIES[f], sa[0]) for f, _, _, _, sa in py]


def in_empty_netns(cmd):
    return run(["unshare", "-n", *cmd])


def test_unknown_name_inside_unshare_gives_gai_error():
    if not shutil.which("unshare") or in_empty_netns(["true"]).returncode != 0:
        pytest.skip("unshare -n not available")
    py = in_empty_netns(["python3", "-c",
                         "import socket\ntry: socket.getaddrinfo('nosuch.invalid', None)\n"
                         "except socket.gaierror as e: print(e.strerror)"])
    expected = py.stdout.decode().strip()
    assert expected
    r = in_empty_netns([SOCKIT, "resolve", "nosuch.invalid"])
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode() == f"sockit: resolve nosuch.invalid: {expected}\n"


def test_numeric_host_refuses_a_name():
    r = sockit("resolve", "--numeric-host", "localhost")
    assert r.returncode == 1
    assert r.stderr.decode() == "sockit: resolve localhost: Name or service not known\n"


def test_service_name_to_port_both_byte_orders():
    rows = json.loads(sockit("resolve", "--service", "http", "--json").stdout)
    assert rows[0]["port"] == socket.getservbyname("http", "tcp") == 80
    assert rows[0]["proto"] == "tcp" and rows[0]["host_order"] == 80
    assert rows[0]["network_order"] == socket.htons(80) and rows[0]["bytes"] == "00 50"
    assert "www" in rows[0]["aliases"]


def test_service_port_to_name_tcp_and_udp():
    rows = json.loads(sockit("resolve", "--service", "53", "--json").stdout)
    assert [(r["name"], r["proto"]) for r in rows] == [
        (socket.getservbyport(53, "tcp"), "tcp"), (socket.getservbyport(53, "udp"), "udp")]
    text = sockit("resolve", "--service", "53", "--type", "dgram").stdout.decode().splitlines()
    assert len(text) == 2 and text[1].split()[:2] == ["domain", "53/udp"]
    net = socket.htons(53)
    assert f"{net} (0x{net:04x})" in text[1] and "53 (0x0035)" in text[1]


def test_unknown_service():
    r = sockit("resolve", "--service", "nosuch-service")
    assert r.returncode == 1
    assert r.stderr == b"sockit: service nosuch-service: not in /etc/services\n"
    r = sockit("resolve", "--service", "70000")
    assert r.returncode == 2


def test_reverse_lookup_of_loopback():
    host = socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0]
    r = sockit("resolve", "-r", "127.0.0.1")
    assert r.returncode == 0 and r.stdout.decode() == f"127.0.0.1 {host}\n"
    j = json.loads(sockit("resolve", "-r", "127.0.0.1", "80", "--json").stdout)
    assert j == {"address": "127.0.0.1", "host": host,
                 "service": socket.getnameinfo(("127.0.0.1", 80), socket.NI_NAMEREQD)[1]}


def test_reverse_needs_a_numeric_address():
    r = sockit("resolve", "-r", "localhost")
    assert r.returncode == 2 and r.stderr.startswith(b"sockit resolve: -r localhost: ")


@pytest.mark.parametrize("args", [[], ["--type", "seq", "localhost"], ["a", "b", "c"],
                                  ["--bogus"], ["-r", "127.0.0.1", "--service", "http"]])
def test_bad_usage(args):
    r = sockit("resolve", *args)
    # Usage errors read "sockit resolve: ..." (DESIGN.md).
    assert r.returncode == 2 and r.stderr.startswith(b"sockit resolve: ")


def test_help():
    r = sockit("resolve", "--help")
    assert r.returncode == 0 and b"--numeric-service" in r.stdout
