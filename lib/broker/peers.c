/*
 * peers.c: connections.  Every socket is non-blocking; one message is
 * handled per wake-up; a malformed message, EOF, or a reply the socket
 * will not take (a client that pipelines without reading) closes that
 * connection and nothing else.
 *
 * Each uid has a share of the connections, and of the descriptors in
 * replies not yet read (in flight: the kernel charges them to the
 * broker's uid, and past its RLIMIT_NOFILE refuses every uid's).  A
 * connection whose uid holds its share is not read (paused) until its
 * replies are: EPOLLOUT, edge-triggered, fires as the peer reads them,
 * and a timer looks again while any connection is paused.
 */

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/sockios.h>

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
#include "shares.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD	77
#endif

#define PEERS_RECHECK_MS	20	/* paused connections looked at again */

static struct peer	*peers_list;
static uint64_t		 peers_n;
static uint64_t		 peers_npaused;
static struct loop_timer peers_timer = { { -1, NULL, NULL }, NULL, NULL };
static bool		 peers_timer_armed;

static void	peers_read(struct loop_ev *, uint32_t);
static void	peers_recheck(void *);
static void	peers_close(struct peer *);
static void	peers_release(struct peer *);

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

/*
 * Whether uid may open one more connection: within its share, or past it
 * while a share stays free for the others (connections come and go, and
 * one uid's many processes are a common load; parkings and fds in flight
 * have no such slack).
 */
static bool
peers_uid_room(uid_t uid)
{
	uint64_t	share = broker_share(broker_cfg->max_connections,
			    broker_cfg->max_connections_per_uid);

	return (shares_count(uid, SHARE_CONNS) < share ||
	    peers_n + share < broker_cfg->max_connections);
}

/* Undo a connection peers_adopt() will not take. */
static void
peers_drop(struct peer *p)
{
	if (p->proc != NULL) {
		p->proc->conns--;
		procs_maybe_unwatch(p->proc);
		procs_unref(p->proc);
	}
	close(p->ev.fd);
	free(p);
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
	if (peers_identify(p, fd) != 0 || !peers_uid_room(p->uid) ||
	    shares_add(p->uid, SHARE_CONNS, 1) != 0) {
		peers_drop(p);
		return (NULL);
	}
	if (loop_add(&p->ev, EPOLLIN) != 0) {
		(void)shares_add(p->uid, SHARE_CONNS, -1);
		peers_drop(p);
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
	if (p->paused)
		peers_npaused--;
	peers_release(p);
	(void)shares_add(p->uid, SHARE_CONNS, -1);
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
	loop_timer_done(&peers_timer);
	peers_timer_armed = false;
	peerproof_done();
}

/* Send the reply to request m; -1 if the connection must close. */
int
peers_reply(struct peer *p, const struct proto_msg *m, const void *payload,
    size_t len, int fd)
{
	if (proto_send(p->ev.fd, m->hdr.type | PROTO_REPLY, m->hdr.id,
	    payload, len, fd) == -1)
		return (-1);
	if (fd != -1 && shares_add(p->uid, SHARE_INFLIGHT, 1) == 0)
		p->inflight++;
	return (0);
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

/* Forget p's fds in flight. */
static void
peers_release(struct peer *p)
{
	if (p->inflight == 0)
		return;
	(void)shares_add(p->uid, SHARE_INFLIGHT, -(int64_t)p->inflight);
	p->inflight = 0;
}

/*
 * Release p's fds once it has read every reply: SIOCOUTQ counts what its
 * queue still holds of ours.  Until then all of them count as in flight.
 */
static void
peers_refresh(struct peer *p)
{
	int	n;

	if (p->inflight != 0 && ioctl(p->ev.fd, SIOCOUTQ, &n) == 0 && n == 0)
		peers_release(p);
}

static void
peers_refresh_all(void)
{
	struct peer	*q;

	for (q = peers_list; q != NULL; q = q->next)
		peers_refresh(q);
}

/* Whether p's uid, or the broker, has no room for one more fd in flight. */
static bool
peers_full(const struct peer *p)
{
	uint64_t	cap = broker_inflight_cap();

	return (shares_total(SHARE_INFLIGHT) >= cap ||
	    shares_count(p->uid, SHARE_INFLIGHT) >=
	    broker_share(cap, broker_cfg->max_inflight_per_uid));
}

/*
 * Whether a request of p may be read now (its reply may carry an fd).  A
 * watcher with no fd of its own in flight is read: its answers to notices
 * must not wait for its uid's other connections.
 */
static bool
peers_may_read(struct peer *p)
{
	peers_refresh(p);
	if (!peers_full(p))
		return (true);
	peers_refresh_all();
	return (!peers_full(p) ||
	    (p->inflight == 0 && p->proc->watcher == p));
}

static void
peers_recheck_arm(void)
{
	if (peers_timer_armed)
		return;
	if (peers_timer.ev.fd == -1 &&
	    loop_timer_init(&peers_timer, peers_recheck, NULL) != 0)
		return;
	peers_timer_armed = loop_timer_arm(&peers_timer,
	    PEERS_RECHECK_MS) == 0;
}

/*
 * Stop reading p; EPOLLOUT tells when it reads what we sent.  Returns
 * errno (p is read on rather than left spinning).
 */
static int
peers_pause(struct peer *p)
{
	int	error;

	if ((error = loop_mod(&p->ev, EPOLLOUT | EPOLLET)) != 0)
		return (error);
	p->paused = true;
	peers_npaused++;
	peers_recheck_arm();
	return (0);
}

static void
peers_resume(struct peer *p)
{
	if (loop_mod(&p->ev, EPOLLIN) != 0)
		return;
	p->paused = false;
	peers_npaused--;
}

/* Resume the paused connections that may be read again. */
static void
peers_resume_all(void)
{
	struct peer	*q;

	peers_refresh_all();
	for (q = peers_list; q != NULL; q = q->next)
		if (q->paused && !peers_full(q))
			peers_resume(q);
}

/* The timer: resume what may be read again; look later at the rest. */
static void
peers_recheck(void *arg)
{
	(void)arg;
	peers_timer_armed = false;
	peers_resume_all();
	if (peers_npaused > 0)
		peers_recheck_arm();
}

/*
 * A paused connection read some replies, or hung up.  Once it has read
 * them all, its uid's other connections may have room again too.
 */
static void
peers_paused_event(struct peer *p, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR)) {
		peers_close(p);
		return;
	}
	peers_refresh(p);
	if (p->inflight == 0)
		peers_resume_all();
}

static void
peers_read(struct loop_ev *ev, uint32_t events)
{
	struct peer		*p = ev->arg;
	struct proto_msg	 m;
	int			 rc;

	if (p->paused) {
		peers_paused_event(p, events);
		return;
	}
	if (!peers_may_read(p) && peers_pause(p) == 0)
		return;
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
