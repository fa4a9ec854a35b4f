#!/usr/bin/env python3
# Caesar server (tutorial).  usage: caesar_server.py [HOST [PORT]]
# Request: (e|d)NN<message>.   Reply: <result>.
import socket
import sys

from utils import recv_until

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 5555


def caesar(text, shift):
    result = ''
    for ch in text:
        if 'a' <= ch <= 'z':
            result += chr((ord(ch) - ord('a') + shift) % 26 + ord('a'))
        elif 'A' <= ch <= 'Z':
            result += chr((ord(ch) - ord('A') + shift) % 26 + ord('A'))
        else:
            result += ch
    return result


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind((HOST, PORT))
sock.listen(1)
print('listening tcp://%s:%d caesar' % sock.getsockname(), flush=True)
while True:
    conn, addr = sock.accept()
    print('Connected by', addr, flush=True)
    try:
        while True:
            message = recv_until(conn, b'.').decode()
            mode = message[0]
            shift = int(message[1:3])
            text = message[3:-1]
            if mode == 'e':
                result = caesar(text, shift)
            else:
                result = caesar(text, -shift)
            conn.sendall((result + '.').encode())
    except EOFError:
        conn.close()
