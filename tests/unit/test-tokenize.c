/*
 * test-tokenize.c: the shell's line splitter, with plain, quoted,
 * escaped, commented and hostile lines, variables set and unset, and the
 * partial lines completion gives it.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tokenize.h"

static const char *
lookup(const char *name, void *arg)
{
	(void)arg;
	if (strcmp(name, "_") == 0)
		return ("0x00000000000000ff");
	if (strcmp(name, "sp") == 0)
		return ("a b");
	if (strcmp(name, "?") == 0)
		return ("1");
	if (strcmp(name, "empty") == 0)
		return ("");
	return (NULL);
}

/* Split line and compare with the NULL-ended expected words. */
static void
split_is(const char *line, const char **want)
{
	struct tokenize	t;
	int		i;

	assert_int_equal(tokenize(line, 0, lookup, NULL, &t), TOKENIZE_OK);
	for (i = 0; want[i] != NULL; i++) {
		assert_true(i < t.argc);
		assert_string_equal(t.argv[i], want[i]);
	}
	assert_int_equal(t.argc, i);
	assert_null(t.argv[t.argc]);
	tokenize_free(&t);
}

static void
split_fails(const char *line, int err)
{
	struct tokenize	t;

	assert_int_equal(tokenize(line, 0, lookup, NULL, &t), err);
	tokenize_free(&t);
}

static void
test_plain(void **state)
{
	(void)state;
	split_is("", (const char *[]){ NULL });
	split_is("  \t \n", (const char *[]){ NULL });
	split_is("grant /x --pid 12", (const char *[]){ "grant", "/x",
	    "--pid", "12", NULL });
	split_is("  list\t\thandles  \r\n", (const char *[]){ "list",
	    "handles", NULL });
}

static void
test_quotes(void **state)
{
	(void)state;
	split_is("a 'b c' \"d e\"", (const char *[]){ "a", "b c", "d e",
	    NULL });
	split_is("'' \"\" x''y", (const char *[]){ "", "", "xy", NULL });
	split_is("'a\\b$_'", (const char *[]){ "a\\b$_", NULL });
	split_is("\"a\\\"b\\\\c\\$_\\n\"", (const char *[]){
	    "a\"b\\c$_\\n", NULL });
	split_is("a\\ b \\'c \\\\", (const char *[]){ "a b", "'c", "\\",
	    NULL });
	split_is("'#' \"#\" \\#", (const char *[]){ "#", "#", "#", NULL });
}

static void
test_comments(void **state)
{
	(void)state;
	split_is("# all comment", (const char *[]){ NULL });
	split_is("open 0x1 # the rest", (const char *[]){ "open", "0x1",
	    NULL });
	split_is("a#b", (const char *[]){ "a#b", NULL });
}

static void
test_variables(void **state)
{
	(void)state;
	split_is("open $_", (const char *[]){ "open", "0x00000000000000ff",
	    NULL });
	split_is("x${_}y \"$sp\" $sp", (const char *[]){
	    "x0x00000000000000ffy", "a b", "a b", NULL });
	split_is("$? $empty \"$empty\"", (const char *[]){ "1", "", "",
	    NULL });
	split_is("$ a$ $/", (const char *[]){ "$", "a$", "$/", NULL });
}

static void
test_errors(void **state)
{
	struct tokenize	t;

	(void)state;
	split_fails("'open", TOKENIZE_QUOTE);
	split_fails("a \"b", TOKENIZE_QUOTE);
	split_fails("a \\", TOKENIZE_ESCAPE);
	split_fails("${_", TOKENIZE_BRACE);
	split_fails("${}", TOKENIZE_BRACE);
	split_fails("${1}", TOKENIZE_BRACE);
	assert_int_equal(tokenize("open $nosuch", 0, lookup, NULL, &t),
	    TOKENIZE_UNSET);
	assert_string_equal(t.bad, "nosuch");
	tokenize_free(&t);
	assert_string_not_equal(tokenize_strerror(TOKENIZE_QUOTE),
	    tokenize_strerror(TOKENIZE_UNSET));
}

static void
test_no_lookup(void **state)
{
	struct tokenize	t;

	(void)state;
	assert_int_equal(tokenize("open $_ ${x", 0, NULL, NULL, &t),
	    TOKENIZE_OK);
	assert_int_equal(t.argc, 3);
	assert_string_equal(t.argv[1], "$_");
	assert_string_equal(t.argv[2], "${x");
	tokenize_free(&t);
}

static void
test_partial(void **state)
{
	struct tokenize	t;

	(void)state;
	assert_int_equal(tokenize("map-dump /ca", TOKENIZE_PARTIAL, NULL,
	    NULL, &t), TOKENIZE_OK);
	assert_int_equal(t.argc, 2);
	assert_true(t.open);
	assert_int_equal(t.quote, 0);
	tokenize_free(&t);
	assert_int_equal(tokenize("grant ", TOKENIZE_PARTIAL, NULL, NULL,
	    &t), TOKENIZE_OK);
	assert_int_equal(t.argc, 1);
	assert_false(t.open);
	tokenize_free(&t);
	assert_int_equal(tokenize("grant '/a b", TOKENIZE_PARTIAL, NULL,
	    NULL, &t), TOKENIZE_OK);
	assert_int_equal(t.argc, 2);
	assert_string_equal(t.argv[1], "/a b");
	assert_int_equal(t.quote, '\'');
	assert_true(t.open);
	tokenize_free(&t);
	assert_int_equal(tokenize("x \\", TOKENIZE_PARTIAL, lookup, NULL,
	    &t), TOKENIZE_OK);
	assert_int_equal(t.argc, 2);
	tokenize_free(&t);
	assert_int_equal(tokenize("$nosuch", TOKENIZE_PARTIAL, lookup, NULL,
	    &t), TOKENIZE_OK);
	assert_int_equal(t.argc, 1);
	assert_string_equal(t.argv[0], "");
	tokenize_free(&t);
}

/* Every prefix of hostile lines splits or fails cleanly. */
static void
test_prefixes(void **state)
{
	static const char	*lines[] = {
		"a'b\"c\\d$e${f}#g 'h\\' \"i\\\"\" $_$?$$ ${_}${",
		"\\\\\\'\"\"''$ $ \t#",
	};
	struct tokenize		 t;
	char			 buf[128];
	size_t			 i, n;
	int			 rv;

	(void)state;
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		for (n = 0; n <= strlen(lines[i]); n++) {
			memcpy(buf, lines[i], n);
			buf[n] = '\0';
			rv = tokenize(buf, 0, lookup, NULL, &t);
			assert_true(rv == TOKENIZE_OK || (rv > 0 &&
			    rv < TOKENIZE_NOMEM));
			if (rv == TOKENIZE_OK)
				assert_non_null(t.argv);
			tokenize_free(&t);
			rv = tokenize(buf, TOKENIZE_PARTIAL, lookup, NULL, &t);
			assert_true(rv == TOKENIZE_OK || rv == TOKENIZE_BRACE);
			tokenize_free(&t);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_lookup),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_prefixes),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
