/*
 * cmd.c: the one command table.  It drives argv dispatch, the shell,
 * usage text and help; and it holds how commands report failures, so
 * every message reads "qshmctl: COMMAND: OBJECT: cause".
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qshm.h"
#include "cmd.h"
#include "enc.h"

const struct cmd_entry *cmd_table[] = {
	&cmd_broker_entry,
	&cmd_complete_entry,
	&cmd_create_entry,
	&cmd_grant_entry,
	&cmd_help_entry,
	&cmd_list_entry,
	&cmd_map_dump_entry,
	&cmd_open_entry,
	&cmd_revoke_entry,
	&cmd_shell_entry,
	&cmd_truncate_entry,
	&cmd_unlink_entry,
	NULL
};

/*
 * Find a command by its name or a unique prefix of it; *ambiguous is set
 * when a prefix matches more than one.
 */
const struct cmd_entry *
cmd_find(const char *name, int *ambiguous)
{
	const struct cmd_entry	**ce, *found = NULL;
	size_t			  len = strlen(name);
	int			  n = 0;

	*ambiguous = 0;
	if (len == 0)
		return (NULL);
	for (ce = cmd_table; *ce != NULL; ce++) {
		if (strcmp((*ce)->name, name) == 0)
			return (*ce);
		if (strncmp((*ce)->name, name, len) == 0) {
			found = *ce;
			n++;
		}
	}
	if (n > 1)
		*ambiguous = 1;
	return (n == 1 ? found : NULL);
}

/* Print s on stderr, escaped: it may quote argv or a file's name. */
static void
cmd_print_safe(const char *s, const char *after)
{
	char	*t;

	if ((t = enc_text(s, 0)) == NULL) {
		fprintf(stderr, "(out of memory)%s", after);
		return;
	}
	fprintf(stderr, "%s%s", t, after);
	free(t);
}

/*
 * Print "qshmctl: [COMMAND: ][OBJECT: ]CAUSE" on stderr, with the object
 * and the cause escaped: every error message goes through here.
 */
void
cmd_print_error(const char *command, const char *object, const char *cause)
{
	fputs("qshmctl: ", stderr);
	if (command != NULL)
		fprintf(stderr, "%s: ", command);
	if (object != NULL && *object != '\0')
		cmd_print_safe(object, ": ");
	cmd_print_safe(cause, "\n");
}

static void
cmd_report(struct cmd_ctx *ctx, int errnum, const char *object,
    const char *cause)
{
	if (ctx->reported)
		return;
	ctx->reported = 1;
	cmd_print_error(ctx->entry != NULL ? ctx->entry->name : NULL, object,
	    cause);
	out_error(ctx->out, object, errnum, cause);
}

static enum cmd_ret
cmd_vreport(struct cmd_ctx *ctx, int errnum, const char *object,
    const char *fmt, va_list ap)
{
	char	*cause;

	if (vasprintf(&cause, fmt, ap) == -1)
		cause = NULL;
	cmd_report(ctx, errnum, object, cause != NULL ? cause :
	    strerror(errnum));
	free(cause);
	return (CMD_RET_ERR);
}

/*
 * Report a failure whose cause is errno (and the library's detail, when it
 * has one); the arguments name the object.
 */
enum cmd_ret
cmd_errno(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list		 ap;
	int		 errnum = errno;
	const char	*detail = qshm_error_detail();
	char		*object, *cause;

	va_start(ap, fmt);
	if (vasprintf(&object, fmt, ap) == -1)
		object = NULL;
	va_end(ap);
	if (detail != NULL && *detail != '\0') {
		if (asprintf(&cause, "%s (%s)", strerror(errnum), detail) == -1)
			cause = NULL;
	} else
		cause = strdup(strerror(errnum));
	cmd_report(ctx, errnum, object, cause != NULL ? cause :
	    strerror(errnum));
	free(cause);
	free(object);
	errno = errnum;
	return (CMD_RET_ERR);
}

/* Report a failure with errno value errnum and a cause of our own words. */
enum cmd_ret
cmd_error(struct cmd_ctx *ctx, int errnum, const char *object,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vreport(ctx, errnum, object, fmt, ap);
	va_end(ap);
	return (CMD_RET_ERR);
}

/* Report a usage error and print the command's usage line. */
enum cmd_ret
cmd_usage(struct cmd_ctx *ctx, const char *object, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vreport(ctx, EINVAL, object, fmt, ap);
	va_end(ap);
	if (ctx->entry != NULL)
		cmd_print_usage(ctx->entry, stderr);
	return (CMD_RET_USAGE);
}

/* A failure already reported in another way (the broker's own errors). */
enum cmd_ret
cmd_fail(struct cmd_ctx *ctx)
{
	ctx->reported = 1;
	return (CMD_RET_ERR);
}

/* Print "usage: qshmctl NAME USAGE". */
void
cmd_print_usage(const struct cmd_entry *ce, FILE *fp)
{
	fprintf(fp, "usage: qshmctl %s%s%s\n", ce->name,
	    *ce->usage != '\0' ? " " : "", ce->usage);
}

/* Print a command's usage, summary and options. */
void
cmd_print_help(const struct cmd_entry *ce, FILE *fp)
{
	const struct args_opt	*o;
	char			 left[64];

	cmd_print_usage(ce, fp);
	fprintf(fp, "\n%s\n\noptions:\n", ce->summary);
	for (o = ce->args.opts; o != NULL && o->name != NULL; o++) {
		if (o->ch < ARGS_LONG)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->ch,
			    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(fp, "  %-30s %s\n", left, o->help);
	}
	fprintf(fp, "  %-30s %s\n", "-j, --json", "print one JSON document");
	fprintf(fp, "  %-30s %s\n", "-q, --quiet",
	    "print only the essential value");
	fprintf(fp, "  %-30s %s\n", "-h, --help", "show this help");
}

/* Print every visible command with its summary. */
void
cmd_print_commands(FILE *fp)
{
	const struct cmd_entry	**ce;

	for (ce = cmd_table; *ce != NULL; ce++) {
		if (((*ce)->flags & CMD_HIDDEN) == 0)
			fprintf(fp, "  %-10s %s\n", (*ce)->name,
			    (*ce)->summary);
	}
}

static enum cmd_ret
cmd_lookup(struct cmd_ctx *ctx, const char *name,
    const struct cmd_entry **cep)
{
	int	ambiguous;

	if ((*cep = cmd_find(name, &ambiguous)) != NULL)
		return (CMD_RET_OK);
	ctx->entry = NULL;
	cmd_report(ctx, EINVAL, name, ambiguous ? "ambiguous command" :
	    "unknown command");
	fputs(ctx->interactive ? "try 'help'\n" : "try 'qshmctl --help'\n",
	    stderr);
	return (CMD_RET_USAGE);
}

/* Run a parsed command, with -j and -q given after its name applied. */
static enum cmd_ret
cmd_run_exec(struct cmd_ctx *ctx, const struct cmd_entry *ce,
    struct args *args)
{
	int		json = ctx->json, quiet = ctx->quiet;
	enum cmd_ret	ret;

	ctx->json |= args_has(args, 'j');
	ctx->quiet |= args_has(args, 'q');
	out_set_mode(ctx->out, ctx->json, ctx->quiet);
	ret = ce->exec(ctx, args);
	ctx->json = json;	/* the shell's next command starts afresh */
	ctx->quiet = quiet;
	return (ret);
}

/* Parse and run one command, argv[0] naming it; main() and the shell. */
enum cmd_ret
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry	*ce;
	struct args		*args;
	char			*cause;
	enum cmd_ret		 ret;

	if ((ret = cmd_lookup(ctx, argv[0], &ce)) != CMD_RET_OK)
		return (ret);
	ctx->entry = ce;
	out_set_command(ctx->out, ce->name);
	if ((ce->flags & CMD_NO_SHELL) && ctx->interactive)
		return (cmd_error(ctx, EINVAL, NULL,
		    "not available in the shell"));
	if ((args = args_parse(&ce->args, argc, argv, &cause)) == NULL) {
		ret = cmd_usage(ctx, NULL, "%s", cause != NULL ? cause :
		    "out of memory");
		free(cause);
		return (ret);
	}
	if (args_has(args, 'h')) {
		cmd_print_help(ce, stdout);
		out_raw(ctx->out);
		ret = CMD_RET_OK;
	} else
		ret = cmd_run_exec(ctx, ce, args);
	args_free(args);
	return (ret);
}

/*
 * Run one command with a fresh output and render it on stdout; main()
 * and the shell.  The caller frees ctx->out, after reading what the
 * command produced.
 */
enum cmd_ret
cmd_execute(struct cmd_ctx *ctx, int argc, char **argv)
{
	enum cmd_ret	ret;

	ctx->out = out_new(argv[0], ctx->json, ctx->quiet);
	ret = cmd_run(ctx, argc, argv);
	if (out_render(ctx->out, stdout) == -1 && ret == CMD_RET_OK)
		ret = CMD_RET_ERR;
	return (ret);
}

static int
cmd_bad_value(struct cmd_ctx *ctx, int ch, const char *value,
    const char *what)
{
	cmd_usage(ctx, value, "%s %s for --%s", errno == ERANGE ?
	    "out-of-range" : "invalid", what,
	    args_opt_name(&ctx->entry->args, ch));
	return (-1);
}

/*
 * The cmd_get_* helpers read option ch through the checked parsers: 0 if
 * it was not given (*out untouched), 1 if it was, -1 after reporting a
 * usage error for a bad value.
 */
int
cmd_get_size(struct cmd_ctx *ctx, struct args *args, int ch, uint64_t *out)
{
	const char	*s;

	if ((s = args_get(args, ch)) == NULL)
		return (0);
	if (parse_size(s, out) == -1)
		return (cmd_bad_value(ctx, ch, s, "size"));
	return (1);
}

/* Read a pid option; see cmd_get_size(). */
int
cmd_get_pid(struct cmd_ctx *ctx, struct args *args, int ch, pid_t *out)
{
	const char	*s;

	if ((s = args_get(args, ch)) == NULL)
		return (0);
	if (parse_pid(s, out) == -1)
		return (cmd_bad_value(ctx, ch, s, "pid"));
	return (1);
}

/* Read a plain number option; see cmd_get_size(). */
int
cmd_get_u64(struct cmd_ctx *ctx, struct args *args, int ch, uint64_t *out)
{
	const char	*s;

	if ((s = args_get(args, ch)) == NULL)
		return (0);
	if (parse_u64(s, out) == -1)
		return (cmd_bad_value(ctx, ch, s, "number"));
	return (1);
}

/* Read an octal mode option; see cmd_get_size(). */
int
cmd_get_mode(struct cmd_ctx *ctx, struct args *args, int ch, mode_t *out)
{
	const char	*s;

	if ((s = args_get(args, ch)) == NULL)
		return (0);
	if (parse_mode(s, out) == -1)
		return (cmd_bad_value(ctx, ch, s, "mode"));
	return (1);
}

/*
 * Read an access option (ro, wo, rw); allow_wo 0 refuses wo.  See
 * cmd_get_size().
 */
int
cmd_get_access(struct cmd_ctx *ctx, struct args *args, int ch,
    int allow_wo, int *out)
{
	const char	*s;
	int		 access;

	if ((s = args_get(args, ch)) == NULL)
		return (0);
	errno = EINVAL;
	if (parse_access(s, &access) == -1 ||
	    (!allow_wo && access == O_WRONLY))
		return (cmd_bad_value(ctx, ch, s, "access"));
	*out = access;
	return (1);
}
