/*
 * enc.c: the two encodings of strings qshmctl did not write itself.  Any
 * local user can name a /dev/shm object with any bytes but '/' and NUL;
 * jansson refuses a string that is not UTF-8 and a terminal obeys the
 * escape sequences it is sent.  So JSON gets each byte that does not start
 * a valid UTF-8 sequence as U+FFFD, and text gets "\xNN" for each byte that
 * is not printable UTF-8, as util-linux's lsblk does.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"

#define ENC_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

/*
 * The length, 1 to 4, of the valid UTF-8 sequence s starts with, or 0 if
 * s does not start one: a continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF or a sequence cut short (by NUL
 * as by any other byte).  It reads no byte past the first one that does
 * not belong, so never past the NUL.  For NUL itself it returns 1.
 */
size_t
enc_utf8_len(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned char		 lo = 0x80, hi = 0xbf;	/* of the 2nd byte */
	size_t			 n, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] < 0xc2)		/* continuation; C0, C1 are overlong */
		return (0);
	if (p[0] < 0xe0)
		n = 2;
	else if (p[0] < 0xf0) {
		n = 3;
		if (p[0] == 0xe0)	/* overlong below U+0800 */
			lo = 0xa0;
		else if (p[0] == 0xed)	/* surrogates U+D800-U+DFFF */
			hi = 0x9f;
	} else if (p[0] < 0xf5) {
		n = 4;
		if (p[0] == 0xf0)	/* overlong below U+10000 */
			lo = 0x90;
		else if (p[0] == 0xf4)	/* past U+10FFFF */
			hi = 0x8f;
	} else
		return (0);
	if (p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
	}
	return (n);
}

/*
 * A copy of s that is valid UTF-8: each byte that does not start a valid
 * sequence becomes U+FFFD.  NULL if out of memory.
 */
char *
enc_utf8(const char *s)
{
	const char	*p;
	char		*d, *q;
	size_t		 n, size = 1;

	for (p = s; *p != '\0'; p += n) {
		if ((n = enc_utf8_len(p)) == 0) {
			size += sizeof ENC_REPLACEMENT - 1;
			n = 1;
		} else
			size += n;
	}
	if ((d = malloc(size)) == NULL)
		return (NULL);
	for (p = s, q = d; *p != '\0'; p += n) {
		if ((n = enc_utf8_len(p)) == 0) {
			memcpy(q, ENC_REPLACEMENT, sizeof ENC_REPLACEMENT - 1);
			q += sizeof ENC_REPLACEMENT - 1;
			n = 1;
		} else {
			memcpy(q, p, n);
			q += n;
		}
	}
	*q = '\0';
	return (d);
}

/* The code point of the valid n-byte UTF-8 sequence at p. */
static uint32_t
enc_cp(const unsigned char *p, size_t n)
{
	uint32_t	c;
	size_t		i;

	if (n == 1)
		return (p[0]);
	c = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++)
		c = c << 6 | (p[i] & 0x3f);
	return (c);
}

/*
 * Code points a terminal acts on instead of showing: the C1 controls
 * (some terminals obey U+009B as ESC [), and the bidirectional formatting
 * characters, which reorder the rest of the line, so that one name could
 * show as another.
 */
static int
enc_hidden(uint32_t c)
{
	return ((c >= 0x80 && c <= 0x9f) || c == 0x61c || c == 0x200e ||
	    c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069));
}

/*
 * How many bytes at p are printed as they are in text (0: p[0] is to be
 * escaped).  Escaped: C0 controls, DEL, the backslash (so that "\x" in
 * the output always means an escape), a space with ENC_SPACE, bytes of
 * invalid UTF-8, and the code points of enc_hidden().
 */
static size_t
enc_text_keep(const char *p, int flags)
{
	unsigned char	c = (unsigned char)p[0];
	size_t		n;

	if (c < 0x20 || c == 0x7f || c == '\\' ||
	    (c == ' ' && (flags & ENC_SPACE)))
		return (0);
	if ((n = enc_utf8_len(p)) > 1 &&
	    enc_hidden(enc_cp((const unsigned char *)p, n)))
		return (0);
	return (n);
}

/* The length of enc_text(s, flags), without its NUL. */
size_t
enc_text_len(const char *s, int flags)
{
	size_t	len = 0, n;

	for (; *s != '\0'; s += n) {
		if ((n = enc_text_keep(s, flags)) == 0) {
			len += 4;
			n = 1;
		} else
			len += n;
	}
	return (len);
}

/*
 * A copy of s safe to print on a terminal: each byte that is not part of
 * printable UTF-8 (see enc_text_keep()) becomes "\xNN".  flags: ENC_SPACE.
 * NULL if out of memory.
 */
char *
enc_text(const char *s, int flags)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*d, *q;
	size_t			 n;

	if ((d = malloc(enc_text_len(s, flags) + 1)) == NULL)
		return (NULL);
	for (q = d; *s != '\0'; s += n) {
		if ((n = enc_text_keep(s, flags)) == 0) {
			*q++ = '\\';
			*q++ = 'x';
			*q++ = hex[(unsigned char)*s >> 4];
			*q++ = hex[(unsigned char)*s & 0xf];
			n = 1;
		} else {
			memcpy(q, s, n);
			q += n;
		}
	}
	*q = '\0';
	return (d);
}

/* East Asian wide code points, as Markus Kuhn's wcwidth() has them. */
static int
enc_wide(uint32_t c)
{
	return (c >= 0x1100 && (c <= 0x115f || c == 0x2329 || c == 0x232a ||
	    (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd)));
}

/*
 * The terminal columns s takes once printed as enc_text() leaves it: one
 * a code point, two for East Asian wide ones and emoji.  Combining marks
 * are counted as one (no locale is loaded to know better).
 */
size_t
enc_width(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 w = 0, n;

	for (; *p != '\0'; p += n) {
		if ((n = enc_utf8_len((const char *)p)) <= 1) {
			w++;
			n = 1;
			continue;
		}
		w += enc_wide(enc_cp(p, n)) ? 2 : 1;
	}
	return (w);
}
