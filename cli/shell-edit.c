/*
 * shell-edit.c: the interactive shell on a terminal, with libedit: emacs
 * key bindings, history kept in $QSHM_HISTORY (else ~/.qshmctl_history),
 * the tab key completing from complete.c, and a prompt that names the
 * broker socket the commands talk to.
 */

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "cmd.h"
#include "complete.h"
#include "shell.h"
#include "tokenize.h"

#define SHELL_EDIT_HISTORY	1000	/* lines kept */

struct shell_edit {
	EditLine	*el;
	History		*hist;
	char		*histfile;	/* NULL: none */
	char		*prompt;
};

/* What the tab key found. */
struct shell_edit_cands {
	char		**v;
	size_t		  n;
};

static char *
shell_edit_prompt(EditLine *el)
{
	static char		 fallback[] = "qshm> ";
	struct shell_edit	*se;

	if (el_get(el, EL_CLIENTDATA, &se) != 0 || se->prompt == NULL)
		return (fallback);
	return (se->prompt);
}

static char *
shell_edit_histfile(void)
{
	const char	*s, *home;
	char		*path;

	if ((s = getenv("QSHM_HISTORY")) != NULL)
		return (*s != '\0' ? strdup(s) : NULL);
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return (NULL);
	if (asprintf(&path, "%s/.qshmctl_history", home) == -1)
		return (NULL);
	return (path);
}

/* Handles are not secrets, but what one types is nobody else's. */
static void
shell_edit_save(struct shell_edit *se)
{
	HistEvent	ev;
	int		fd;

	if (se->histfile == NULL)
		return;
	if ((fd = open(se->histfile, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) != -1)
		close(fd);
	history(se->hist, &ev, H_SAVE, se->histfile);
}

static void
shell_edit_cand(const char *word, void *arg)
{
	struct shell_edit_cands	*c = arg;
	char			**v;

	if (strcmp(word, COMPLETE_FILES) == 0)
		return;
	if ((v = reallocarray(c->v, c->n + 1, sizeof *v)) == NULL)
		return;
	c->v = v;
	if ((c->v[c->n] = strdup(word)) != NULL)
		c->n++;
}

static void
shell_edit_cands_free(struct shell_edit_cands *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

/* How many leading bytes every candidate shares. */
static size_t
shell_edit_common(const struct shell_edit_cands *c)
{
	size_t	i, len = strlen(c->v[0]);

	for (i = 1; i < c->n; i++) {
		while (len > 0 && strncmp(c->v[0], c->v[i], len) != 0)
			len--;
	}
	return (len);
}

/* Insert s[0..len), escaped for the quote the word is in. */
static void
shell_edit_insert(EditLine *el, const char *s, size_t len, int quote)
{
	const char	*special = quote == '"' ? "\"\\$`" :
			    quote == '\'' ? "" : " \t\"'\\$#";
	char		 buf[3];
	size_t		 i;

	for (i = 0; i < len; i++) {
		buf[0] = '\\';
		buf[1] = s[i];
		buf[2] = '\0';
		el_insertstr(el, strchr(special, s[i]) != NULL ? buf : buf + 1);
	}
}

/* Show the candidates under the line, then the line again. */
static unsigned char
shell_edit_show(const struct shell_edit_cands *c)
{
	size_t	i;

	fputc('\n', stdout);
	for (i = 0; i < c->n; i++)
		printf("%s%s", c->v[i], i + 1 < c->n ? "  " : "\n");
	fflush(stdout);
	return (CC_REDISPLAY);
}

static unsigned char
shell_edit_apply(EditLine *el, const struct shell_edit_cands *c,
    const char *word, int quote)
{
	size_t	wlen = strlen(word), common;

	if (c->n == 0)
		return (CC_REFRESH_BEEP);
	common = shell_edit_common(c);
	if (common > wlen)
		shell_edit_insert(el, c->v[0] + wlen, common - wlen, quote);
	if (c->n == 1) {
		if (quote != 0)
			el_insertstr(el, quote == '"' ? "\"" : "'");
		el_insertstr(el, " ");
	} else if (common <= wlen)
		return (shell_edit_show(c));
	return (CC_REFRESH);
}

/* The tab key: complete the word before the cursor. */
static unsigned char
shell_edit_complete(EditLine *el, int ch)
{
	const LineInfo		*li = el_line(el);
	struct shell_edit_cands	 c = { NULL, 0 };
	struct tokenize		 t;
	char			*upto, **argv, none[] = "";
	unsigned char		 rv = CC_ERROR;
	int			 argc;

	(void)ch;
	if ((upto = strndup(li->buffer, (size_t)(li->cursor -
	    li->buffer))) == NULL)
		return (CC_ERROR);
	if (tokenize(upto, TOKENIZE_PARTIAL, NULL, NULL, &t) == TOKENIZE_OK &&
	    (argv = reallocarray(t.argv, (size_t)t.argc + 2,
	    sizeof *argv)) != NULL) {
		t.argv = argv;
		argc = t.argc;
		if (!t.open)
			argv[argc++] = none;
		argv[argc] = NULL;
		complete_words(argc, argv, 1, shell_edit_cand, &c);
		rv = shell_edit_apply(el, &c, argv[argc - 1], t.quote);
	}
	shell_edit_cands_free(&c);
	tokenize_free(&t);
	free(upto);
	return (rv);
}

/* Control-C: drop the line being typed and start a new one. */
static unsigned char
shell_edit_interrupt(EditLine *el, int ch)
{
	const LineInfo	*li = el_line(el);

	(void)ch;
	el_cursor(el, (int)(li->lastchar - li->cursor));
	li = el_line(el);
	el_deletestr(el, (int)(li->cursor - li->buffer));
	fputs("^C\n", stdout);
	fflush(stdout);
	return (CC_REDISPLAY);
}

static int
shell_edit_open(struct shell_edit *se)
{
	HistEvent	ev;

	memset(se, 0, sizeof se[0]);
	if ((se->hist = history_init()) == NULL)
		return (-1);
	history(se->hist, &ev, H_SETSIZE, SHELL_EDIT_HISTORY);
	history(se->hist, &ev, H_SETUNIQUE, 1);
	if ((se->histfile = shell_edit_histfile()) != NULL)
		history(se->hist, &ev, H_LOAD, se->histfile);
	if (asprintf(&se->prompt, "qshm %s> ", qshm_socket_path()) == -1)
		se->prompt = NULL;
	if ((se->el = el_init("qshmctl", stdin, stdout, stderr)) == NULL)
		return (-1);
	el_set(se->el, EL_CLIENTDATA, se);
	el_set(se->el, EL_EDITOR, "emacs");
	el_set(se->el, EL_SIGNAL, 1);
	el_set(se->el, EL_PROMPT, shell_edit_prompt);
	el_set(se->el, EL_HIST, history, se->hist);
	/* The narrow EL_ADDFN copies its strings and never frees them. */
	el_wset(se->el, EL_ADDFN, L"qshm-complete", L"complete a word",
	    shell_edit_complete);
	el_set(se->el, EL_BIND, "^I", "qshm-complete", NULL);
	/* ^C reaches the editor as a key, not as SIGINT, while editing. */
	el_set(se->el, EL_SETTY, "-d", "-isig", NULL);
	el_wset(se->el, EL_ADDFN, L"qshm-interrupt", L"drop the line",
	    shell_edit_interrupt);
	el_set(se->el, EL_BIND, "^C", "qshm-interrupt", NULL);
	el_source(se->el, NULL);
	return (0);
}

static void
shell_edit_close(struct shell_edit *se)
{
	if (se->el != NULL)
		el_end(se->el);
	if (se->hist != NULL)
		history_end(se->hist);
	free(se->histfile);
	free(se->prompt);
}

static void
shell_edit_remember(struct shell_edit *se, char *line)
{
	HistEvent	ev;

	line[strcspn(line, "\n")] = '\0';
	if (line[strspn(line, " \t")] == '\0')
		return;
	history(se->hist, &ev, H_ENTER, line);
	shell_edit_save(se);
}

/* Read and run lines until exit, quit or end of input. */
enum cmd_ret
shell_interactive(struct shell *sh)
{
	struct shell_edit	 se;
	const char		*s;
	char			*line;
	int			 n;

	if (shell_edit_open(&se) == -1) {
		shell_edit_close(&se);
		return (CMD_RET_ERR);
	}
	while (!sh->done && (s = el_gets(se.el, &n)) != NULL && n > 0) {
		if ((line = strdup(s)) == NULL)
			break;
		shell_edit_remember(&se, line);
		shell_line(sh, line, NULL);
		free(line);
	}
	if (!sh->done)
		fputc('\n', stdout);
	shell_edit_close(&se);
	return ((enum cmd_ret)sh->status);
}
