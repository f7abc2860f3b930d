/*
 * tokenize.h: split one line of the qshmctl shell into words, as sh
 * would: blanks separate words; '...' is literal; "..." keeps blanks and
 * lets \ escape \ " $ and `; \ outside quotes escapes any character; $NAME,
 * ${NAME}, $_, $? and $$ expand through a lookup the caller gives; a # at
 * the start of a word begins a comment.  A pure function of its input (no
 * I/O, no global state), so it can be fuzzed alone.
 */

#ifndef QSHMCTL_TOKENIZE_H
#define QSHMCTL_TOKENIZE_H

#include <stddef.h>

enum tokenize_err {
	TOKENIZE_OK = 0,
	TOKENIZE_QUOTE,		/* a quote is not closed */
	TOKENIZE_ESCAPE,	/* the line ends with a lone backslash */
	TOKENIZE_BRACE,		/* ${ without a name or a } */
	TOKENIZE_UNSET,		/* a variable that is not set */
	TOKENIZE_NOMEM
};

/* Ask for what is left: the line may end inside a word (completion). */
#define TOKENIZE_PARTIAL	0x1

/* The value of variable name, or NULL when it is not set. */
typedef const char *(*tokenize_lookup)(const char *name, void *arg);

struct tokenize {
	char	**argv;		/* argc words, then NULL */
	int	  argc;
	int	  quote;	/* PARTIAL: the quote the line ends inside */
	int	  open;		/* PARTIAL: the last word goes on */
	char	 *bad;		/* UNSET: the variable's name */
};

int		 tokenize(const char *, int, tokenize_lookup, void *,
		     struct tokenize *);
void		 tokenize_free(struct tokenize *);
const char	*tokenize_strerror(int);

#endif /* QSHMCTL_TOKENIZE_H */
