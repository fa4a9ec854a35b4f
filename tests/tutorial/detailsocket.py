#!/usr/bin/env python3
# detailsocket.py (tutorial): what getaddrinfo says about a host and port.
# usage: detailsocket.py [HOST [SERVICE]]
# Python shows family and type as enums and the protocol as a bare number;
# like examples/detailsocket.c we print their symbolic names.
import socket
import sys

PROTOCOLS = {0: 'IPPROTO_IP', socket.IPPROTO_TCP: 'IPPROTO_TCP',
             socket.IPPROTO_UDP: 'IPPROTO_UDP', 132: 'IPPROTO_SCTP'}


def get_address_info(host, port):
    for fam, socktype, proto, canonname, sockaddr in socket.getaddrinfo(
            host, port, 0, 0, 0, socket.AI_CANONNAME):
        print('Family        :', fam.name)
        print('Type          :', socktype.name)
        print('Protocol      :', PROTOCOLS.get(proto, proto))
        print('Canonical name:', repr(canonname))
        print('Socket address:', sockaddr)
        print()


if __name__ == '__main__':
    get_address_info(sys.argv[1] if len(sys.argv) > 1 else 'localhost',
                     sys.argv[2] if len(sys.argv) > 2 else 'http')
