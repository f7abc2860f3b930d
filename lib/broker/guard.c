/*
 * guard.c: the allowance of failed handle lookups of each uid (see
 * guard.h), a token bucket per uid in a small array: only uids that
 * failed a lookup have an entry, and an entry back at a full allowance
 * may be given to another uid when the array is full.
 */

#include <stdlib.h>

#include "guard.h"

struct guard_uid {
	uid_t		uid;
	uint32_t	tokens;
	uint64_t	last_ms;	/* tokens were counted then */
	uint64_t	until_ms;	/* penalized before this */
};

static struct guard_uid	*guard_uids;
static size_t		 guard_n, guard_cap;

/* Bring e's allowance up to now. */
static void
guard_refill(struct guard_uid *e, uint64_t now)
{
	uint64_t	gained;

	if (now < e->until_ms)
		return;
	if (e->tokens == 0) {
		/* The penalty is served: a full allowance again. */
		e->tokens = GUARD_BURST;
		e->last_ms = now;
		return;
	}
	gained = (now - e->last_ms) / GUARD_RATE_MS;
	if (gained >= GUARD_BURST - e->tokens)
		e->tokens = GUARD_BURST;
	else
		e->tokens += (uint32_t)gained;
	e->last_ms += gained * GUARD_RATE_MS;
}

static struct guard_uid *
guard_find(uid_t uid)
{
	size_t	i;

	for (i = 0; i < guard_n; i++)
		if (guard_uids[i].uid == uid)
			return (&guard_uids[i]);
	return (NULL);
}

/* A new entry for uid: appended, or one back at a full allowance. */
static struct guard_uid *
guard_add(uid_t uid, uint64_t now)
{
	struct guard_uid	*e = NULL, *n;
	size_t			 i;

	if (guard_n == guard_cap && guard_cap < GUARD_MAX_UIDS) {
		n = reallocarray(guard_uids, guard_cap + 64, sizeof *n);
		if (n != NULL) {
			guard_uids = n;
			guard_cap += 64;
		}
	}
	if (guard_n < guard_cap)
		e = &guard_uids[guard_n++];
	for (i = 0; e == NULL && i < guard_n; i++) {
		guard_refill(&guard_uids[i], now);
		if (guard_uids[i].tokens == GUARD_BURST)
			e = &guard_uids[i];
	}
	if (e == NULL)
		return (NULL);
	e->uid = uid;
	e->tokens = GUARD_BURST;
	e->last_ms = now;
	e->until_ms = 0;
	return (e);
}

/* Whether uid may look handles up at now_ms (false: it is penalized). */
bool
guard_allowed(uid_t uid, uint64_t now_ms)
{
	struct guard_uid	*e = guard_find(uid);

	if (e == NULL)
		return (true);
	guard_refill(e, now_ms);
	return (e->tokens > 0);
}

/* Count a failed lookup; true if it started uid's penalty. */
bool
guard_failed(uid_t uid, uint64_t now_ms)
{
	struct guard_uid	*e;

	if ((e = guard_find(uid)) == NULL &&
	    (e = guard_add(uid, now_ms)) == NULL)
		return (false);	/* 4096 uids guessing at once: let them */
	guard_refill(e, now_ms);
	if (e->tokens == 0)
		return (false);
	if (--e->tokens > 0)
		return (false);
	e->until_ms = now_ms + GUARD_PENALTY_MS;
	return (true);
}

/* Forget every uid (at exit). */
void
guard_free_all(void)
{
	free(guard_uids);
	guard_uids = NULL;
	guard_n = guard_cap = 0;
}
