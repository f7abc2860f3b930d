/*
 * requests.h: the broker's request handlers.  Each reads like the spec:
 * validate, check policy, act, audit, reply.  A handler returns -1 only
 * when the connection must close (its reply could not be sent).
 */

#ifndef QSHM_REQUESTS_H
#define QSHM_REQUESTS_H

#include "proto.h"

struct peer;

/* Run the handler for a decoded request; -1: close the connection. */
int	requests_dispatch(struct peer *, struct proto_msg *);

/* Handles: requests.c. */
int	requests_grant(struct peer *, struct proto_msg *);
int	requests_open(struct peer *, struct proto_msg *);
int	requests_delete(struct peer *, struct proto_msg *);

/* Administration: admin.c. */
int	admin_limit(struct peer *, struct proto_msg *);
int	admin_list(struct peer *, struct proto_msg *);
int	admin_stats(struct peer *, struct proto_msg *);
int	admin_park(struct peer *, struct proto_msg *);
int	admin_parked_open(struct peer *, struct proto_msg *);
int	admin_unpark(struct peer *, struct proto_msg *);
int	admin_revoke(struct peer *, struct proto_msg *);
struct object;
struct revoke_sel;
/* Destroy the handles and revoke the grants sel reaches; answer m. */
int	admin_revoke_run(struct peer *, struct proto_msg *, struct object *,
	    const struct revoke_sel *);

#endif /* QSHM_REQUESTS_H */
