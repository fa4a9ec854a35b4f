#!/usr/bin/env python3
# Echo Client UDP 2 (tutorial): the connected-socket version.
# usage: udp_echo_client2.py [HOST [PORT [MESSAGE]]]
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 5555
MESSAGE = sys.argv[3].encode() if len(sys.argv) > 3 else b'Hello, world'

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.connect((HOST, PORT))
sock.send(MESSAGE)
data = sock.recv(1024)
print('Received', repr(data))
sock.close()
