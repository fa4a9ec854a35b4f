#!/usr/bin/env python3
# clientku.py (tutorial).  usage: clientku.py [HOST [PORT [REPLY]]]
import socket
import sys

s = socket.socket()
host = sys.argv[1] if len(sys.argv) > 1 else socket.gethostname()
port = int(sys.argv[2]) if len(sys.argv) > 2 else 12345
reply = sys.argv[3].encode() if len(sys.argv) > 3 else b'Hello from the client'

s.connect((host, port))
print(s.recv(1024))
s.send(reply)
s.close()
