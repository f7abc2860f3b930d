/*
 * shell.c: run shell lines.  A line is split by tokenize() with $_ (the
 * handle or object the last grant or create made), $? (the last status),
 * $$ (the shell's pid) and the environment; its first word names a
 * command of the one table, or the builtins exit and quit.  A failing
 * command is reported and the shell goes on, except that a script stops
 * at the first failure unless --keep-going.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "shell.h"
#include "tokenize.h"

/* Set up a shell that runs commands as ctx (its -j and -q) would. */
void
shell_init(struct shell *sh, const struct cmd_ctx *ctx)
{
	memset(sh, 0, sizeof *sh);
	sh->json = ctx->json;
	sh->quiet = ctx->quiet;
	snprintf(sh->pid, sizeof sh->pid, "%ld", (long)getpid());
	snprintf(sh->code, sizeof sh->code, "0");
}

/* Free what the shell holds. */
void
shell_free(struct shell *sh)
{
	free(sh->last);
	sh->last = NULL;
}

static const char *
shell_lookup(const char *name, void *arg)
{
	struct shell	*sh = arg;

	if (strcmp(name, "_") == 0)
		return (sh->last);
	if (strcmp(name, "?") == 0)
		return (sh->code);
	if (strcmp(name, "$") == 0)
		return (sh->pid);
	return (getenv(name));
}

static void
shell_set_status(struct shell *sh, int status)
{
	sh->status = status;
	snprintf(sh->code, sizeof sh->code, "%d", status);
}

/* Report a line the shell itself cannot run, as the command "shell". */
static enum cmd_ret
shell_complain(struct shell *sh, const char *where, const char *fmt, ...)
{
	struct cmd_ctx	ctx;
	va_list		ap;
	char		*cause;

	memset(&ctx, 0, sizeof ctx);
	ctx.entry = &cmd_shell_entry;
	ctx.out = out_new("shell", sh->json, sh->quiet);
	va_start(ap, fmt);
	if (vasprintf(&cause, fmt, ap) == -1)
		cause = NULL;
	va_end(ap);
	cmd_error(&ctx, EINVAL, where, "%s", cause != NULL ? cause :
	    "out of memory");
	out_render(ctx.out, stdout);
	out_free(ctx.out);
	free(cause);
	fflush(stdout);
	return (CMD_RET_USAGE);
}

/* exit [STATUS] and quit. */
static enum cmd_ret
shell_exit(struct shell *sh, int argc, char **argv, const char *where)
{
	uint64_t	v = (uint64_t)sh->status;

	if (argc > 2 || (argc == 2 && (parse_u64(argv[1], &v) == -1 ||
	    v > 255)))
		return (shell_complain(sh, where, "usage: %s [STATUS]",
		    argv[0]));
	sh->done = 1;
	sh->status = (int)v;
	return (CMD_RET_OK);
}

static enum cmd_ret
shell_command(struct shell *sh, int argc, char **argv)
{
	struct cmd_ctx	 ctx;
	const char	*made;
	enum cmd_ret	 ret;

	memset(&ctx, 0, sizeof ctx);
	ctx.json = sh->json;
	ctx.quiet = sh->quiet;
	ctx.interactive = 1;
	ret = cmd_execute(&ctx, argc, argv);
	if (ret == CMD_RET_OK && ctx.entry != NULL &&
	    (ctx.entry->flags & CMD_SETS_LAST) &&
	    (made = out_get_primary(ctx.out)) != NULL) {
		free(sh->last);
		sh->last = strdup(made);
	}
	out_free(ctx.out);
	fflush(stdout);
	return (ret);
}

/*
 * Run one line; where ("FILE:LINE", or NULL) names it in messages.
 * Blank lines and comments do nothing.
 */
enum cmd_ret
shell_line(struct shell *sh, const char *line, const char *where)
{
	struct tokenize	t;
	enum cmd_ret	ret;
	int		err, ran;

	err = tokenize(line, 0, shell_lookup, sh, &t);
	if (err == TOKENIZE_UNSET)
		ret = shell_complain(sh, where, "$%s: %s", t.bad,
		    tokenize_strerror(err));
	else if (err != TOKENIZE_OK)
		ret = shell_complain(sh, where, "%s", tokenize_strerror(err));
	else if (t.argc == 0)
		ret = CMD_RET_OK;
	else if (strcmp(t.argv[0], "exit") == 0 ||
	    strcmp(t.argv[0], "quit") == 0)
		ret = shell_exit(sh, t.argc, t.argv, where);
	else
		ret = shell_command(sh, t.argc, t.argv);
	ran = t.argc > 0 || err != TOKENIZE_OK;
	tokenize_free(&t);
	if (ran)
		shell_set_status(sh, sh->done ? sh->status : (int)ret);
	return (ret);
}

/*
 * Run a script from fp (name says where from), line by line.  Stops at
 * the first failure unless keep_going; returns the status the shell
 * exits with: the failing command's, or with keep_going the last
 * failure's, or what exit said.
 */
enum cmd_ret
shell_script(struct shell *sh, FILE *fp, const char *name)
{
	char		*line = NULL, *where;
	size_t		 size = 0;
	unsigned long	 n = 0;
	enum cmd_ret	 ret, worst = CMD_RET_OK;

	while (!sh->done && getline(&line, &size, fp) != -1) {
		if (asprintf(&where, "%s:%lu", name, ++n) == -1)
			where = NULL;
		ret = shell_line(sh, line, where);
		free(where);
		if (ret != CMD_RET_OK) {
			worst = ret;
			if (!sh->keep_going)
				break;
		}
	}
	if (ferror(fp))
		worst = shell_complain(sh, name, "%s", strerror(errno));
	free(line);
	if (sh->done)
		return ((enum cmd_ret)sh->status);
	return (worst);
}
