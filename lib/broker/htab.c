/*
 * htab.c: open addressing with linear probing and backward-shift deletion
 * (no tombstones, so lookups of absent keys stay short however many
 * removals there were).  Keys are mixed before use: handle values are
 * random, but process keys (pidfs inode numbers) and inode numbers are
 * dense, and a hostile client must not be able to pile keys into one run.
 * The table doubles above 3/4 full and halves below 1/8.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"

static uint64_t
htab_key(const struct htab *t, const void *rec)
{
	uint64_t	k;

	memcpy(&k, (const char *)rec + t->keyoff, sizeof k);
	return (k);
}

/* splitmix64's finalizer: every input bit moves every output bit. */
static uint64_t
htab_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

/* Prepare an empty table of records whose key sits at keyoff. */
void
htab_init(struct htab *t, size_t keyoff)
{
	memset(t, 0, sizeof *t);
	t->keyoff = keyoff;
}

/* Free the slots (not the records). */
void
htab_free(struct htab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->count = 0;
}

/* The slot a key hashes to first (for tests of collisions). */
size_t
htab_home(const struct htab *t, uint64_t key)
{
	return ((size_t)htab_mix(key) & t->mask);
}

/* How many records the table holds. */
size_t
htab_count(const struct htab *t)
{
	return (t->count);
}

/* How many slots the table has. */
size_t
htab_slots(const struct htab *t)
{
	return (t->slots == NULL ? 0 : t->mask + 1);
}

/* The slot holding key, or of the empty slot where it would go. */
static size_t
htab_find(const struct htab *t, uint64_t key)
{
	size_t	i;

	for (i = htab_home(t, key); t->slots[i] != NULL; i = (i + 1) & t->mask)
		if (htab_key(t, t->slots[i]) == key)
			break;
	return (i);
}

static int
htab_resize(struct htab *t, size_t nslots)
{
	struct htab	 n;
	size_t		 i;

	n = *t;
	n.slots = calloc(nslots, sizeof *n.slots);
	if (n.slots == NULL)
		return (ENOMEM);
	n.mask = nslots - 1;
	for (i = 0; t->slots != NULL && i <= t->mask; i++)
		if (t->slots[i] != NULL)
			n.slots[htab_find(&n, htab_key(t, t->slots[i]))] =
			    t->slots[i];
	free(t->slots);
	*t = n;
	return (0);
}

/* Insert a record; EEXIST if its key is present, ENOMEM. Returns errno. */
int
htab_insert(struct htab *t, void *rec)
{
	size_t	i, nslots = htab_slots(t);
	int	error;

	if (t->slots == NULL || (t->count + 1) * 4 > nslots * 3) {
		if (nslots > SIZE_MAX / 2 / sizeof *t->slots)
			return (ENOMEM);
		nslots = nslots == 0 ? HTAB_MIN_SLOTS : nslots * 2;
		if ((error = htab_resize(t, nslots)) != 0)
			return (error);
	}
	i = htab_find(t, htab_key(t, rec));
	if (t->slots[i] != NULL)
		return (EEXIST);
	t->slots[i] = rec;
	t->count++;
	return (0);
}

/* The record with this key, or NULL. */
void *
htab_lookup(const struct htab *t, uint64_t key)
{
	if (t->slots == NULL)
		return (NULL);
	return (t->slots[htab_find(t, key)]);
}

/* True if slot j's record, whose home is h, may not move back to hole i. */
static int
htab_stays(size_t i, size_t j, size_t h)
{
	if (i <= j)
		return (i < h && h <= j);
	return (i < h || h <= j);
}

/* Remove and return the record with this key, or NULL. */
void *
htab_remove(struct htab *t, uint64_t key)
{
	void	*rec;
	size_t	 i, j;

	if (t->slots == NULL || (rec = t->slots[i = htab_find(t, key)]) == NULL)
		return (NULL);
	/* Pull later members of the run back so no probe meets a hole. */
	for (j = (i + 1) & t->mask; t->slots[j] != NULL;
	    j = (j + 1) & t->mask) {
		if (htab_stays(i, j, htab_home(t, htab_key(t, t->slots[j]))))
			continue;
		t->slots[i] = t->slots[j];
		i = j;
	}
	t->slots[i] = NULL;
	t->count--;
	/* Give memory back after a burst; failing to shrink is harmless. */
	if (t->mask + 1 > HTAB_MIN_SLOTS && t->count * 8 < t->mask + 1)
		(void)htab_resize(t, (t->mask + 1) / 2);
	return (rec);
}

/*
 * The next record at or after slot *pos (start at 0), or NULL at the end.
 * The table must not change during a walk.
 */
void *
htab_next(const struct htab *t, size_t *pos)
{
	for (; t->slots != NULL && *pos <= t->mask; (*pos)++)
		if (t->slots[*pos] != NULL)
			return (t->slots[(*pos)++]);
	return (NULL);
}
