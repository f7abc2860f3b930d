/*
 * test-handles.c: the broker's hash table (htab.c) and the handle records
 * built on it (handles.c): insert, lookup, remove, collisions, growth and
 * shrinking, random churn against a reference, and the memory a pending
 * handle costs with a million of them.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>

#include <cmocka.h>

#include "broker-int.h"
#include "handles.h"
#include "htab.h"
#include "objects.h"
#include "procs.h"

struct rec {
	uint64_t	key;
	int		value;
};

static struct rec *
rec_new(uint64_t key)
{
	struct rec	*r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->key = key;
	r->value = (int)(key * 7);
	return (r);
}

static void
free_all(struct htab *t)
{
	struct rec	*r;
	size_t		 pos = 0;

	while ((r = htab_next(t, &pos)) != NULL)
		free(r);
	htab_free(t);
}

static void
test_htab_basic(void **state)
{
	struct htab	 t;
	struct rec	*a = rec_new(42), *b = rec_new(0), dup = { 42, 0 };

	(void)state;
	htab_init(&t, offsetof(struct rec, key));
	assert_null(htab_lookup(&t, 42));
	assert_null(htab_remove(&t, 42));
	assert_int_equal(htab_insert(&t, a), 0);
	assert_int_equal(htab_insert(&t, b), 0);	/* key 0 is a key */
	assert_int_equal(htab_insert(&t, &dup), EEXIST);
	assert_ptr_equal(htab_lookup(&t, 42), a);
	assert_ptr_equal(htab_lookup(&t, 0), b);
	assert_null(htab_lookup(&t, 43));
	assert_int_equal(htab_count(&t), 2);
	assert_ptr_equal(htab_remove(&t, 42), a);
	assert_null(htab_lookup(&t, 42));
	assert_int_equal(htab_count(&t), 1);
	free(a);
	free_all(&t);
}

/* Keys that share a home slot must all stay reachable through removals. */
static void
test_htab_collisions(void **state)
{
	struct htab	 t;
	struct rec	*rs[12];
	uint64_t	 k;
	size_t		 n = 0, home, i, j;

	(void)state;
	htab_init(&t, offsetof(struct rec, key));
	assert_int_equal(htab_insert(&t, rec_new(1)), 0);	/* 16 slots */
	home = htab_home(&t, 1);
	for (k = 2; n < 5; k++)
		if (htab_home(&t, k) == home)
			rs[n++] = rec_new(k);
	/* Plus keys homed right after, so runs merge and wrap. */
	for (; n < 10; k++)
		if (htab_home(&t, k) == ((home + 1) & 15))
			rs[n++] = rec_new(k);
	for (i = 0; i < n; i++)
		assert_int_equal(htab_insert(&t, rs[i]), 0);
	assert_int_equal(htab_slots(&t), 16);	/* 11 of 16: no growth */
	for (i = 0; i < n; i += 2) {
		assert_ptr_equal(htab_remove(&t, rs[i]->key), rs[i]);
		for (j = 0; j < n; j++)
			if (j % 2 == 1 || j > i)
				assert_ptr_equal(htab_lookup(&t, rs[j]->key),
				    rs[j]);
		assert_null(htab_lookup(&t, rs[i]->key));
		free(rs[i]);
	}
	for (i = 1; i < n; i += 2)
		assert_ptr_equal(htab_lookup(&t, rs[i]->key), rs[i]);
	free_all(&t);
}

static void
test_htab_grow_shrink(void **state)
{
	struct htab	 t;
	struct rec	*r;
	uint64_t	 k;
	const uint64_t	 n = 100000;

	(void)state;
	htab_init(&t, offsetof(struct rec, key));
	/* Dense keys: the worst case for an unmixed table. */
	for (k = 1; k <= n; k++) {
		assert_int_equal(htab_insert(&t, rec_new(k)), 0);
		assert_true(htab_count(&t) * 4 <= htab_slots(&t) * 3);
	}
	assert_int_equal(htab_count(&t), n);
	for (k = 1; k <= n; k++)
		assert_int_equal(((struct rec *)htab_lookup(&t, k))->value,
		    (int)(k * 7));
	assert_null(htab_lookup(&t, n + 1));
	for (k = 1; k <= n - 10; k++) {
		r = htab_remove(&t, k);
		assert_non_null(r);
		free(r);
	}
	assert_int_equal(htab_count(&t), 10);
	assert_true(htab_slots(&t) <= 128);	/* it shrank */
	for (k = n - 9; k <= n; k++)
		assert_non_null(htab_lookup(&t, k));
	free_all(&t);
}

/* Random inserts and removals checked against a plain array. */
static void
test_htab_random(void **state)
{
	struct htab	 t;
	struct rec	**ref;
	size_t		 nref = 0, i, round, pos = 0, seen = 0;
	uint64_t	 k;

	(void)state;
	srandom(12345);
	ref = calloc(20000, sizeof *ref);
	assert_non_null(ref);
	htab_init(&t, offsetof(struct rec, key));
	for (round = 0; round < 200000; round++) {
		if (nref < 20000 && (nref == 0 || random() % 3 != 0)) {
			k = ((uint64_t)random() << 33) ^ (uint64_t)random();
			if (htab_lookup(&t, k) != NULL)
				continue;
			ref[nref] = rec_new(k);
			assert_int_equal(htab_insert(&t, ref[nref]), 0);
			nref++;
		} else {
			i = (size_t)random() % nref;
			assert_ptr_equal(htab_remove(&t, ref[i]->key), ref[i]);
			free(ref[i]);
			ref[i] = ref[--nref];
		}
	}
	assert_int_equal(htab_count(&t), nref);
	for (i = 0; i < nref; i++)
		assert_ptr_equal(htab_lookup(&t, ref[i]->key), ref[i]);
	while (htab_next(&t, &pos) != NULL)
		seen++;
	assert_int_equal(seen, nref);
	free_all(&t);
	free(ref);
}

/* The broker state a handle needs: an object and two processes. */
struct fixture {
	struct broker_config	 cfg;
	int			 fd;
	struct object		*obj;
	struct proc		*creator;
	struct proc		*recipient;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	struct stat	 st;

	assert_non_null(f);
	broker_config_defaults(&f->cfg);
	broker_cfg = &f->cfg;
	handles_init();
	procs_init();
	objects_init();
	f->fd = memfd_create("test-handles", MFD_CLOEXEC);
	assert_true(f->fd >= 0);
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(objects_get(f->fd, &st, O_RDWR, &f->obj), 0);
	f->creator = procs_get(1, 100, 1000, 1000);
	f->recipient = procs_get(2, 200, 2000, 2000);
	assert_non_null(f->creator);
	assert_non_null(f->recipient);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	handles_free_all();
	procs_unref(f->creator);
	procs_unref(f->recipient);
	objects_unref(f->obj);
	assert_int_equal(procs_count(), 0);
	assert_int_equal(objects_count(), 0);
	procs_free_all();
	objects_free_all();
	close(f->fd);
	free(f);
	return (0);
}

static struct handle *
make(struct fixture *f, uid_t uid)
{
	struct handle	 t, *h;

	memset(&t, 0, sizeof t);
	t.obj = f->obj;
	t.creator = f->creator;
	t.recipient = f->recipient;
	t.creator_uid = uid;
	t.access = O_RDONLY;
	assert_int_equal(handles_create(&t, &h), 0);
	return (h);
}

static void
test_handles_lifecycle(void **state)
{
	struct fixture	*f = *state;
	struct handle	*a, *b;
	uint64_t	 aid;

	a = make(f, 1000);
	b = make(f, 1000);
	assert_true(a->id != 0 && b->id != 0 && a->id != b->id);
	assert_ptr_equal(handles_find(a->id), a);
	assert_null(handles_find(0));
	assert_int_equal(handles_count(), 2);
	assert_int_equal(handles_uid_count(1000), 2);
	assert_int_equal(handles_uid_count(0), 0);
	assert_int_equal(f->creator->created, 2);
	assert_int_equal(f->recipient->nrecv, 2);
	assert_int_equal(f->obj->pending, 2);
	assert_int_equal(f->obj->refs, 3);
	aid = a->id;
	handles_destroy(a);
	assert_null(handles_find(aid));
	assert_ptr_equal(handles_find(b->id), b);
	assert_int_equal(handles_count(), 1);
	assert_int_equal(f->recipient->nrecv, 1);
	assert_ptr_equal(f->recipient->recv, b);
	handles_destroy(b);
	assert_int_equal(handles_uid_count(1000), 0);
	assert_int_equal(f->creator->created, 0);
	assert_int_equal(f->obj->refs, 1);
	assert_null(f->recipient->recv);
}

/* Pages the process has resident now. */
static long
rss_bytes(void)
{
	FILE	*fp = fopen("/proc/self/statm", "r");
	long	 size, res = 0;

	if (fp == NULL)
		return (0);
	if (fscanf(fp, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return (res * sysconf(_SC_PAGESIZE));
}

/* A million pending handles; each must cost at most 256 bytes. */
static void
test_handles_million(void **state)
{
	struct fixture	*f = *state;
	const size_t	 n = 1000000;
	struct handle	**hs = calloc(n, sizeof *hs);
	long		 before, after;
	size_t		 i, per, table;

	assert_non_null(hs);
	before = rss_bytes();
	for (i = 0; i < n; i++)
		hs[i] = make(f, (uid_t)(i % 4));
	after = rss_bytes();
	table = handles_table_bytes() / n;
	per = (size_t)(after - before) / n;
	print_message("1M handles: record %zu B, table %zu B/handle, "
	    "RSS %zu B/handle (incl. 8 B test array)\n",
	    sizeof(struct handle), table, per);
	assert_true(sizeof(struct handle) + 16 + table <= 256);
#if !defined(__SANITIZE_ADDRESS__)
	assert_true(per <= 256);
#endif
	for (i = 0; i < n; i++)
		assert_ptr_equal(handles_find(hs[i]->id), hs[i]);
	for (i = 0; i < n; i += 2)
		handles_destroy(hs[i]);
	assert_int_equal(handles_count(), n / 2);
	assert_int_equal(f->recipient->nrecv, n / 2);
	for (i = 1; i < n; i += 2)
		assert_ptr_equal(handles_find(hs[i]->id), hs[i]);
	free(hs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_htab_basic),
		cmocka_unit_test(test_htab_collisions),
		cmocka_unit_test(test_htab_grow_shrink),
		cmocka_unit_test(test_htab_random),
		cmocka_unit_test_setup_teardown(test_handles_lifecycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_handles_million, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
