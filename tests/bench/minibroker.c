/*
 * minibroker.c: the least a handle broker can do, as the baseline of the
 * throughput figure.  It takes a listening SOCK_SEQPACKET socket on fd 0,
 * keeps each granted fd under a counter id, and sends it back to whoever
 * asks for that id: no identity, no policy, no reopen, no audit.  One
 * epoll loop, one message per wake-up, as the real broker.
 */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"

#define MINI_SLOTS	65536		/* pending fds; a power of two */
#define MINI_EVENTS	64

static int	mini_fd[MINI_SLOTS];
static uint64_t	mini_id[MINI_SLOTS];
static uint64_t	mini_next = 1;

static void
mini_grant(struct mini_msg *m, int fd)
{
	size_t	slot = mini_next & (MINI_SLOTS - 1);

	if (fd == -1 || mini_id[slot] != 0) {
		if (fd != -1)
			close(fd);
		m->err = fd == -1 ? EBADF : EAGAIN;
		return;
	}
	mini_id[slot] = mini_next;
	mini_fd[slot] = fd;
	m->id = mini_next++;
}

static int
mini_open(struct mini_msg *m)
{
	size_t	slot = m->id & (MINI_SLOTS - 1);
	int	fd;

	if (m->id == 0 || mini_id[slot] != m->id) {
		m->err = ESRCH;
		return (-1);
	}
	fd = mini_fd[slot];
	mini_id[slot] = 0;
	return (fd);
}

/* One request; -1: drop the connection. */
static int
mini_serve(int c)
{
	struct mini_msg	m;
	int		fd, rc;

	if (fdpass_recv(c, &m, sizeof m, &fd) == -1)
		return (errno == EAGAIN ? 0 : -1);
	m.err = 0;
	if (m.op == MINI_GRANT) {
		mini_grant(&m, fd);
		return (fdpass_send(c, &m, sizeof m, -1));
	}
	if (fd != -1)
		close(fd);
	if (m.op != MINI_OPEN)
		return (-1);
	fd = mini_open(&m);
	rc = fdpass_send(c, &m, sizeof m, fd);
	if (fd != -1)
		close(fd);
	return (rc);
}

static int
mini_watch(int ep, int fd)
{
	struct epoll_event	e;

	memset(&e, 0, sizeof e);
	e.events = EPOLLIN;
	e.data.fd = fd;
	return (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
}

int
main(void)
{
	struct epoll_event	ev[MINI_EVENTS];
	int			ep, n, i, c;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    mini_watch(ep, STDIN_FILENO) == -1) {
		perror("minibroker");
		return (1);
	}
	for (;;) {
		if ((n = epoll_wait(ep, ev, MINI_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			perror("minibroker: epoll_wait");
			return (1);
		}
		for (i = 0; i < n; i++) {
			c = ev[i].data.fd;
			if (c != STDIN_FILENO) {
				if (mini_serve(c) == -1)
					close(c);	/* leaves the epoll set */
				continue;
			}
			c = accept4(STDIN_FILENO, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (c != -1 && mini_watch(ep, c) == -1)
				close(c);
		}
	}
}
