#!/usr/bin/env python3
# Echo Server (tutorial).  usage: echo_server.py [HOST [PORT]]
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 65432

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen()
print('listening tcp://%s:%d echo' % s.getsockname(), flush=True)
while True:
    conn, addr = s.accept()
    print('Connected by', addr, flush=True)
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.sendall(data)
