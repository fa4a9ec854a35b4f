#!/usr/bin/env python3
"""py_threaded_echo.py — the tutorial-style Python echo server for make
bench: one thread per connection, blocking recv/sendall.

usage: py_threaded_echo.py [PORT]   (binds 127.0.0.1; prints
"listening tcp://127.0.0.1:PORT echo")"""
import socket
import sys
import threading


def handle(conn):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(4096)
        print(f"listening tcp://127.0.0.1:{s.getsockname()[1]} echo", flush=True)
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
