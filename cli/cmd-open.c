/*
 * open: turn a handle granted to this process into an fd.  With a command
 * after "--", the fd is left open across exec (its number in QSHM_FD, the
 * object's size in QSHM_SIZE) and the command replaces qshmctl: that is
 * how a shell script, or a program without libqshm, receives a handle
 * (in qshmctl's own shell the command runs as a child instead):
 *
 *	h=$(qshmctl -q grant /obj --pid "$shell_pid")	# in the granter
 *	exec qshmctl open "$h" -- prog			# in that shell
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "cmd.h"
#include "dump.h"

enum {
	CMD_OPEN_ACCESS = 'a',
	CMD_OPEN_CREATOR = 'c',
	CMD_OPEN_DUMP = 'd'
};

static const struct args_opt cmd_open_opts[] = {
	{ CMD_OPEN_ACCESS, "access", "ro|rw", "access (default ro)" },
	{ CMD_OPEN_CREATOR, "creator", "PID", "only if PID made the handle" },
	{ CMD_OPEN_DUMP, "dump", NULL, "print the contents as xxd does" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_open_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_open_entry = {
	.name = "open",
	.args = { cmd_open_opts, 1, -1 },
	.usage = "HANDLE [--access ro|rw] [--creator PID] "
	    "[--dump | -- COMMAND [ARGS]]",
	.summary = "open a handle granted to this process",
	.flags = CMD_NEEDS_BROKER,
	.exec = cmd_open_exec
};

static int
cmd_open_env(int fd, const struct stat *st)
{
	char	buf[32];
	int	flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == -1)
		return (-1);
	snprintf(buf, sizeof buf, "%d", fd);
	if (setenv("QSHM_FD", buf, 1) == -1)
		return (-1);
	snprintf(buf, sizeof buf, "%jd", (intmax_t)st->st_size);
	return (setenv("QSHM_SIZE", buf, 1));
}

/* The child: exec, or tell the parent why not through the pipe. */
static void
cmd_open_child(int fd, const struct stat *st, char **argv, int report,
    const struct sigaction *saved)
{
	int	errnum;

	sigaction(SIGINT, &saved[0], NULL);
	sigaction(SIGQUIT, &saved[1], NULL);
	if (cmd_open_env(fd, st) != -1)
		execvp(argv[0], argv);
	errnum = errno;
	if (write(report, &errnum, sizeof errnum) != sizeof errnum)
		_exit(126);
	_exit(127);
}

static enum cmd_ret
cmd_open_status(struct cmd_ctx *ctx, const char *prog, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (CMD_RET_OK);
	if (WIFSIGNALED(status))
		return (cmd_error(ctx, 0, prog, "killed by signal %d",
		    WTERMSIG(status)));
	return (cmd_error(ctx, 0, prog, "exit status %d",
	    WEXITSTATUS(status)));
}

/* Wait for the child and read whether its exec failed. */
static ssize_t
cmd_open_reap(pid_t pid, int report, int *errnum, int *status)
{
	ssize_t	n;

	while ((n = read(report, errnum, sizeof *errnum)) == -1 &&
	    errno == EINTR)
		;
	close(report);
	while (waitpid(pid, status, 0) == -1 && errno == EINTR)
		;
	return (n);
}

/*
 * In the shell the command runs as a child, so the shell goes on once it
 * ends; a command that fails, or cannot be run, fails the open.  As
 * system(3) does, the shell ignores ^C and ^\ meanwhile: they are the
 * child's.
 */
static enum cmd_ret
cmd_open_spawn(struct cmd_ctx *ctx, int fd, const struct stat *st,
    char **argv)
{
	struct sigaction	ign, saved[2];
	pid_t			pid;
	ssize_t			n = 0;
	int			p[2], status = 0, errnum;

	if (pipe2(p, O_CLOEXEC) == -1)
		return (cmd_errno(ctx, "%s", argv[0]));
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &saved[0]);
	sigaction(SIGQUIT, &ign, &saved[1]);
	fflush(stdout);
	if ((pid = fork()) == 0)
		cmd_open_child(fd, st, argv, p[1], saved);
	errnum = errno;
	close(p[1]);
	if (pid != -1)
		n = cmd_open_reap(pid, p[0], &errnum, &status);
	else
		close(p[0]);
	sigaction(SIGINT, &saved[0], NULL);
	sigaction(SIGQUIT, &saved[1], NULL);
	if (pid == -1) {
		errno = errnum;
		return (cmd_errno(ctx, "%s", argv[0]));
	}
	if (n == sizeof errnum) {
		errno = errnum;
		return (cmd_errno(ctx, "%s", argv[0]));
	}
	return (cmd_open_status(ctx, argv[0], status));
}

static enum cmd_ret
cmd_open_run(struct cmd_ctx *ctx, int fd, const struct stat *st,
    char **argv)
{
	if (ctx->interactive)
		return (cmd_open_spawn(ctx, fd, st, argv));
	if (cmd_open_env(fd, st) == -1)
		return (cmd_errno(ctx, "%s", argv[0]));
	fflush(stdout);
	execvp(argv[0], argv);
	return (cmd_errno(ctx, "%s", argv[0]));
}

static void
cmd_open_output(struct cmd_ctx *ctx, const char *hs, int fd,
    const struct stat *st, int access)
{
	char	proc[64], path[PATH_MAX];
	ssize_t	n;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, path, sizeof path - 1)) == -1)
		n = 0;
	path[n] = '\0';
	out_set_primary(ctx->out, "path");
	out_str(ctx->out, "handle", hs);
	out_str(ctx->out, "path", path);
	out_size(ctx->out, "size", (uint64_t)st->st_size);
	out_str(ctx->out, "access", parse_access_str(access));
	out_uint(ctx->out, "dev", (uint64_t)st->st_dev);
	out_uint(ctx->out, "ino", (uint64_t)st->st_ino);
}

static enum cmd_ret
cmd_open_use(struct cmd_ctx *ctx, struct args *args, int fd, int access)
{
	struct dump_src	 src = { fd, NULL };
	struct stat	 st;
	const char	*hs = args_arg(args, 0);

	if (fstat(fd, &st) == -1)
		return (cmd_errno(ctx, "%s", hs));
	if (args_count(args) > 1)
		return (cmd_open_run(ctx, fd, &st, args_argv(args, 1)));
	if (args_has(args, CMD_OPEN_DUMP))
		return (dump_run(ctx, hs, &src, 0, (uint64_t)st.st_size,
		    ctx->json ? DUMP_JSON : DUMP_XXD));
	cmd_open_output(ctx, hs, fd, &st, access);
	return (CMD_RET_OK);
}

static enum cmd_ret
cmd_open_exec(struct cmd_ctx *ctx, struct args *args)
{
	const char	*hs = args_arg(args, 0);
	uint64_t	 h;
	pid_t		 creator = 0;
	int		 access = O_RDONLY, fd;
	enum cmd_ret	 ret;

	if (parse_handle(hs, &h) == -1)
		return (cmd_usage(ctx, hs, "not a handle"));
	if (cmd_get_access(ctx, args, CMD_OPEN_ACCESS, 0, &access) == -1 ||
	    cmd_get_pid(ctx, args, CMD_OPEN_CREATOR, &creator) == -1)
		return (CMD_RET_USAGE);
	if (args_has(args, CMD_OPEN_DUMP) && args_count(args) > 1)
		return (cmd_usage(ctx, NULL, "--dump or a command, not both"));
	if ((fd = shm_open_handle_pid(h, access | O_CLOEXEC, creator)) == -1)
		return (cmd_errno(ctx, "%s", hs));
	ret = cmd_open_use(ctx, args, fd, access);
	close(fd);
	return (ret);
}
