/*
 * htab.h: an open-addressing hash table of pointers to records that carry
 * their own 64-bit key at a fixed offset.  One slot is one pointer, so a
 * record costs 8 / load bytes of table (10.7 to 21.3 between the resize
 * thresholds); lookups, inserts and removals are O(1) on average.
 */

#ifndef QSHM_HTAB_H
#define QSHM_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab {
	void		**slots;
	size_t		  mask;		/* slot count - 1; 0 before first use */
	size_t		  count;
	size_t		  keyoff;	/* offset of the uint64_t key */
};

#define HTAB_MIN_SLOTS	16

/* Prepare an empty table of records whose key sits at keyoff. */
void	 htab_init(struct htab *, size_t keyoff);
/* Free the slots (not the records). */
void	 htab_free(struct htab *);
/* Insert a record; EEXIST if its key is present, ENOMEM. Returns errno. */
int	 htab_insert(struct htab *, void *);
/* The record with this key, or NULL. */
void	*htab_lookup(const struct htab *, uint64_t);
/* Remove and return the record with this key, or NULL. */
void	*htab_remove(struct htab *, uint64_t);
/* How many records the table holds. */
size_t	 htab_count(const struct htab *);
/* How many slots the table has. */
size_t	 htab_slots(const struct htab *);
/*
 * The next record at or after slot *pos (start at 0), or NULL at the end.
 * The table must not change during a walk.
 */
void	*htab_next(const struct htab *, size_t *pos);
/* The slot a key hashes to first (for tests of collisions). */
size_t	 htab_home(const struct htab *, uint64_t);

#endif /* QSHM_HTAB_H */
