/*
 * ptydrive: run a command on a new pseudo-terminal and drive it like a
 * person at a keyboard, for the shell tests.
 *
 *	ptydrive [-t SECONDS] [-x STATUS] STEP ... -- COMMAND [ARG ...]
 *
 * Steps run in order: "send=TEXT" types TEXT (\t \r \n \e \\ and \xHH
 * escapes); "key=TEXT" first waits until a line editor has the terminal
 * (canonical mode off: keys typed earlier would be cooked by the line
 * discipline, ^C turned into SIGINT); "expect=TEXT" waits until TEXT
 * appears in the output that follows the last match, with terminal
 * escape sequences and carriage returns removed.  At the end the terminal is read until the command
 * exits, which must be with STATUS (default 0).  -t bounds each wait
 * (default 20 s): a guard against a hang, not a measure.  On failure,
 * what was seen goes to stderr and the exit status is 1.
 */

#include <sys/ioctl.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct ptydrive {
	int		 fd;
	pid_t		 pid;
	int		 timeout;	/* seconds per wait */
	char		*seen;		/* output without escapes */
	size_t		 len;
	size_t		 mark;		/* next expect from here */
	int		 esc;		/* inside an escape sequence */
	int		 eof;
};

static void
ptydrive_add(struct ptydrive *pd, char c)
{
	char	*p;

	if ((p = realloc(pd->seen, pd->len + 2)) == NULL) {
		perror("ptydrive");
		exit(1);
	}
	pd->seen = p;
	p[pd->len++] = c;
	p[pd->len] = '\0';
}

/* Drop ESC [ ... final, ESC O x, ESC x, and control characters. */
static void
ptydrive_filter(struct ptydrive *pd, unsigned char c)
{
	if (pd->esc == 1) {
		pd->esc = c == '[' ? 2 : c == 'O' ? 3 : 0;
		return;
	}
	if (pd->esc == 2) {
		if (c >= 0x40 && c <= 0x7e)
			pd->esc = 0;
		return;
	}
	if (pd->esc == 3) {
		pd->esc = 0;
		return;
	}
	if (c == 0x1b)
		pd->esc = 1;
	else if (c == '\n' || c == '\t' || c >= 0x20)
		ptydrive_add(pd, (char)c);
}

/* Read what is there within ms milliseconds; 0 on timeout or EOF. */
static int
ptydrive_read(struct ptydrive *pd, int ms)
{
	struct pollfd	pfd = { pd->fd, POLLIN, 0 };
	unsigned char	buf[4096];
	ssize_t		n, i;

	if (pd->eof || poll(&pfd, 1, ms) <= 0)
		return (0);
	if ((n = read(pd->fd, buf, sizeof buf)) <= 0) {
		pd->eof = 1;	/* EIO once the command has gone */
		return (0);
	}
	for (i = 0; i < n; i++)
		ptydrive_filter(pd, buf[i]);
	return (1);
}

static long
ptydrive_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
ptydrive_expect(struct ptydrive *pd, const char *text)
{
	long	deadline = ptydrive_now_ms() + pd->timeout * 1000L;
	char	*at;

	for (;;) {
		if (pd->seen != NULL &&
		    (at = strstr(pd->seen + pd->mark, text)) != NULL) {
			pd->mark = (size_t)(at - pd->seen) + strlen(text);
			return (0);
		}
		if (pd->eof || ptydrive_now_ms() >= deadline)
			break;
		ptydrive_read(pd, (int)(deadline - ptydrive_now_ms()));
	}
	fprintf(stderr, "ptydrive: did not see \"%s\"%s\n", text,
	    pd->eof ? " (the command exited)" : "");
	return (-1);
}

static int
ptydrive_hex(int c)
{
	return (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
}

/* Decode the escapes of a send step in place; returns the length. */
static size_t
ptydrive_unescape(char *s)
{
	char	*in = s, *out = s;

	while (*in != '\0') {
		if (*in != '\\' || in[1] == '\0') {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 't':	*out++ = '\t'; in++; break;
		case 'r':	*out++ = '\r'; in++; break;
		case 'n':	*out++ = '\n'; in++; break;
		case 'e':	*out++ = 0x1b; in++; break;
		case 'x':
			if (isxdigit((unsigned char)in[1]) &&
			    isxdigit((unsigned char)in[2])) {
				*out++ = (char)(ptydrive_hex(in[1]) * 16 +
				    ptydrive_hex(in[2]));
				in += 3;
				break;
			}
			/* FALLTHROUGH */
		default:	*out++ = *in++; break;
		}
	}
	return ((size_t)(out - s));
}

static int
ptydrive_send(struct ptydrive *pd, char *text)
{
	size_t	len = ptydrive_unescape(text), off = 0;
	ssize_t	n;

	while (off < len) {
		if ((n = write(pd->fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			perror("ptydrive: write");
			return (-1);
		}
		off += (size_t)n;
	}
	return (0);
}

/* Wait until the terminal leaves canonical mode (the editor reads). */
static int
ptydrive_raw(struct ptydrive *pd)
{
	long		deadline = ptydrive_now_ms() + pd->timeout * 1000L;
	struct termios	t;

	while (ptydrive_now_ms() < deadline && !pd->eof) {
		if (tcgetattr(pd->fd, &t) == -1) {
			perror("ptydrive: tcgetattr");
			return (-1);
		}
		if ((t.c_lflag & ICANON) == 0)
			return (0);
		ptydrive_read(pd, 1);
	}
	fprintf(stderr, "ptydrive: the terminal stayed in canonical mode\n");
	return (-1);
}

static int
ptydrive_step(struct ptydrive *pd, char *step)
{
	if (strncmp(step, "key=", 4) == 0)
		return (ptydrive_raw(pd) == -1 ? -1 :
		    ptydrive_send(pd, step + 4));
	if (strncmp(step, "send=", 5) == 0)
		return (ptydrive_send(pd, step + 5));
	if (strncmp(step, "expect=", 7) == 0)
		return (ptydrive_expect(pd, step + 7));
	fprintf(stderr, "ptydrive: bad step: %s\n", step);
	return (-1);
}

/* Read until the command exits; its status, or -1. */
static int
ptydrive_wait(struct ptydrive *pd)
{
	long	deadline = ptydrive_now_ms() + pd->timeout * 1000L;
	int	status;
	pid_t	r;

	while ((r = waitpid(pd->pid, &status, WNOHANG)) == 0 &&
	    ptydrive_now_ms() < deadline) {
		if (!ptydrive_read(pd, 50) && pd->eof)
			r = waitpid(pd->pid, &status, 0);
		if (r != 0)
			break;
	}
	if (r <= 0) {
		fprintf(stderr, "ptydrive: the command did not exit\n");
		kill(pd->pid, SIGKILL);
		waitpid(pd->pid, &status, 0);
		return (-1);
	}
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status));
}

static void
ptydrive_spawn(struct ptydrive *pd, char **argv)
{
	struct winsize	ws = { 24, 80, 0, 0 };

	if ((pd->pid = forkpty(&pd->fd, NULL, NULL, &ws)) == -1) {
		perror("ptydrive: forkpty");
		exit(1);
	}
	if (pd->pid == 0) {
		/*
		 * A shell starting us as a background job ignores SIGINT and
		 * SIGQUIT, and that is inherited: the shell under test must
		 * get ^C as from a terminal's own session.
		 */
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
}

static void
ptydrive_usage(void)
{
	fputs("usage: ptydrive [-t SECONDS] [-x STATUS] STEP ... -- "
	    "COMMAND [ARG ...]\n", stderr);
	exit(2);
}

static int
ptydrive_number(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 3600)
		ptydrive_usage();
	return ((int)v);
}

int
main(int argc, char **argv)
{
	struct ptydrive	pd;
	int		ch, i, first, want = 0, rv = 0, status;

	memset(&pd, 0, sizeof pd);
	pd.timeout = 20;
	while ((ch = getopt(argc, argv, "+t:x:")) != -1) {
		if (ch == 't')
			pd.timeout = ptydrive_number(optarg);
		else if (ch == 'x')
			want = ptydrive_number(optarg);
		else
			ptydrive_usage();
	}
	for (first = optind; first < argc && strcmp(argv[first], "--"); )
		first++;
	if (first + 1 >= argc || pd.timeout <= 0)
		ptydrive_usage();
	ptydrive_spawn(&pd, argv + first + 1);
	for (i = optind; i < first && rv == 0; i++)
		rv = ptydrive_step(&pd, argv[i]);
	if (rv != 0)
		kill(pd.pid, SIGTERM);
	status = ptydrive_wait(&pd);
	if (rv == 0 && status != want) {
		fprintf(stderr, "ptydrive: exit status %d, wanted %d\n",
		    status, want);
		rv = -1;
	}
	if (rv != 0)
		fprintf(stderr, "--- output ---\n%s\n--- end ---\n",
		    pd.seen != NULL ? pd.seen : "");
	free(pd.seen);
	return (rv == 0 ? 0 : 1);
}
