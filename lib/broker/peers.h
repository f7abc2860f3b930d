/*
 * peers.h: client connections.  Each is pinned at accept to its peer's
 * pid, uid and gid (SO_PEERCRED) and to its process record, found by the
 * identity key of its pidfd (SO_PEERPIDFD), so what the peer later says
 * about itself is never needed.
 */

#ifndef QSHM_PEERS_H
#define QSHM_PEERS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "loop.h"

struct proc;

struct peer {
	struct loop_ev	 ev;		/* ev.fd is the socket */
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
	struct proc	*proc;
	uint64_t	 inflight;	/* fds sent it, maybe not read yet */
	bool		 paused;	/* not read until it reads its replies */
	struct peer	*prev;
	struct peer	*next;
};

/* Take a new connection (the peer is closed at once over the cap). */
void		peers_accept(int fd);
/* Like peers_accept(); the peer, or NULL if the connection was closed. */
struct peer	*peers_adopt(int fd);
/* The connection after p (NULL: the first), or NULL. */
struct peer	*peers_next(const struct peer *);
/* Send the reply to request m; -1 if the connection must close. */
int		peers_reply(struct peer *, const struct proto_msg *m,
		    const void *payload, size_t len, int fd);
/* Send an errno-only reply to m; -1 if the connection must close. */
int		peers_reply_err(struct peer *, const struct proto_msg *m,
		    int err);
/* A pidfd of the peer's process, or -1. */
int		peers_open_pidfd(const struct peer *);
/* How many connections are open. */
uint64_t	peers_count(void);
/* Close every connection (at exit). */
void		peers_close_all(void);

#endif /* QSHM_PEERS_H */
