/*
 * revoke.h: shm_ctl() flags, and revocation.  An object's SHMCTL_* flags
 * and its creator (the first process to shm_ctl() it) live on its record.
 * Consuming a handle of a revocable object makes a grant record (struct
 * rgrant) for the consumer; shm_revoke() sends each target's watcher
 * connection a notice and answers the caller once every target has
 * acknowledged, was killed, or timed out.
 */

#ifndef QSHM_REVOKE_H
#define QSHM_REVOKE_H

#include <stdint.h>

#include "proto.h"

struct handle;
struct object;
struct peer;
struct proc;
struct revoke_wait;

/* A consumed grant of a revocable object: who may hold mappings of it. */
struct rgrant {
	uint64_t		 handle;	/* consumed; 0: the creator */
	struct object		*obj;
	struct proc		*proc;		/* the recipient */
	struct rgrant		*next;		/* every grant */
	struct rgrant		*prev;
	struct rgrant		*pnext;		/* the recipient's */
	struct rgrant		*pprev;
	struct revoke_wait	*wait;		/* the revoke to answer */
	uint64_t		 since_ms;
	uint64_t		 deadline_ms;	/* while REVOKING */
	uint32_t		 notice;	/* id of the notice sent, or 0 */
	pid_t			 creator_pid;
	uid_t			 creator_uid;
	uid_t			 recipient_uid;
	uint8_t			 access;
	uint8_t			 options;
	uint8_t			 enforcement;
	uint8_t			 reason;
	uint8_t			 state;		/* QSHM_STATE_* */
};

/* Which grants a revoke reaches. */
struct revoke_sel {
	struct proc	*target;	/* shm_revoke(): this process, or */
	pid_t		 pid;		/* admin: this pid; -1: everyone */
	uid_t		 uid;		/* admin: who asks (root: any grant) */
	int		 admin;
};

/* Prepare the deadline timer (after the event loop); returns errno. */
int		 revoke_init(void);
/* Drop every grant and waiting revoke, quietly (at exit). */
void		 revoke_free_all(void);
/* The object's flag word: what shm_ctl() set, and SEAL if sealed. */
uint32_t	 revoke_flags(const struct object *, int fd);
/* The same, given the object's seals (-1: unknown). */
uint32_t	 revoke_flags_sealed(const struct object *, int seals);
/* Record that p consumed h (of a revocable object); returns errno. */
int		 revoke_track(struct peer *p, const struct handle *h,
		    struct rgrant **);
/* Forget a grant record (its consumption did not happen). */
void		 revoke_untrack(struct rgrant *);
/* Count o's grants sel reaches, and those the asker may revoke. */
void		 revoke_count(const struct object *, const struct revoke_sel *,
		    uint32_t *matched, uint32_t *allowed);
/*
 * Revoke o's grants that sel reaches and answer request m once they are
 * done; handles is how many unused handles went already.  Returns -1 if
 * the connection must close.
 */
int		 revoke_start(struct peer *, const struct proto_msg *,
		    struct object *, const struct revoke_sel *,
		    uint32_t handles);
/* A process exited: its grants go, its objects lose their creator. */
void		 revoke_exited(struct proc *);
/* A connection closed: forget it as watcher and as one to answer. */
void		 revoke_peer_closed(struct peer *);
/*
 * A restart: add a grant record copied from t (links and wait ignored)
 * with references to t->obj and t->proc; the last notice id sent is
 * *last_notice.  Returns errno; EBUSY from revoke_busy() while a revoke
 * waits for answers (it is not carried over).
 */
int		 revoke_restore(const struct rgrant *t);
uint32_t	*revoke_last_notice_id(void);
int		 revoke_busy(void);
/* The grant after rg (NULL: the first), or NULL. */
struct rgrant	*revoke_next(const struct rgrant *);
/* Describe a grant as qshm_list_handles() shows it. */
void		 revoke_info(const struct rgrant *,
		    struct qshm_handle_info *);

/* Requests (see requests.h): shm_ctl, shm_revoke, watcher, its answer. */
int		 revoke_ctl(struct peer *, struct proto_msg *);
int		 revoke_request(struct peer *, struct proto_msg *);
int		 revoke_watch(struct peer *, struct proto_msg *);
int		 revoke_ack(struct peer *, struct proto_msg *);

#endif /* QSHM_REVOKE_H */
