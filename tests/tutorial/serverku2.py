#!/usr/bin/env python3
# serverku2.py (tutorial): one client, and it reads the client's answer.
# usage: serverku2.py [HOST [PORT]]
import socket
import sys

s = socket.socket()
host = sys.argv[1] if len(sys.argv) > 1 else socket.gethostname()
port = int(sys.argv[2]) if len(sys.argv) > 2 else 12345
s.bind((host, port))

s.listen(5)
print('listening tcp://%s:%d greet' % s.getsockname(), flush=True)
c, addr = s.accept()
print('Got connection from', addr, flush=True)
c.send(b'Thank you for connecting')
print(c.recv(1024), flush=True)
c.close()
s.close()
