/*
 * handles.c: the table of pending handles.  A handle value is 64 bits from
 * getrandom(), never 0 and never one that is pending, so it cannot be
 * guessed; it is still only usable by its recipient process.  Counts by
 * creator uid live in a small array: there are few distinct uids, and
 * the per-uid cap bounds nothing else.
 */

#include <sys/random.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker-int.h"
#include "handles.h"
#include "htab.h"
#include "objects.h"
#include "procs.h"

#define HANDLES_RANDOM_BATCH	64

struct handles_uid {
	uid_t		uid;
	uint64_t	count;
};

static struct htab		 handles_table;
static struct handles_uid	*handles_uids;
static size_t			 handles_nuids;
static uint64_t			 handles_random[HANDLES_RANDOM_BATCH];
static size_t			 handles_nrandom;

/* Prepare the table. */
void
handles_init(void)
{
	htab_init(&handles_table, offsetof(struct handle, id));
}

/* How many handles are pending, all and made by uid. */
uint64_t
handles_count(void)
{
	return (htab_count(&handles_table));
}

/* Bytes the table itself uses now. */
size_t
handles_table_bytes(void)
{
	return (htab_slots(&handles_table) * sizeof(void *));
}

/* The pending handle with this value, or NULL. */
struct handle *
handles_find(uint64_t id)
{
	if (id == 0)
		return (NULL);
	return (htab_lookup(&handles_table, id));
}

/* Walk the handles (see htab_next()); no change during a walk. */
struct handle *
handles_next(size_t *pos)
{
	return (htab_next(&handles_table, pos));
}

/* A fresh value: random, well-formed (proto.h), not pending; errno. */
static int
handles_new_id(uint64_t *id)
{
	ssize_t	n;

	do {
		if (handles_nrandom == 0) {
			/* One syscall per batch keeps grants cheap. */
			n = getrandom(handles_random, sizeof handles_random, 0);
			if (n != (ssize_t)sizeof handles_random)
				return (n == -1 && errno == EINTR ? EAGAIN :
				    ENOMEM);
			handles_nrandom = HANDLES_RANDOM_BATCH;
		}
		*id = handles_random[--handles_nrandom];
	} while (PROTO_HANDLE_MALFORMED(*id) || handles_find(*id) != NULL);
	return (0);
}

static struct handles_uid *
handles_uid_slot(uid_t uid)
{
	size_t	i;

	for (i = 0; i < handles_nuids; i++)
		if (handles_uids[i].uid == uid)
			return (&handles_uids[i]);
	return (NULL);
}

/* How many handles are pending, all and made by uid. */
uint64_t
handles_uid_count(uid_t uid)
{
	struct handles_uid	*u = handles_uid_slot(uid);

	return (u == NULL ? 0 : u->count);
}

static int
handles_uid_add(uid_t uid)
{
	struct handles_uid	*u;

	if ((u = handles_uid_slot(uid)) == NULL) {
		u = reallocarray(handles_uids, handles_nuids + 1, sizeof *u);
		if (u == NULL)
			return (ENOMEM);
		handles_uids = u;
		u = &handles_uids[handles_nuids++];
		u->uid = uid;
		u->count = 0;
	}
	u->count++;
	return (0);
}

static void
handles_uid_del(uid_t uid)
{
	struct handles_uid	*u = handles_uid_slot(uid);

	if (u == NULL || --u->count != 0)
		return;
	*u = handles_uids[--handles_nuids];
	if (handles_nuids == 0) {
		free(handles_uids);
		handles_uids = NULL;
	}
}

/* Insert h (its id set) and take its references; errno (h freed). */
static int
handles_add(struct handle *h, uint64_t created_ms)
{
	int	error;

	if ((error = handles_uid_add(h->creator_uid)) != 0) {
		free(h);
		return (error);
	}
	if ((error = htab_insert(&handles_table, h)) != 0) {
		handles_uid_del(h->creator_uid);
		free(h);
		return (error);
	}
	h->created_ms = created_ms;
	objects_ref(h->obj);
	h->obj->pending++;
	procs_ref(h->creator);
	h->creator->created++;
	procs_ref(h->recipient);
	procs_link(h->recipient, h);
	return (0);
}

/*
 * Make a handle from the template t (id and links are filled in): it takes
 * references to t->obj, t->creator and t->recipient. Returns errno.
 */
int
handles_create(const struct handle *t, struct handle **out)
{
	struct handle	*h;
	int		 error;

	if ((h = malloc(sizeof *h)) == NULL)
		return (ENOMEM);
	*h = *t;
	if ((error = handles_new_id(&h->id)) != 0) {
		free(h);
		return (error);
	}
	if ((error = handles_add(h, broker_now_ms())) != 0)
		return (error);	/* h is freed */
	*out = h;
	return (0);
}

/* Restore a handle with its own id; see handles.h. */
int
handles_restore(const struct handle *t)
{
	struct handle	*h;

	if (PROTO_HANDLE_MALFORMED(t->id) || handles_find(t->id) != NULL)
		return (EINVAL);
	if ((h = malloc(sizeof *h)) == NULL)
		return (ENOMEM);
	*h = *t;
	return (handles_add(h, t->created_ms));
}

/* Everything handles_destroy() does but leaving the table. */
static void
handles_release(struct handle *h)
{
	handles_uid_del(h->creator_uid);
	procs_unlink(h->recipient, h);
	procs_unref(h->recipient);
	h->creator->created--;
	procs_unref(h->creator);
	h->obj->pending--;
	objects_unref(h->obj);
	free(h);
}

/* Remove a handle and drop its references. */
void
handles_destroy(struct handle *h)
{
	htab_remove(&handles_table, h->id);
	handles_release(h);
}

/* Destroy every handle, quietly (at exit). */
void
handles_free_all(void)
{
	struct handle	*h;
	size_t		 pos = 0;

	/* The walk only reads slots, so records can go as it passes. */
	while ((h = htab_next(&handles_table, &pos)) != NULL)
		handles_release(h);
	htab_free(&handles_table);
	free(handles_uids);
	handles_uids = NULL;
	handles_nuids = 0;
}
