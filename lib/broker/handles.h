/*
 * handles.h: pending handles.  Each is a small record in one hash table
 * keyed by its 64-bit value (see htab.h), bound to an object, its creator
 * and its recipient, and linked into the recipient's list so an exiting
 * recipient's handles can be reclaimed without a scan.
 */

#ifndef QSHM_HANDLES_H
#define QSHM_HANDLES_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct object;
struct proc;

struct handle {
	uint64_t	 id;		/* the table's key; never 0 */
	struct object	*obj;
	struct proc	*creator;
	struct proc	*recipient;
	struct handle	*rnext;		/* the recipient's list */
	struct handle	*rprev;
	uint64_t	 offset;	/* range; length 0: whole object */
	uint64_t	 length;
	uint64_t	 created_ms;
	uint32_t	 creator_uid;	/* at grant time */
	uint32_t	 recipient_uid;
	uint8_t		 access;	/* O_RDONLY, O_WRONLY, O_RDWR */
	uint8_t		 options;	/* SHM_CREATE_HANDLE_OPT_* */
	uint8_t		 enforcement;	/* QSHM_ENF_* */
	uint8_t		 reason;	/* QSHM_WHY_* */
};

/* Prepare the table. */
void		 handles_init(void);
/* Destroy every handle, quietly (at exit). */
void		 handles_free_all(void);
/*
 * Make a handle from the template t (id and links are filled in): it
 * takes references to t->obj, t->creator and t->recipient.  Returns errno.
 */
int		 handles_create(const struct handle *t, struct handle **);
/*
 * Like handles_create(), keeping t->id and t->created_ms (a restart
 * restoring its handles): EINVAL if the id is 0 or pending already.
 */
int		 handles_restore(const struct handle *t);
/* The pending handle with this value, or NULL. */
struct handle	*handles_find(uint64_t id);
/* Remove a handle and drop its references. */
void		 handles_destroy(struct handle *);
/* How many handles are pending, all and made by uid. */
uint64_t	 handles_count(void);
uint64_t	 handles_uid_count(uid_t);
/* Walk the handles (see htab_next()); no change during a walk. */
struct handle	*handles_next(size_t *pos);
/* Bytes the table itself uses now. */
size_t		 handles_table_bytes(void);

#endif /* QSHM_HANDLES_H */
