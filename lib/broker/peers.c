/*
 * peers.c: connections.  Every socket is non-blocking; one message is
 * handled per wake-up; a malformed message, EOF, or a reply the socket
 * will not take (a client that pipelines without reading) closes that
 * connection and nothing else.
 */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-int.h"
#include "ident.h"
#include "peerproof.h"
#include "peers.h"
#include "procs.h"
#include "requests.h"
#include "revoke.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD	77
#endif

static struct peer	*peers_list;
static uint64_t		 peers_n;

static void	peers_read(struct loop_ev *, uint32_t);

/* How many connections are open. */
uint64_t
peers_count(void)
{
	return (peers_n);
}

/*
 * A pidfd of the process that connected: the kernel's (SO_PEERPIDFD), or,
 * where the kernel predates it (ENOPROTOOPT: before 6.5), one proved to
 * hold this connection (peerproof.c).  Any other failure of SO_PEERPIDFD
 * means the peer has gone (6.5 to 6.15 fail so for an exited peer): then
 * the pid may already name another process, and nothing is tried by it.
 */
static int
peers_pidfd(int fd, const struct ucred *uc)
{
	socklen_t	len = sizeof(int);
	int		pidfd = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0) {
		if (len == sizeof(int) && pidfd >= 0)
			return (pidfd);
		errno = EPROTO;
		return (-1);
	}
	if (errno != ENOPROTOOPT) {
		errno = ESRCH;
		return (-1);
	}
	return (peerproof_pidfd(fd, uc->pid, uc->uid));
}

/*
 * A pidfd of the peer's process, or -1: a copy of the one its record holds
 * while it is connected, never one opened afresh by pid (which could name
 * a later process with the same number).
 */
int
peers_open_pidfd(const struct peer *p)
{
	if (p->proc->ev.fd == -1) {
		errno = ESRCH;
		return (-1);
	}
	return (fcntl(p->proc->ev.fd, F_DUPFD_CLOEXEC, 0));
}

static int
peers_identify(struct peer *p, int fd)
{
	struct ucred	uc;
	socklen_t	len = sizeof uc;
	uint64_t	key;
	int		pidfd, error;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1 ||
	    len != sizeof uc)
		return (EPROTO);
	if ((pidfd = peers_pidfd(fd, &uc)) == -1)
		return (errno);
	/* Since 6.16 a pidfd may stand for a peer that has exited. */
	if (!ident_alive(pidfd) ||
	    (error = ident_key(pidfd, uc.pid, &key)) != 0) {
		close(pidfd);
		return (ESRCH);
	}
	if ((p->proc = procs_get(key, uc.pid, uc.uid, uc.gid)) == NULL) {
		close(pidfd);
		return (ENOMEM);
	}
	p->proc->conns++;
	/*
	 * Watched while connected: its exit is seen at once, the record then
	 * retires (procs.c), and peers_open_pidfd() has the fd to copy.
	 */
	if ((error = procs_watch(p->proc, pidfd)) != 0)
		return (error);
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	return (0);
}

/* The connection after p (NULL: the first), or NULL. */
struct peer *
peers_next(const struct peer *p)
{
	return (p == NULL ? peers_list : p->next);
}

/* Take a new connection (the peer is closed at once over the cap). */
void
peers_accept(int fd)
{
	(void)peers_adopt(fd);
}

/* Like peers_accept(); the peer, or NULL if the connection was closed. */
struct peer *
peers_adopt(int fd)
{
	struct peer	*p;

	if (peers_n >= broker_cfg->max_connections ||
	    (p = calloc(1, sizeof *p)) == NULL) {
		close(fd);
		return (NULL);
	}
	p->ev.fd = fd;
	p->ev.fn = peers_read;
	p->ev.arg = p;
	if (peers_identify(p, fd) != 0 || loop_add(&p->ev, EPOLLIN) != 0) {
		if (p->proc != NULL) {
			p->proc->conns--;
			procs_maybe_unwatch(p->proc);
			procs_unref(p->proc);
		}
		close(fd);
		free(p);
		return (NULL);
	}
	p->next = peers_list;
	if (peers_list != NULL)
		peers_list->prev = p;
	peers_list = p;
	peers_n++;
	broker_stats.connections_total++;
	return (p);
}

static void
peers_close(struct peer *p)
{
	revoke_peer_closed(p);
	loop_del(&p->ev);
	close(p->ev.fd);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		peers_list = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	peers_n--;
	p->proc->conns--;
	procs_maybe_unwatch(p->proc);
	procs_unref(p->proc);
	free(p);
}

/* Close every connection (at exit). */
void
peers_close_all(void)
{
	while (peers_list != NULL)
		peers_close(peers_list);
	peerproof_done();
}

/* Send the reply to request m; -1 if the connection must close. */
int
peers_reply(struct peer *p, const struct proto_msg *m, const void *payload,
    size_t len, int fd)
{
	return (proto_send(p->ev.fd, m->hdr.type | PROTO_REPLY, m->hdr.id,
	    payload, len, fd));
}

/* Send an errno-only reply to m; -1 if the connection must close. */
int
peers_reply_err(struct peer *p, const struct proto_msg *m, int err)
{
	unsigned char	buf[PROTO_MAX_PAYLOAD];
	ssize_t		len = proto_payload_size(m->hdr.type | PROTO_REPLY);
	int32_t		e = err;

	if (len < (ssize_t)sizeof e)
		return (-1);
	memset(buf, 0, (size_t)len);
	memcpy(buf, &e, sizeof e);
	broker_count_denial(err);
	return (peers_reply(p, m, buf, (size_t)len, -1));
}

/*
 * Name our version to a client speaking another, then hang up.  The reply
 * has the shape our version gives the type, so a client of our version
 * (one that sent a bad header) could decode it too.
 */
static void
peers_version(struct peer *p, const struct proto_msg *m)
{
	unsigned char	buf[PROTO_MAX_PAYLOAD];
	uint16_t	type = m->hdr.type | PROTO_REPLY;
	ssize_t		len = proto_payload_size(type);
	int32_t		err = EPROTONOSUPPORT;

	if (len < (ssize_t)sizeof err) {
		type = PROTO_STATS | PROTO_REPLY;
		len = proto_payload_size(type);
	}
	memset(buf, 0, (size_t)len);
	memcpy(buf, &err, sizeof err);
	(void)proto_send(p->ev.fd, type, m->hdr.id, buf, (size_t)len, -1);
}

static void
peers_read(struct loop_ev *ev, uint32_t events)
{
	struct peer		*p = ev->arg;
	struct proto_msg	 m;
	int			 rc;

	(void)events;
	if (proto_recv(ev->fd, &m) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno == EPROTONOSUPPORT)
			peers_version(p, &m);
		else if (errno == EBADMSG || errno == EPROTO)
			broker_stats.bad_messages++;
		peers_close(p);
		return;
	}
	if (m.hdr.type == (PROTO_NOTICE | PROTO_REPLY))
		rc = revoke_ack(p, &m);
	else if (m.hdr.type & PROTO_REPLY) {
		/* A well-formed reply is still no request. */
		broker_stats.bad_messages++;
		rc = -1;
	} else
		rc = requests_dispatch(p, &m);
	proto_msg_clear(&m);
	if (rc == -1)
		peers_close(p);
}
