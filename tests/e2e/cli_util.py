"""Helpers for the command-line kit's tests: tiny hostile servers in
threads (wrong, long, short and trickling echoes), on port 0."""
import socket
import threading
import time


class HostileServer:
    """A TCP or UDP server on 127.0.0.1 port 0 that answers every request
    with reply(data) -- or, with trickle, echoes one byte every `trickle`
    seconds.  Stopped (and its thread joined) by close()."""

    def __init__(self, reply=None, udp=False, trickle=None, drip=None):
        """drip: bytes sent on connect, one every `trickle` seconds."""
        self.reply, self.trickle, self.udp, self.drip = reply, trickle, udp, drip
        kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(("127.0.0.1", 0))
        if not udp:
            self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"{'udp' if udp else 'tcp'}://127.0.0.1:{self.port}"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                if self.udp:
                    data, peer = self.sock.recvfrom(65536)
                    self.sock.sendto(self.reply(data), peer)
                    continue
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        conn.settimeout(0.2)
        with conn:
            for b in self.drip or b"":
                if self.stopping.wait(self.trickle):
                    return
                try:
                    conn.sendall(bytes([b]))
                except OSError:
                    return
            deadline = time.monotonic() + 30   # every loop bounded
            while not self.stopping.is_set() and time.monotonic() < deadline:
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not data:
                    return
                try:
                    if self.trickle:
                        for b in data:
                            if self.stopping.wait(self.trickle):
                                return
                            conn.sendall(bytes([b]))
                    else:
                        conn.sendall(self.reply(data))
                except OSError:
                    return

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()
