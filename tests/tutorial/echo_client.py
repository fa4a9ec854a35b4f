#!/usr/bin/env python3
# Echo Client (tutorial).  usage: echo_client.py [HOST [PORT [MESSAGE]]]
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 65432
MESSAGE = sys.argv[3].encode() if len(sys.argv) > 3 else b'Hello, world'

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((HOST, PORT))
    s.sendall(MESSAGE)
    data = s.recv(1024)

print('Received', repr(data))
