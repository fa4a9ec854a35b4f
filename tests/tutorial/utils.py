# utils.py (tutorial): helpers for the Caesar server and client.
# The bugs are the tutorial's and are kept: recv_all's error path names
# `lenght`, which does not exist (NameError instead of EOFError), and
# recv_until makes one system call per byte.


def recv_all(sock, length):
    data = b''
    while len(data) < length:
        more = sock.recv(length - len(data))
        if not more:
            raise EOFError('socket closed %d bytes into a %d-byte message'
                           % (len(data), lenght))  # noqa: F821 (the tutorial's bug)
        data += more
    return data


def recv_until(sock, suffix):
    message = sock.recv(1)
    if not message:
        raise EOFError('socket closed')
    while not message.endswith(suffix):
        data = sock.recv(1)
        if not data:
            raise IOError('received {!r} then socket closed'.format(message))
        message += data
    return message
