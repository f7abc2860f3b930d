/*
 * help: describe qshmctl or one command.
 */

#include <errno.h>
#include <stdio.h>

#include "cmd.h"

static enum cmd_ret	cmd_help_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = { NULL, 0, 1 },
	.usage = "[COMMAND]",
	.summary = "describe qshmctl or a command",
	.flags = CMD_RAW_OUTPUT,
	.exec = cmd_help_exec
};

static enum cmd_ret
cmd_help_exec(struct cmd_ctx *ctx, struct args *args)
{
	const struct cmd_entry	*ce;
	const char		*name = args_arg(args, 0);
	int			 ambiguous;

	out_raw(ctx->out);
	if (name == NULL) {
		fputs("usage: qshmctl [-j|--json] [-s|--socket PATH] [-q] "
		    "[-h] [-V] COMMAND [ARGS]\n\ncommands:\n", stdout);
		cmd_print_commands(stdout);
		return (CMD_RET_OK);
	}
	if ((ce = cmd_find(name, &ambiguous)) == NULL)
		return (cmd_usage(ctx, name, ambiguous ? "ambiguous command" :
		    "unknown command"));
	cmd_print_help(ce, stdout);
	return (CMD_RET_OK);
}
