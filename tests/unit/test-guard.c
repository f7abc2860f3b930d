/*
 * test-guard.c: the allowance of failed handle lookups (guard.h), driven
 * by an explicit clock: a burst, the penalty it starts, its end, the slow
 * refill, and that uids are counted apart.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guard.h"

static int
tg_teardown(void **state)
{
	(void)state;
	guard_free_all();
	return (0);
}

/* Spend n failures of uid at now; how many started a penalty. */
static int
tg_fail(uid_t uid, int n, uint64_t now)
{
	int	started = 0;

	while (n-- > 0)
		started += guard_failed(uid, now);
	return (started);
}

static void
test_burst_then_penalty(void **state)
{
	uint64_t	t = 1000000;

	(void)state;
	assert_true(guard_allowed(7, t));
	assert_int_equal(tg_fail(7, GUARD_BURST - 1, t), 0);
	assert_true(guard_allowed(7, t));
	assert_int_equal(tg_fail(7, 1, t), 1);
	assert_false(guard_allowed(7, t));
	/* More failures while penalized neither count nor restart it. */
	assert_int_equal(tg_fail(7, 10000, t + 1), 0);
	assert_false(guard_allowed(7, t + GUARD_PENALTY_MS - 1));
	assert_true(guard_allowed(7, t + GUARD_PENALTY_MS));
	/* Served: a full allowance again. */
	assert_int_equal(tg_fail(7, GUARD_BURST - 1, t + GUARD_PENALTY_MS),
	    0);
	assert_true(guard_allowed(7, t + GUARD_PENALTY_MS));
}

static void
test_refill(void **state)
{
	uint64_t	t = 5000;

	(void)state;
	assert_int_equal(tg_fail(8, GUARD_BURST - 1, t), 0);
	/* Ten periods later, ten more failures are allowed, not eleven. */
	t += 10 * GUARD_RATE_MS;
	assert_int_equal(tg_fail(8, 10, t), 0);
	assert_true(guard_allowed(8, t));
	assert_int_equal(tg_fail(8, 1, t), 1);
	assert_false(guard_allowed(8, t));
}

static void
test_uids_apart(void **state)
{
	uint64_t	t = 42;

	(void)state;
	assert_int_equal(tg_fail(9, GUARD_BURST, t), 1);
	assert_false(guard_allowed(9, t));
	assert_true(guard_allowed(10, t));
	assert_int_equal(tg_fail(10, 1, t), 0);
	assert_true(guard_allowed(10, t));
}

static void
test_many_uids(void **state)
{
	uid_t		u;
	uint64_t	t = 1;

	(void)state;
	for (u = 100; u < 100 + GUARD_MAX_UIDS; u++)
		assert_int_equal(tg_fail(u, 1, t), 0);
	/* A full table with no idle entry: a new uid is not counted. */
	assert_int_equal(tg_fail(99, GUARD_BURST, t), 0);
	assert_true(guard_allowed(99, t));
	/* Once the others are back at a full allowance, it gets one. */
	t += GUARD_RATE_MS;
	assert_int_equal(tg_fail(99, GUARD_BURST, t), 1);
	assert_false(guard_allowed(99, t));
	assert_true(guard_allowed(100, t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_burst_then_penalty, tg_teardown),
		cmocka_unit_test_teardown(test_refill, tg_teardown),
		cmocka_unit_test_teardown(test_uids_apart, tg_teardown),
		cmocka_unit_test_teardown(test_many_uids, tg_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
