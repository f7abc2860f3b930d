/*
 * complete.c: what may come next on a command line, from the one command
 * table.  Options come from each command's template; what a positional
 * argument is comes from its usage line (OBJECT, /NAME, HANDLE, COMMAND
 * or a|b|c choices); live names come from /dev/shm and the broker.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qshm.h"
#include "cmd.h"
#include "complete.h"
#include "enc.h"

struct complete {
	const char	*word;		/* the prefix being completed */
	size_t		 len;
	int		 in_shell;
	complete_emit	 emit;
	void		*arg;
	int		 n;
};

static const char *complete_globals[] = {
	"--help", "--json", "--quiet", "--socket", "--version", NULL
};

static const char *complete_builtins[] = { "exit", "quit", NULL };

static void
complete_add(struct complete *c, const char *cand)
{
	if (strncmp(cand, c->word, c->len) != 0)
		return;
	c->emit(cand, c->arg);
	c->n++;
}

static void
complete_list(struct complete *c, const char **v)
{
	for (; *v != NULL; v++)
		complete_add(c, *v);
}

/* Add each alternative of "a|b|c" that is a plain lower-case word. */
static void
complete_choices(struct complete *c, const char *s)
{
	char	buf[128];
	size_t	n;

	while (*s != '\0') {
		n = strcspn(s, "|");
		if (n < sizeof buf && n > 0 && s[0] >= 'a' && s[0] <= 'z') {
			memcpy(buf, s, n);
			buf[n] = '\0';
			complete_add(c, buf);
		}
		s += n + (s[n] == '|');
	}
}

static void
complete_commands(struct complete *c)
{
	const struct cmd_entry	**ce;

	for (ce = cmd_table; *ce != NULL; ce++) {
		if (((*ce)->flags & CMD_HIDDEN) ||
		    (c->in_shell && ((*ce)->flags & CMD_NO_SHELL)))
			continue;
		complete_add(c, (*ce)->name);
	}
	if (c->in_shell)
		complete_list(c, complete_builtins);
}

static void
complete_options(struct complete *c, const struct cmd_entry *ce)
{
	const struct args_opt	*o;
	char			 buf[128];

	for (o = ce->args.opts; o != NULL && o->name != NULL; o++) {
		snprintf(buf, sizeof buf, "--%s", o->name);
		complete_add(c, buf);
	}
	complete_add(c, "--help");
}

static void
complete_shm_names(struct complete *c)
{
	struct dirent	*de;
	struct stat	 st;
	char		 buf[NAME_MAX + 2];
	DIR		*d;

	if ((d = opendir("/dev/shm")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/*
		 * Candidates go one a line to the shells and raw to the
		 * terminal: a name text would escape (a newline, an escape
		 * sequence, bytes not UTF-8) is not offered.
		 */
		if (de->d_name[0] == '.' ||
		    enc_text_len(de->d_name, 0) != strlen(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		snprintf(buf, sizeof buf, "/%s", de->d_name);
		complete_add(c, buf);
	}
	closedir(d);
}

static void
complete_parked(struct complete *c)
{
	struct qshm_object_info	*list;
	char			 buf[16];
	size_t			 n, i;

	if (c->word[0] != '@' && c->len > 0)
		return;
	if (qshm_list_objects(&list, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (list[i].object_id == 0)
			continue;
		snprintf(buf, sizeof buf, "@%" PRIu32, list[i].object_id);
		complete_add(c, buf);
	}
	free(list);
}

static void
complete_handles(struct complete *c)
{
	struct qshm_handle_info	*list;
	char			 buf[32];
	size_t			 n, i;

	if (qshm_list_handles(&list, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "0x%016" PRIx64, list[i].handle);
		complete_add(c, buf);
	}
	free(list);
}

/* Candidates for a value named kind: "OBJECT", "ro|rw", "FILE", ... */
static void
complete_kind(struct complete *c, const char *kind)
{
	if (strcmp(kind, "OBJECT") == 0) {
		complete_shm_names(c);
		complete_parked(c);
	} else if (strcmp(kind, "/NAME") == 0)
		complete_shm_names(c);
	else if (strcmp(kind, "HANDLE") == 0 || strcmp(kind, "H") == 0)
		complete_handles(c);
	else if (strcmp(kind, "COMMAND") == 0)
		complete_commands(c);
	else if (strcmp(kind, "PID") == 0)
		complete_add(c, "self");
	else if (strcmp(kind, "FILE") == 0 || strcmp(kind, "PATH") == 0)
		c->emit(COMPLETE_FILES, c->arg);
	else if (strchr(kind, '|') != NULL)
		complete_choices(c, kind);
}

static const struct args_opt *
complete_find_opt(const struct cmd_entry *ce, const char *w)
{
	const struct args_opt	*o;

	for (o = ce->args.opts; o != NULL && o->name != NULL; o++) {
		if ((w[1] == '-' && strcmp(w + 2, o->name) == 0) ||
		    (w[1] == o->ch && w[2] == '\0'))
			return (o);
	}
	return (NULL);
}

/*
 * The kind of positional argument i, read from the usage line: option
 * words and their values are skipped; "--" or "|" ends the positionals.
 */
static void
complete_positional(struct complete *c, const struct cmd_entry *ce, int i)
{
	const struct args_opt	*o;
	char			*u, *w, *p, *save = NULL;
	int			 skip = 0;

	if (ce->args.upper != -1 && i >= ce->args.upper)
		return;
	if ((u = strdup(ce->usage)) == NULL)
		return;
	for (w = strtok_r(u, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		w += strspn(w, "[");
		if ((p = strpbrk(w, "]")) != NULL)
			*p = '\0';
		if (skip-- > 0)
			continue;
		if (strcmp(w, "|") == 0 || strcmp(w, "--") == 0)
			break;
		if (w[0] == '-') {
			o = complete_find_opt(ce, w);
			skip = o != NULL && o->arg != NULL;
			continue;
		}
		if (i-- == 0) {
			if ((p = strstr(w, "|-")) != NULL)
				*p = '\0';
			complete_kind(c, w);
			break;
		}
	}
	free(u);
}

/* Complete the last word; argv[0] is the command's name. */
static void
complete_command_args(struct complete *c, const struct cmd_entry *ce,
    int argc, char **argv)
{
	const struct args_opt	*o;
	int			 i, pos = 0, dashdash = 0;

	for (i = 1; i < argc - 1; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0')
			pos++;
		else if (strcmp(argv[i], "--") == 0)
			dashdash = 1;
		else if ((o = complete_find_opt(ce, argv[i])) != NULL &&
		    o->arg != NULL) {
			if (++i == argc - 1) {
				complete_kind(c, o->arg);
				return;
			}
		}
	}
	if (dashdash)
		complete_kind(c, "FILE");
	else if (c->word[0] == '-')
		complete_options(c, ce);
	else
		complete_positional(c, ce, pos);
}

/* Skip qshmctl's global options; -1 while completing one of them. */
static int
complete_skip_globals(struct complete *c, int argc, char **argv)
{
	int	i;

	for (i = 0; i < argc - 1 && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0) {
			if (++i == argc - 1) {
				complete_kind(c, "PATH");
				return (-1);
			}
			setenv("QSHM_SOCKET", argv[i], 1);
		}
	}
	return (i);
}

/*
 * Emit the candidates for argv[argc - 1], the word being typed, given the
 * words before it (argv[0] is the command, or with !in_shell possibly
 * qshmctl's global options).  Returns how many were emitted.
 */
int
complete_words(int argc, char **argv, int in_shell, complete_emit emit,
    void *arg)
{
	struct complete		 c;
	const struct cmd_entry	*ce;
	int			 i = 0, ambiguous;

	if (argc < 1)
		return (0);
	memset(&c, 0, sizeof c);
	c.word = argv[argc - 1];
	c.len = strlen(c.word);
	c.in_shell = in_shell;
	c.emit = emit;
	c.arg = arg;
	if (!in_shell && (i = complete_skip_globals(&c, argc, argv)) == -1)
		return (c.n);
	if (i == argc - 1) {
		if (!in_shell && c.word[0] == '-')
			complete_list(&c, complete_globals);
		else
			complete_commands(&c);
		return (c.n);
	}
	if ((ce = cmd_find(argv[i], &ambiguous)) != NULL)
		complete_command_args(&c, ce, argc - i, argv + i);
	return (c.n);
}
