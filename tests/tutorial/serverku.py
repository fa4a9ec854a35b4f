#!/usr/bin/env python3
# serverku.py (tutorial).  usage: serverku.py [HOST [PORT]]
# The tutorial binds socket.gethostname(); the tests pass 127.0.0.1.
import socket
import sys

s = socket.socket()
host = sys.argv[1] if len(sys.argv) > 1 else socket.gethostname()
port = int(sys.argv[2]) if len(sys.argv) > 2 else 12345
s.bind((host, port))

s.listen(5)
print('listening tcp://%s:%d greet' % s.getsockname(), flush=True)
while True:
    c, addr = s.accept()
    print('Got connection from', addr, flush=True)
    c.send(b'Thank you for connecting')
    c.close()
