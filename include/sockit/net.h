/* net.h — sockets from endpoints: listen, connect, options. */
#ifndef SOCKIT_NET_H
#define SOCKIT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sockit/endpoint.h"

/* One listener per thread on one address: the first socket is opened with
 * SK_LISTEN_GROUP_FIRST and the others with SK_LISTEN_REUSEPORT.  The
 * first is bound without SO_REUSEPORT, so its bind fails with EADDRINUSE
 * when any other socket holds the address — even one with SO_REUSEPORT of
 * the same user, which the kernel would otherwise let share the port and
 * take half the clients — and SO_REUSEPORT is set on it only after the
 * bind, so the caller's later sockets can join it. */
enum {
	SK_LISTEN_REUSEPORT   = 1 << 0,  /* SO_REUSEPORT before bind: join a group */
	SK_LISTEN_V6ONLY      = 1 << 1,  /* do not accept IPv4 on an IPv6 wildcard */
	SK_LISTEN_GROUP_FIRST = 1 << 2,  /* exclusive bind, then SO_REUSEPORT */
};

/* Open a listening (stream) or bound (datagram) socket on ep: every
 * getaddrinfo result is tried in turn; "*" is one dual-stack IPv6 socket,
 * or IPv4 where IPv6 is off.  SO_REUSEADDR on stream sockets (a restart
 * binds over TIME_WAIT), never on datagram ones, where it would let
 * another socket bind the same port; SOCK_NONBLOCK and SOCK_CLOEXEC from
 * creation.  A UNIX path that exists is replaced only
 * when it is a socket nobody is listening on.  Returns the fd, or -1 with
 * err ("listen tcp://127.0.0.1:80: Permission denied"). */
int sk_listen(const struct sk_endpoint *ep, int backlog, int flags,
              char *err, size_t errlen);

/* Connect to ep, trying every address until one answers within timeout_ms
 * each (-1: the kernel's own timeout).  Datagram endpoints are connected
 * UDP/unixgram sockets (a unixgram client binds an abstract autobind
 * address so it can get replies).  The fd is returned non-blocking and
 * CLOEXEC, with TCP_NODELAY on TCP; -1 with err
 * ("connect 127.0.0.1:1: Connection refused") on failure. */
int sk_connect(const struct sk_endpoint *ep, int timeout_ms,
               char *err, size_t errlen);

/* Start a non-blocking connect to one address: returns the fd with the
 * connect in progress (or done), or -1 with errno.  For the scanner and
 * the load generator, which complete connects through the event loop. */
int sk_connect_start(const struct sockaddr *sa, socklen_t salen, int type);

/* After the loop reports a connecting fd writable: 0 when connected, else
 * the errno of the failed connect (ECONNREFUSED, ETIMEDOUT, ...). */
int sk_connect_result(int fd);

/* Accept one connection, non-blocking and CLOEXEC; -1 with errno
 * (EAGAIN when none is waiting). */
int sk_accept(int lfd, struct sockaddr_storage *peer, socklen_t *peerlen);

/* Raise the soft open-file limit to the hard one, so a server or scanner
 * can hold thousands of sockets; returns the soft limit now in force. */
long sk_raise_fd_limit(void);

/* Socket options, each returning 0 or -1 with errno. */
int sk_set_nodelay(int fd, bool on);
int sk_set_nonblock(int fd, bool on);
int sk_set_bufsizes(int fd, int rcvbuf, int sndbuf);

/* Wait until fd is ready for events (POLLIN/POLLOUT) or timeout_ms passes
 * (-1 forever).  Returns 1 ready, 0 timeout, -1 error; retries EINTR with
 * the time remaining. */
int sk_wait_fd(int fd, short events, int timeout_ms);

#endif
