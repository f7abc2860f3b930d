/*
 * fuzz-tokenize.c: libFuzzer target for the qshmctl shell's tokenizer
 * (cli/tokenize.c).  The first byte chooses the flags, the rest is the
 * line.  Whatever the line, the result is a known code; a success is a
 * NULL-terminated word list; and quoting each word again and tokenizing
 * the quoted line gives back the same words.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"

static const char *
fuzz_lookup(const char *name, void *arg)
{
	(void)arg;
	if (strcmp(name, "_") == 0)
		return ("0x00000000deadbeef");
	if (strcmp(name, "?") == 0)
		return ("1");
	if (strcmp(name, "$") == 0)
		return ("4242");
	if (strcmp(name, "SPACED") == 0)
		return ("a b  'c\" \\d");
	return (NULL);
}

/* Join the words, each in single quotes ('\'' for a quote inside). */
static char *
fuzz_requote(const struct tokenize *t)
{
	size_t	 len = 1, i;
	char	*s, *p, *w;
	int	 k;

	for (k = 0; k < t->argc; k++)
		len += 3 + 4 * strlen(t->argv[k]);
	if ((p = s = malloc(len)) == NULL)
		abort();
	for (k = 0; k < t->argc; k++) {
		*p++ = '\'';
		for (w = t->argv[k], i = 0; w[i] != '\0'; i++) {
			if (w[i] == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else
				*p++ = w[i];
		}
		*p++ = '\'';
		*p++ = ' ';
	}
	*p = '\0';
	return (s);
}

static void
fuzz_roundtrip(const struct tokenize *t)
{
	struct tokenize	 u;
	char		*line;
	int		 k;

	line = fuzz_requote(t);
	if (tokenize(line, 0, fuzz_lookup, NULL, &u) != TOKENIZE_OK)
		abort();
	if (u.argc != t->argc)
		abort();
	for (k = 0; k < t->argc; k++)
		if (strcmp(u.argv[k], t->argv[k]) != 0)
			abort();
	tokenize_free(&u);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokenize	 t;
	char		*line;
	int		 flags, rc, k;

	if (size == 0)
		return (0);
	flags = data[0] & TOKENIZE_PARTIAL;
	if ((line = malloc(size)) == NULL)
		abort();
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	memset(&t, 0, sizeof t);
	rc = tokenize(line, flags, fuzz_lookup, NULL, &t);
	if (rc < TOKENIZE_OK || rc > TOKENIZE_NOMEM)
		abort();
	if (rc == TOKENIZE_OK) {
		if (t.argc < 0 || t.argv == NULL || t.argv[t.argc] != NULL)
			abort();
		for (k = 0; k < t.argc; k++)
			if (t.argv[k] == NULL)
				abort();
		if (!(flags & TOKENIZE_PARTIAL))
			fuzz_roundtrip(&t);
	}
	tokenize_free(&t);
	free(line);
	return (0);
}
