/*
 * __complete: print the words that may complete a command line, one a
 * line, for the bash, zsh and fish completions.  Hidden: people do not
 * type it.  It never starts a broker; with none, live names are those in
 * /dev/shm only.
 *
 *	qshmctl __complete -- [WORD...] CURRENT
 */

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "complete.h"

static enum cmd_ret	cmd_complete_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_complete_entry = {
	.name = "__complete",
	.args = { NULL, 0, -1 },
	.usage = "-- [WORD ...] CURRENT",
	.summary = "print completions for the shells' completion scripts",
	.flags = CMD_HIDDEN | CMD_RAW_OUTPUT | CMD_NO_SHELL,
	.exec = cmd_complete_exec
};

static void
cmd_complete_print(const char *word, void *arg)
{
	puts(word);
	(void)arg;
}

static enum cmd_ret
cmd_complete_exec(struct cmd_ctx *ctx, struct args *args)
{
	char	 none[] = "", *empty[] = { none, NULL };
	char	**argv = args_argv(args, 0);
	int	 argc = args_count(args);

	out_raw(ctx->out);
	if (setenv("QSHM_AUTOSTART", "0", 1) == -1)
		return (cmd_errno(ctx, "QSHM_AUTOSTART"));
	if (argc == 0) {
		argv = empty;
		argc = 1;
	}
	complete_words(argc, argv, 0, cmd_complete_print, NULL);
	return (CMD_RET_OK);
}
