/*
 * help: describe qshmctl or one command; in the shell, also the shell's
 * own words.  --list names every command in the table, one a line, for
 * scripts and for the test that the manual documents each of them.
 */

#include <errno.h>
#include <stdio.h>

#include "cmd.h"

enum {
	CMD_HELP_LIST = 'l'
};

static const struct args_opt cmd_help_opts[] = {
	{ CMD_HELP_LIST, "list", NULL, "name every command, one a line" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_help_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = { cmd_help_opts, 0, 1 },
	.usage = "[--list] [COMMAND]",
	.summary = "describe qshmctl or a command",
	.flags = CMD_RAW_OUTPUT,
	.exec = cmd_help_exec
};

static void
cmd_help_list(void)
{
	const struct cmd_entry	**ce;

	for (ce = cmd_table; *ce != NULL; ce++)
		puts((*ce)->name);
}

static void
cmd_help_shell(void)
{
	fputs("\nin the shell:\n"
	    "  exit [STATUS], quit  leave (so does end of input)\n"
	    "  $_                   the handle or object the last grant or "
	    "create made\n"
	    "  $?, $$               the last status, the shell's pid\n"
	    "  --pid self           this shell, so 'grant OBJ --pid self' "
	    "then 'open $_'\n"
	    "  'x y', \"x y\", \\      quoting as in sh; # starts a comment\n"
	    "  tab                  complete commands, options, objects, "
	    "handles\n", stdout);
}

static enum cmd_ret
cmd_help_exec(struct cmd_ctx *ctx, struct args *args)
{
	const struct cmd_entry	*ce;
	const char		*name = args_arg(args, 0);
	int			 ambiguous;

	out_raw(ctx->out);
	if (args_has(args, CMD_HELP_LIST)) {
		cmd_help_list();
		return (CMD_RET_OK);
	}
	if (name == NULL) {
		fputs("usage: qshmctl [-j|--json] [-s|--socket PATH] [-q] "
		    "[-h] [-V] COMMAND [ARGS]\n\ncommands:\n", stdout);
		cmd_print_commands(stdout);
		if (ctx->interactive)
			cmd_help_shell();
		return (CMD_RET_OK);
	}
	if ((ce = cmd_find(name, &ambiguous)) == NULL)
		return (cmd_usage(ctx, name, ambiguous ? "ambiguous command" :
		    "unknown command"));
	cmd_print_help(ce, stdout);
	return (CMD_RET_OK);
}
