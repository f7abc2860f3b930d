/*
 * shell: run commands one after another in one process, interactively
 * on a terminal (line editing, history, completion) or from a script (a
 * file, or a stdin that is not a terminal).  Because it is one process,
 * "grant OBJECT --pid self" makes a handle this same shell can open:
 *
 *	qshm> grant /cam0 --pid self
 *	qshm> open $_
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "shell.h"

enum {
	CMD_SHELL_FILE = 'f',
	CMD_SHELL_KEEP = 'k'
};

static const struct args_opt cmd_shell_opts[] = {
	{ CMD_SHELL_FILE, "file", "FILE",
	    "run the commands in FILE (- stdin)" },
	{ CMD_SHELL_KEEP, "keep-going", NULL,
	    "scripts: go on after a command fails" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_shell_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_shell_entry = {
	.name = "shell",
	.args = { cmd_shell_opts, 0, 0 },
	.usage = "[-f FILE] [--keep-going]",
	.summary = "run commands interactively or from a script",
	.flags = CMD_RAW_OUTPUT | CMD_NO_SHELL,
	.exec = cmd_shell_exec
};

static enum cmd_ret
cmd_shell_file(struct cmd_ctx *ctx, struct shell *sh, const char *path)
{
	FILE		*fp;
	enum cmd_ret	 ret;

	if ((fp = fopen(path, "re")) == NULL)
		return (cmd_errno(ctx, "%s", path));
	ret = shell_script(sh, fp, path);
	fclose(fp);
	return (ret);
}

static enum cmd_ret
cmd_shell_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct shell	 sh;
	const char	*file = args_get(args, CMD_SHELL_FILE);
	enum cmd_ret	 ret;

	out_raw(ctx->out);
	shell_init(&sh, ctx);
	sh.keep_going = args_has(args, CMD_SHELL_KEEP) > 0;
	if (file != NULL && strcmp(file, "-") != 0)
		ret = cmd_shell_file(ctx, &sh, file);
	else if (file == NULL && isatty(STDIN_FILENO)) {
		if ((ret = shell_interactive(&sh)) == CMD_RET_ERR &&
		    !sh.done && errno != 0)
			ret = cmd_errno(ctx, "line editing");
	} else
		ret = shell_script(&sh, stdin, "stdin");
	shell_free(&sh);
	/* The commands reported their own failures. */
	ctx->reported = 1;
	return (ret);
}
