/*
 * test-enc.c: qshmctl's encodings of hostile names (cli/enc.c): the
 * strict UTF-8 validator with overlongs, surrogates, code points past
 * U+10FFFF and cut sequences; the JSON repair (U+FFFD per bad byte); the
 * text escape ("\xNN"); and the width tables are aligned by.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enc.h"

#define FFFD	"\xef\xbf\xbd"

static void
utf8_is(const char *s, const char *want)
{
	char	*got;

	assert_non_null(got = enc_utf8(s));
	assert_string_equal(got, want);
	free(got);
}

static void
text_is(const char *s, int flags, const char *want)
{
	char	*got;

	assert_non_null(got = enc_text(s, flags));
	assert_string_equal(got, want);
	assert_int_equal(enc_text_len(s, flags), strlen(want));
	free(got);
}

static void
test_len_valid(void **state)
{
	(void)state;
	assert_int_equal(enc_utf8_len("a"), 1);
	assert_int_equal(enc_utf8_len("\x7f"), 1);
	assert_int_equal(enc_utf8_len("\xc2\x80"), 2);		/* U+0080 */
	assert_int_equal(enc_utf8_len("\xc3\xa9"), 2);		/* é */
	assert_int_equal(enc_utf8_len("\xdf\xbf"), 2);		/* U+07FF */
	assert_int_equal(enc_utf8_len("\xe0\xa0\x80"), 3);	/* U+0800 */
	assert_int_equal(enc_utf8_len("\xe6\x97\xa5"), 3);	/* 日 */
	assert_int_equal(enc_utf8_len("\xed\x9f\xbf"), 3);	/* U+D7FF */
	assert_int_equal(enc_utf8_len("\xee\x80\x80"), 3);	/* U+E000 */
	assert_int_equal(enc_utf8_len("\xef\xbf\xbd"), 3);	/* U+FFFD */
	assert_int_equal(enc_utf8_len("\xf0\x90\x80\x80"), 4);	/* U+10000 */
	assert_int_equal(enc_utf8_len("\xf0\x9f\x98\x80"), 4);	/* emoji */
	assert_int_equal(enc_utf8_len("\xf4\x8f\xbf\xbf"), 4);	/* U+10FFFF */
}

static void
test_len_invalid(void **state)
{
	(void)state;
	/* Overlong forms. */
	assert_int_equal(enc_utf8_len("\xc0\xaf"), 0);
	assert_int_equal(enc_utf8_len("\xc1\xbf"), 0);
	assert_int_equal(enc_utf8_len("\xe0\x80\xaf"), 0);
	assert_int_equal(enc_utf8_len("\xe0\x9f\xbf"), 0);
	assert_int_equal(enc_utf8_len("\xf0\x80\x80\xaf"), 0);
	assert_int_equal(enc_utf8_len("\xf0\x8f\xbf\xbf"), 0);
	/* Surrogates. */
	assert_int_equal(enc_utf8_len("\xed\xa0\x80"), 0);
	assert_int_equal(enc_utf8_len("\xed\xbf\xbf"), 0);
	/* Past U+10FFFF, and bytes that never start a sequence. */
	assert_int_equal(enc_utf8_len("\xf4\x90\x80\x80"), 0);
	assert_int_equal(enc_utf8_len("\xf5\x80\x80\x80"), 0);
	assert_int_equal(enc_utf8_len("\xf8\x88\x80\x80\x80"), 0);
	assert_int_equal(enc_utf8_len("\xfe"), 0);
	assert_int_equal(enc_utf8_len("\xff"), 0);
	/* Stray continuation bytes. */
	assert_int_equal(enc_utf8_len("\x80"), 0);
	assert_int_equal(enc_utf8_len("\xbf"), 0);
	/* Cut short by the end, or by a byte that does not continue. */
	assert_int_equal(enc_utf8_len("\xc3"), 0);
	assert_int_equal(enc_utf8_len("\xe6\x97"), 0);
	assert_int_equal(enc_utf8_len("\xf0\x9f\x98"), 0);
	assert_int_equal(enc_utf8_len("\xe6" "a" "\xa5"), 0);
	assert_int_equal(enc_utf8_len("\xf0\x9f\x98" "a"), 0);
}

/* The validator stops at the NUL that cuts a sequence: no byte after. */
static void
test_len_stops_at_nul(void **state)
{
	char	*buf;

	(void)state;
	/* Exactly sized: ASan reports any read past the allocation. */
	assert_non_null(buf = malloc(3));
	memcpy(buf, "\xf0\x9f", 3);
	assert_int_equal(enc_utf8_len(buf), 0);
	utf8_is(buf, FFFD FFFD);
	free(buf);
	assert_non_null(buf = malloc(2));
	memcpy(buf, "\xe6", 2);
	text_is(buf, 0, "\\xe6");
	free(buf);
}

static void
test_utf8_repair(void **state)
{
	(void)state;
	utf8_is("", "");
	utf8_is("/cam0", "/cam0");
	utf8_is("/\xe6\x97\xa5\xe6\x9c\xac\xc3\xa9",
	    "/\xe6\x97\xa5\xe6\x9c\xac\xc3\xa9");
	utf8_is("/\xf0\x9f\x98\x80", "/\xf0\x9f\x98\x80");
	utf8_is("/\xff\xfe", "/" FFFD FFFD);
	/* One U+FFFD a byte, and the next valid byte is kept. */
	utf8_is("\xc0\xaf", FFFD FFFD);
	utf8_is("\xed\xa0\x80", FFFD FFFD FFFD);
	utf8_is("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	utf8_is("a\xe6\x97", "a" FFFD FFFD);
	utf8_is("\xe6" "a", FFFD "a");
	/* A path cut at the record's size inside a character. */
	utf8_is("/dev/shm/x\xf0\x9f\x98", "/dev/shm/x" FFFD FFFD FFFD);
	/* Control characters are valid UTF-8: JSON escapes them itself. */
	utf8_is("\x1b[31m\n\t", "\x1b[31m\n\t");
}

static void
test_text_escape(void **state)
{
	(void)state;
	text_is("", 0, "");
	text_is("/cam0", 0, "/cam0");
	text_is("/\x1b[31mred", 0, "/\\x1b[31mred");
	text_is("a\nb\tc\rd", 0, "a\\x0ab\\x09c\\x0dd");
	text_is("\x01\x1f\x7f", 0, "\\x01\\x1f\\x7f");
	text_is("a\\b", 0, "a\\x5cb");
	text_is("/\xff\xfe", 0, "/\\xff\\xfe");
	text_is("\xc0\xaf", 0, "\\xc0\\xaf");
	text_is("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	text_is("\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80");
	text_is("x\xf0\x9f\x98", 0, "x\\xf0\\x9f\\x98");
	/* C1 controls: U+009B is CSI to some terminals. */
	text_is("\xc2\x9b" "2J", 0, "\\xc2\\x9b2J");
	text_is("\xc2\x85", 0, "\\xc2\\x85");
	text_is("\xc2\xa0", 0, "\xc2\xa0");
	/* Bidirectional formatting: U+202E would show "/cam0\u202Egpj.exe"
	   as "/cam0exe.jpg". */
	text_is("/cam0\xe2\x80\xaegpj.exe", 0,
	    "/cam0\\xe2\\x80\\xaegpj.exe");
	text_is("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9", 0,
	    "\\xe2\\x80\\xaa\\xe2\\x81\\xa6\\xe2\\x81\\xa9");
	text_is("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0,
	    "\\xe2\\x80\\x8e\\xe2\\x80\\x8f\\xd8\\x9c");
	/* Their neighbours are ordinary: U+2029, U+202F, U+2065, U+206A. */
	text_is("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", 0,
	    "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	/* Printable UTF-8 passes unchanged. */
	text_is("/\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", 0,
	    "/\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac");
	text_is("/\xf0\x9f\x98\x80", 0, "/\xf0\x9f\x98\x80");
	/* Spaces: kept, or escaped in table cells. */
	text_is("a b", 0, "a b");
	text_is("a b", ENC_SPACE, "a\\x20b");
	text_is("a\\x20b", ENC_SPACE, "a\\x5cx20b");
}

static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(enc_width(""), 0);
	assert_int_equal(enc_width("/cam0"), 5);
	assert_int_equal(enc_width("\xc3\xa9"), 1);
	assert_int_equal(enc_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);
	assert_int_equal(enc_width("\xf0\x9f\x98\x80"), 2);
	assert_int_equal(enc_width("\xef\xbf\xbd"), 1);
	assert_int_equal(enc_width("\\xff"), 4);
	/* Not UTF-8 (enc_text() would have escaped it): a column a byte. */
	assert_int_equal(enc_width("\xff\xfe"), 2);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_len_valid),
		cmocka_unit_test(test_len_invalid),
		cmocka_unit_test(test_len_stops_at_nul),
		cmocka_unit_test(test_utf8_repair),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_width),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
