#!/usr/bin/env python3
# Echo Client UDP (tutorial).  usage: udp_echo_client.py [HOST [PORT [MESSAGE]]]
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 5555
MESSAGE = sys.argv[3].encode() if len(sys.argv) > 3 else b'Hello, world'

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(MESSAGE, (HOST, PORT))
data, server = sock.recvfrom(1024)
print('Received', repr(data))
sock.close()
