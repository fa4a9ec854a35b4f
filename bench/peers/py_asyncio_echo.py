#!/usr/bin/env python3
"""py_asyncio_echo.py — the asyncio streams echo server of the Python
documentation, the asyncio peer of make bench.

usage: py_asyncio_echo.py [PORT]   (binds 127.0.0.1; prints
"listening tcp://127.0.0.1:PORT echo")"""
import asyncio
import socket
import sys


async def handle(reader, writer):
    writer.get_extra_info("socket").setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening tcp://127.0.0.1:{bound} echo", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
