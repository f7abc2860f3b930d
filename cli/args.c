/*
 * args.c: the option parser every command declares its options to.  It
 * keeps no global state (the shell runs many commands), takes short
 * options ("-p 12", "-p12", "-qx"), long ones ("--pid 12", "--pid=12",
 * unique prefixes), positionals anywhere, and "--" to end the options.
 * Every command also takes -h/--help, and the global -j/--json and
 * -q/--quiet, so that "qshmctl list --json" means what it says.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct args_value {
	int		 ch;
	const char	*value;
};

struct args {
	struct args_value	*values;
	size_t			 nvalues;
	char			**pos;
	int			 npos;
};

/* The options every command takes, before its own. */
static const struct args_opt args_common[] = {
	{ 'h', "help", NULL, "show this help" },
	{ 'j', "json", NULL, "print one JSON document" },
	{ 'q', "quiet", NULL, "print only the essential value" },
	{ 0, NULL, NULL, NULL }
};

static int
args_push_value(struct args *a, int ch, const char *value)
{
	struct args_value	*v;

	v = reallocarray(a->values, a->nvalues + 1, sizeof *v);
	if (v == NULL)
		return (-1);
	a->values = v;
	v[a->nvalues].ch = ch;
	v[a->nvalues].value = value;
	a->nvalues++;
	return (0);
}

static int
args_push_pos(struct args *a, char *arg)
{
	char	**p;

	if ((p = reallocarray(a->pos, a->npos + 2, sizeof *p)) == NULL)
		return (-1);
	a->pos = p;
	p[a->npos++] = arg;
	p[a->npos] = NULL;
	return (0);
}

static const struct args_opt *
args_find_short(const struct args_template *t, int ch)
{
	const struct args_opt	*o;

	for (o = args_common; o->name != NULL; o++) {
		if (o->ch == ch)
			return (o);
	}
	for (o = t->opts; o != NULL && o->name != NULL; o++) {
		if (o->ch == ch)
			return (o);
	}
	return (NULL);
}

static const struct args_opt *
args_find_long(const struct args_template *t, const char *name, size_t len,
    char **cause)
{
	const struct args_opt	*sets[2] = { args_common, t->opts }, *o;
	const struct args_opt	*found = NULL;
	int			 n = 0, k;

	for (k = 0; k < 2; k++) {
		for (o = sets[k]; o != NULL && o->name != NULL; o++) {
			if (strncmp(o->name, name, len) != 0)
				continue;
			if (strlen(o->name) == len)
				return (o);
			found = o;
			n++;
		}
	}
	if (n == 1)
		return (found);
	if (asprintf(cause, "%s option: --%.*s", n == 0 ? "unknown" :
	    "ambiguous", (int)len, name) == -1)
		*cause = NULL;
	return (NULL);
}

static void
args_cause(char **cause, const char *fmt, const char *what)
{
	if (asprintf(cause, fmt, what) == -1)
		*cause = NULL;
}

/* One "--name[=value]" at argv[*i]; *i moves past what it used. */
static int
args_long(struct args *a, const struct args_template *t, int argc,
    char **argv, int *i, char **cause)
{
	const struct args_opt	*o;
	char			*name = argv[*i] + 2, *eq;
	size_t			 len;

	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if ((o = args_find_long(t, name, len, cause)) == NULL)
		return (-1);
	if (o->arg == NULL && eq != NULL) {
		args_cause(cause, "option --%s takes no argument", o->name);
		return (-1);
	}
	if (o->arg != NULL && eq == NULL) {
		if (*i + 1 >= argc) {
			args_cause(cause, "option --%s needs an argument",
			    o->name);
			return (-1);
		}
		eq = argv[++*i] - 1;
	}
	return (args_push_value(a, o->ch, eq != NULL ? eq + 1 : NULL));
}

/* A bundle of short options at argv[*i], "-qx" or "-p12" or "-p 12". */
static int
args_short(struct args *a, const struct args_template *t, int argc,
    char **argv, int *i, char **cause)
{
	const struct args_opt	*o;
	char			*p, letter[2] = { 0, 0 };

	for (p = argv[*i] + 1; *p != '\0'; p++) {
		letter[0] = *p;
		if ((o = args_find_short(t, (unsigned char)*p)) == NULL) {
			args_cause(cause, "unknown option: -%s", letter);
			return (-1);
		}
		if (o->arg == NULL) {
			if (args_push_value(a, o->ch, NULL) == -1)
				return (-1);
			continue;
		}
		if (p[1] == '\0' && *i + 1 >= argc) {
			args_cause(cause, "option -%s needs an argument",
			    letter);
			return (-1);
		}
		return (args_push_value(a, o->ch, p[1] != '\0' ? p + 1 :
		    argv[++*i]));
	}
	return (0);
}

static int
args_count_check(const struct args_template *t, struct args *a,
    char **cause)
{
	if (args_has(a, 'h'))
		return (0);
	if (a->npos < t->lower) {
		args_cause(cause, "%s", "too few arguments");
		return (-1);
	}
	if (t->upper != -1 && a->npos > t->upper) {
		args_cause(cause, "too many arguments: %s",
		    a->pos[t->upper]);
		return (-1);
	}
	return (0);
}

static int
args_walk(struct args *a, const struct args_template *t, int argc,
    char **argv, char **cause)
{
	int	i, rv, dashdash = 0;

	for (i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0')
			rv = args_push_pos(a, argv[i]);
		else if (strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			rv = 0;
		} else if (argv[i][1] == '-')
			rv = args_long(a, t, argc, argv, &i, cause);
		else
			rv = args_short(a, t, argc, argv, &i, cause);
		if (rv == -1)
			return (-1);
	}
	return (args_count_check(t, a, cause));
}

/*
 * Parse argv (argv[0] is the command name) against a template.  Returns
 * NULL and a message in *cause (free it) on a usage error.  The values
 * point into argv.
 */
struct args *
args_parse(const struct args_template *t, int argc, char **argv,
    char **cause)
{
	struct args	*a;

	*cause = NULL;
	if ((a = calloc(1, sizeof *a)) == NULL ||
	    args_push_pos(a, NULL) == -1) {
		free(a);
		return (NULL);
	}
	a->npos = 0;
	if (args_walk(a, t, argc, argv, cause) == -1) {
		if (*cause == NULL)
			args_cause(cause, "%s", strerror(errno));
		args_free(a);
		return (NULL);
	}
	return (a);
}

/* Free what args_parse() returned. */
void
args_free(struct args *a)
{
	if (a == NULL)
		return;
	free(a->values);
	free(a->pos);
	free(a);
}

/* How many times option ch was given. */
int
args_has(struct args *a, int ch)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < a->nvalues; i++)
		n += a->values[i].ch == ch;
	return (n);
}

/* The last value given to option ch, or NULL. */
const char *
args_get(struct args *a, int ch)
{
	size_t	i;

	for (i = a->nvalues; i > 0; i--) {
		if (a->values[i - 1].ch == ch)
			return (a->values[i - 1].value);
	}
	return (NULL);
}

/* How many positional arguments there are. */
int
args_count(struct args *a)
{
	return (a->npos);
}

/* Positional argument i, or NULL past the end. */
const char *
args_arg(struct args *a, int i)
{
	return (i >= 0 && i < a->npos ? a->pos[i] : NULL);
}

/* The positionals from i on, a NULL-terminated vector. */
char **
args_argv(struct args *a, int i)
{
	return (a->pos + (i < a->npos ? i : a->npos));
}

/* The long name of option ch in a template, for messages. */
const char *
args_opt_name(const struct args_template *t, int ch)
{
	const struct args_opt	*o;

	if ((o = args_find_short(t, ch)) == NULL)
		return ("?");
	return (o->name);
}
