/*
 * shares.c: per-uid counts of connections, parkings and descriptors in
 * flight.  Few distinct uids use a broker at once, so a small array
 * searched in order does (as handles.c does for its per-uid handles); a
 * uid's slot goes when it holds nothing.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shares.h"

struct share {
	uid_t		uid;
	uint64_t	n[SHARE_NKINDS];
};

static struct share	*shares_v;
static size_t		 shares_n;
static uint64_t		 shares_all[SHARE_NKINDS];

static struct share *
shares_slot(uid_t uid)
{
	size_t	i;

	for (i = 0; i < shares_n; i++)
		if (shares_v[i].uid == uid)
			return (&shares_v[i]);
	return (NULL);
}

static struct share *
shares_new(uid_t uid)
{
	struct share	*s;

	if ((s = reallocarray(shares_v, shares_n + 1, sizeof *s)) == NULL)
		return (NULL);
	shares_v = s;
	s = &shares_v[shares_n++];
	memset(s, 0, sizeof *s);
	s->uid = uid;
	return (s);
}

/* Drop s if it holds nothing any more. */
static void
shares_maybe_drop(struct share *s)
{
	int	k;

	for (k = 0; k < SHARE_NKINDS; k++)
		if (s->n[k] != 0)
			return;
	*s = shares_v[--shares_n];
	if (shares_n == 0) {
		free(shares_v);
		shares_v = NULL;
	}
}

/* Count n more (or fewer, n < 0) of kind for uid; returns errno. */
int
shares_add(uid_t uid, enum share_kind kind, int64_t n)
{
	struct share	*s = shares_slot(uid);
	uint64_t	 less = n < 0 ? (uint64_t)-n : 0;

	if (s == NULL && n <= 0)
		return (0);
	if (s == NULL && (s = shares_new(uid)) == NULL)
		return (ENOMEM);
	if (n >= 0) {
		s->n[kind] += (uint64_t)n;
		shares_all[kind] += (uint64_t)n;
		return (0);
	}
	less = less < s->n[kind] ? less : s->n[kind];
	s->n[kind] -= less;
	shares_all[kind] -= less;
	shares_maybe_drop(s);
	return (0);
}

/* What uid holds of kind now. */
uint64_t
shares_count(uid_t uid, enum share_kind kind)
{
	struct share	*s = shares_slot(uid);

	return (s == NULL ? 0 : s->n[kind]);
}

/* What every uid holds of kind now. */
uint64_t
shares_total(enum share_kind kind)
{
	return (shares_all[kind]);
}

/* Forget everything (at exit). */
void
shares_free_all(void)
{
	size_t	k;

	free(shares_v);
	shares_v = NULL;
	shares_n = 0;
	for (k = 0; k < SHARE_NKINDS; k++)
		shares_all[k] = 0;
}
