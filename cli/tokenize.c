/*
 * tokenize.c: split a shell line into words (see tokenize.h).  The line
 * is read once, left to right; a word grows in a buffer until a blank
 * outside quotes ends it.  Expanded values are never split or globbed.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"

struct tokenize_state {
	const char		*p;
	int			 flags;
	tokenize_lookup		 lookup;
	void			*arg;
	struct tokenize		*out;
	char			*word;
	size_t			 len;
	size_t			 size;
	int			 inword;
};

static int
tokenize_putc(struct tokenize_state *ts, char c)
{
	char	*w;
	size_t	 size;

	if (ts->len + 2 > ts->size) {
		size = ts->size == 0 ? 64 : ts->size * 2;
		if ((w = realloc(ts->word, size)) == NULL)
			return (TOKENIZE_NOMEM);
		ts->word = w;
		ts->size = size;
	}
	ts->word[ts->len++] = c;
	ts->word[ts->len] = '\0';
	ts->inword = 1;
	return (TOKENIZE_OK);
}

static int
tokenize_puts(struct tokenize_state *ts, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (tokenize_putc(ts, s[i]) != TOKENIZE_OK)
			return (TOKENIZE_NOMEM);
	}
	ts->inword = 1;
	return (TOKENIZE_OK);
}

/* End the word being built, if any, and add it to the vector. */
static int
tokenize_end_word(struct tokenize_state *ts)
{
	struct tokenize	*out = ts->out;
	char		**v;

	if (!ts->inword)
		return (TOKENIZE_OK);
	if (ts->word == NULL && tokenize_putc(ts, '\0') != TOKENIZE_OK)
		return (TOKENIZE_NOMEM);
	v = reallocarray(out->argv, (size_t)out->argc + 2, sizeof *v);
	if (v == NULL)
		return (TOKENIZE_NOMEM);
	out->argv = v;
	if (ts->len == 0)
		ts->word[0] = '\0';
	v[out->argc++] = ts->word;
	v[out->argc] = NULL;
	ts->word = NULL;
	ts->len = ts->size = 0;
	ts->inword = 0;
	return (TOKENIZE_OK);
}

/* Take the character at ts->p as it is. */
static int
tokenize_literal(struct tokenize_state *ts)
{
	return (tokenize_putc(ts, *ts->p++));
}

/* The length of the variable name at p: _, ?, $ or an identifier. */
static size_t
tokenize_name_len(const char *p)
{
	size_t	n = 0;

	if (*p == '?' || *p == '$')
		return (1);
	if (!isalpha((unsigned char)*p) && *p != '_')
		return (0);
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return (n);
}

static int
tokenize_value(struct tokenize_state *ts, const char *name, size_t n)
{
	const char	*v;
	char		*copy;
	int		 rv;

	if ((copy = strndup(name, n)) == NULL)
		return (TOKENIZE_NOMEM);
	if ((v = ts->lookup(copy, ts->arg)) == NULL) {
		if (ts->flags & TOKENIZE_PARTIAL) {
			free(copy);
			ts->inword = 1;
			return (TOKENIZE_OK);
		}
		free(ts->out->bad);
		ts->out->bad = copy;
		return (TOKENIZE_UNSET);
	}
	free(copy);
	rv = tokenize_puts(ts, v, strlen(v));
	ts->inword = 1;
	return (rv);
}

/* A $ at ts->p: expand it, or keep it when no name follows. */
static int
tokenize_dollar(struct tokenize_state *ts)
{
	const char	*p = ts->p + 1;
	size_t		 n;

	if (ts->lookup == NULL)
		return (tokenize_literal(ts));
	if (*p == '{') {
		n = tokenize_name_len(p + 1);
		if (n == 0 || p[1 + n] != '}')
			return (TOKENIZE_BRACE);
		ts->p = p + n + 2;
		return (tokenize_value(ts, p + 1, n));
	}
	if ((n = tokenize_name_len(p)) == 0)
		return (tokenize_literal(ts));
	ts->p = p + n;
	return (tokenize_value(ts, p, n));
}

/* A quote that is not closed: an error, or what completion wants. */
static int
tokenize_unclosed(struct tokenize_state *ts, int quote)
{
	if ((ts->flags & TOKENIZE_PARTIAL) == 0)
		return (TOKENIZE_QUOTE);
	ts->out->quote = quote;
	return (TOKENIZE_OK);
}

static int
tokenize_single(struct tokenize_state *ts)
{
	const char	*end;

	ts->inword = 1;
	if ((end = strchr(++ts->p, '\'')) == NULL) {
		end = ts->p + strlen(ts->p);
		if (tokenize_puts(ts, ts->p, (size_t)(end - ts->p)) != 0)
			return (TOKENIZE_NOMEM);
		ts->p = end;
		return (tokenize_unclosed(ts, '\''));
	}
	if (tokenize_puts(ts, ts->p, (size_t)(end - ts->p)) != 0)
		return (TOKENIZE_NOMEM);
	ts->p = end + 1;
	return (TOKENIZE_OK);
}

static int
tokenize_double(struct tokenize_state *ts)
{
	int	rv;

	ts->inword = 1;
	for (ts->p++; *ts->p != '"'; ) {
		if (*ts->p == '\0')
			return (tokenize_unclosed(ts, '"'));
		if (*ts->p == '$')
			rv = tokenize_dollar(ts);
		else if (*ts->p == '\\' && ts->p[1] != '\0' &&
		    strchr("\\\"$`", ts->p[1]) != NULL) {
			rv = tokenize_putc(ts, ts->p[1]);
			ts->p += 2;
		} else
			rv = tokenize_literal(ts);
		if (rv != TOKENIZE_OK)
			return (rv);
	}
	ts->p++;
	return (TOKENIZE_OK);
}

static int
tokenize_backslash(struct tokenize_state *ts)
{
	if (ts->p[1] == '\0') {
		ts->p++;
		ts->inword = 1;
		return ((ts->flags & TOKENIZE_PARTIAL) ? TOKENIZE_OK :
		    TOKENIZE_ESCAPE);
	}
	ts->p += 2;
	return (tokenize_putc(ts, ts->p[-1]));
}

/* One step at ts->p, outside quotes. */
static int
tokenize_step(struct tokenize_state *ts)
{
	char	c = *ts->p;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
		ts->p++;
		return (tokenize_end_word(ts));
	}
	if (c == '#' && !ts->inword) {
		ts->p += strlen(ts->p);
		return (TOKENIZE_OK);
	}
	if (c == '\'')
		return (tokenize_single(ts));
	if (c == '"')
		return (tokenize_double(ts));
	if (c == '\\')
		return (tokenize_backslash(ts));
	if (c == '$')
		return (tokenize_dollar(ts));
	return (tokenize_literal(ts));
}

/*
 * Split line into out->argv.  lookup (NULL: $ is literal) gives
 * variables' values.  With TOKENIZE_PARTIAL, a line that ends inside a
 * quote or after a backslash is not an error, an unset variable expands
 * to nothing, and out->open says whether the last word was still being
 * typed.  Returns TOKENIZE_OK or an error; out is always to be freed.
 */
int
tokenize(const char *line, int flags, tokenize_lookup lookup, void *arg,
    struct tokenize *out)
{
	struct tokenize_state	ts;
	int			rv = TOKENIZE_OK;

	memset(out, 0, sizeof *out);
	memset(&ts, 0, sizeof ts);
	ts.p = line;
	ts.flags = flags;
	ts.lookup = lookup;
	ts.arg = arg;
	ts.out = out;
	while (*ts.p != '\0' && rv == TOKENIZE_OK)
		rv = tokenize_step(&ts);
	out->open = ts.inword;
	if (rv == TOKENIZE_OK)
		rv = tokenize_end_word(&ts);
	free(ts.word);
	if (rv == TOKENIZE_OK && out->argv == NULL) {
		if ((out->argv = calloc(1, sizeof *out->argv)) == NULL)
			rv = TOKENIZE_NOMEM;
	}
	return (rv);
}

/* Free what tokenize() filled in. */
void
tokenize_free(struct tokenize *t)
{
	int	i;

	for (i = 0; i < t->argc; i++)
		free(t->argv[i]);
	free(t->argv);
	free(t->bad);
	memset(t, 0, sizeof *t);
}

/* Describe a tokenize() error. */
const char *
tokenize_strerror(int err)
{
	switch (err) {
	case TOKENIZE_OK:
		return ("no error");
	case TOKENIZE_QUOTE:
		return ("unterminated quote");
	case TOKENIZE_ESCAPE:
		return ("backslash at the end of the line");
	case TOKENIZE_BRACE:
		return ("bad ${NAME}");
	case TOKENIZE_UNSET:
		return ("variable not set");
	case TOKENIZE_NOMEM:
		return ("out of memory");
	}
	return ("unknown error");
}
