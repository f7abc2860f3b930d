/*
 * main.c: qshmctl's entry point.  It reads the global options, runs one
 * command through the command table, renders its output and turns the
 * result into the exit status: 0 success, 1 failure, 2 usage.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#ifndef QSHM_VERSION
#define QSHM_VERSION	"unknown"
#endif

static const struct option main_longopts[] = {
	{ "help",	no_argument,		NULL,	'h' },
	{ "json",	no_argument,		NULL,	'j' },
	{ "quiet",	no_argument,		NULL,	'q' },
	{ "socket",	required_argument,	NULL,	's' },
	{ "version",	no_argument,		NULL,	'V' },
	{ NULL,		0,			NULL,	0 }
};

static void
main_usage(FILE *fp)
{
	fputs("usage: qshmctl [-j|--json] [-s|--socket PATH] [-q] [-h] [-V] "
	    "COMMAND [ARGS]\n", fp);
}

static void
main_help(void)
{
	main_usage(stdout);
	fputs("\nQNX shared-memory handles for Linux.\n\ncommands:\n",
	    stdout);
	cmd_print_commands(stdout);
	fputs("\nglobal options:\n"
	    "  -j, --json          print one JSON document\n"
	    "  -s, --socket PATH   the broker socket (sets QSHM_SOCKET)\n"
	    "  -q, --quiet         print only the essential value\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\n'qshmctl COMMAND -h' describes a command.\n", stdout);
}

static int
main_bad_option(char **argv)
{
	char	opt[3] = { '-', (char)optopt, '\0' };

	cmd_print_error(NULL, optopt != 0 ? opt : argv[optind - 1],
	    "unknown option or missing argument");
	main_usage(stderr);
	return (CMD_RET_USAGE);
}

/* Read the global options; -1 to go on, else the exit status. */
static int
main_options(int argc, char **argv, struct cmd_ctx *ctx)
{
	int	ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hjqs:V", main_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			main_help();
			return (0);
		case 'j':
			ctx->json = 1;
			break;
		case 'q':
			ctx->quiet = 1;
			break;
		case 's':
			if (setenv("QSHM_SOCKET", optarg, 1) == -1) {
				cmd_print_error(NULL, optarg,
				    strerror(errno));
				return (CMD_RET_ERR);
			}
			break;
		case 'V':
			printf("qshmctl %s\n", QSHM_VERSION);
			return (0);
		default:
			return (main_bad_option(argv));
		}
	}
	return (-1);
}

/* Flush stdout and say so if anything written to it was lost. */
static int
main_check_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "qshmctl: stdout: %s\n", strerror(errno));
		return (CMD_RET_ERR);
	}
	return (status);
}

int
main(int argc, char **argv)
{
	struct cmd_ctx	ctx;
	enum cmd_ret	ret;
	int		status;
	char		shell[] = "shell", *shell_argv[] = { shell, NULL };

	memset(&ctx, 0, sizeof ctx);
	if ((status = main_options(argc, argv, &ctx)) != -1)
		return (main_check_stdout(status));
	if (optind >= argc) {
		/* No command on a terminal: the interactive shell. */
		if (!isatty(STDIN_FILENO)) {
			main_usage(stderr);
			return (CMD_RET_USAGE);
		}
		argc = 1;
		argv = shell_argv;
		optind = 0;
	}
	ret = cmd_execute(&ctx, argc - optind, argv + optind);
	out_free(ctx.out);
	return (main_check_stdout(ret));
}
