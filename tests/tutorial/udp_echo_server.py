#!/usr/bin/env python3
# Echo Server UDP (tutorial).  usage: udp_echo_server.py [HOST [PORT]]
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 5555

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((HOST, PORT))
print('listening udp://%s:%d echo' % sock.getsockname(), flush=True)
while True:
    data, addr = sock.recvfrom(1024)
    print('received %s bytes from %s' % (len(data), addr), flush=True)
    sock.sendto(data, addr)
