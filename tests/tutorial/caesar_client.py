#!/usr/bin/env python3
# Caesar client (tutorial).  usage: caesar_client.py HOST PORT e|d SHIFT MESSAGE
import socket
import sys

from utils import recv_until

host, port = sys.argv[1], int(sys.argv[2])
mode, shift, message = sys.argv[3], int(sys.argv[4]), sys.argv[5]

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((host, port))
sock.sendall(('%s%02d%s.' % (mode, shift, message)).encode())
reply = recv_until(sock, b'.').decode()
print(reply[:-1])
sock.close()
