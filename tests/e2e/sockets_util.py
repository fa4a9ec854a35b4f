"""A known set of sockets for the `sockit sockets` tests.

SocketSet opens, in this process: TCP listeners and established pairs over
IPv4 and IPv6 (with unread bytes so Recv-Q is not zero, and a listener with
a connection not yet accepted), UDP unconnected and connected sockets, and
UNIX stream/datagram sockets (path, abstract and unnamed).  All on loopback.

Run as a script inside a fresh network namespace it records the dump that
tests/data/sockets.dump holds:

    unshare -n sh -c 'ip link set lo up; python3 tests/e2e/sockets_util.py \
        build/sockit tests/data/sockets.dump'
"""
import os
import socket
import subprocess
import sys
import tempfile


class SocketSet:
    def __init__(self, tmpdir, time_wait=False):
        self.socks = []
        self.tmpdir = tmpdir
        self.tcp4 = self._tcp_pair(socket.AF_INET, "127.0.0.1", b"x" * 100, None)
        self.tcp6 = self._tcp_pair(socket.AF_INET6, "::1", None, b"y" * 7)
        self.backlog = self._pending_listener()
        self.udp = self._udp()
        self.unix_path = os.path.join(tmpdir, "sockets-test.sock")
        self.unix = self._unix()
        if time_wait:
            self._time_wait()

    def _keep(self, s):
        self.socks.append(s)
        return s

    def _tcp_pair(self, family, host, to_server, to_client):
        """Listener, client, accepted: returns dict of ports and sockets."""
        lst = self._keep(socket.socket(family, socket.SOCK_STREAM))
        lst.bind((host, 0))
        lst.listen(17)
        cli = self._keep(socket.socket(family, socket.SOCK_STREAM))
        cli.connect(lst.getsockname()[:2])
        srv, _ = lst.accept()
        self._keep(srv)
        if to_server:
            cli.sendall(to_server)
        if to_client:
            srv.sendall(to_client)
        return {"listen": lst.getsockname()[1], "client": cli.getsockname()[1],
                "host": host, "listener": lst, "cli": cli, "srv": srv}

    def _pending_listener(self):
        """A listener with one connection in its accept queue."""
        lst = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        lst.bind(("127.0.0.1", 0))
        lst.listen(5)
        cli = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        cli.connect(lst.getsockname())
        return {"listen": lst.getsockname()[1], "client": cli.getsockname()[1]}

    def _time_wait(self):
        """A connection closed client first: the client end stays in TIME-WAIT."""
        lst = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        cli = socket.create_connection(lst.getsockname())
        srv, _ = lst.accept()
        cli.close()
        srv.recv(1)
        srv.close()

    def _udp(self):
        a = self._keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        a.bind(("127.0.0.1", 0))
        b = self._keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        b.connect(a.getsockname())
        b.send(b"datagram")
        c = self._keep(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
        c.bind(("::1", 0))
        return {"bound": a.getsockname()[1], "connected": b.getsockname()[1],
                "bound6": c.getsockname()[1]}

    def _unix(self):
        lst = self._keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        lst.bind(self.unix_path)
        lst.listen(3)
        cli = self._keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        cli.connect(self.unix_path)
        srv, _ = lst.accept()
        self._keep(srv)
        cli.sendall(b"z" * 11)
        dg = self._keep(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
        # The abstract namespace is per network namespace, shared by every
        # process in it: a fixed name collides with a concurrent run.
        self.abstract_name = f"sockit-test-abstract-{os.getpid()}-{id(self)}"
        dg.bind(b"\0" + self.abstract_name.encode())
        p1, p2 = socket.socketpair()
        self._keep(p1)
        self._keep(p2)
        return {"listener": lst.fileno(), "cli": cli, "srv": srv}

    def inode(self, s):
        return os.fstat(s.fileno()).st_ino

    def close(self):
        for s in self.socks:
            s.close()
        try:
            os.unlink(self.unix_path)
        except FileNotFoundError:
            pass


def record(sockit, out):
    with tempfile.TemporaryDirectory() as d:
        s = SocketSet(d, time_wait=True)
        subprocess.run([sockit, "sockets", "--record-dump", out, "-a"], check=True,
                       stdout=subprocess.DEVNULL)
        s.close()


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2])
