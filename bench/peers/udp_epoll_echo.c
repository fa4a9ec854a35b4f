/* udp_epoll_echo.c — the bare UDP reference for make bench: one socket,
 * level-triggered epoll, one recvfrom and one sendto per event.
 *
 * usage: udp_epoll_echo [PORT]   (binds 127.0.0.1; prints
 * "listening udp://127.0.0.1:PORT echo") */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)(argc > 1 ? atoi(argv[1]) : 0)),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	static char buf[65536];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("udp_epoll_echo: bind");
		return 1;
	}
	printf("listening udp://127.0.0.1:%d echo\n", ntohs(sa.sin_port));
	fflush(stdout);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[1];
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	for (;;) {
		if (epoll_wait(ep, evs, 1, -1) < 1)
			continue;
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
		if (r >= 0)
			sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&peer, plen);
	}
}
