/*
 * test-pidns.c: a recycled pid never matches a handle meant for a dead
 * process.  In a new pid namespace (with its own /proc, in a new mount
 * namespace) a broker runs beside the test; a handle is granted to a
 * process with pid N, that process exits, a new process is given pid N
 * through ns_last_pid, and it must not be able to use the handle (ESRCH),
 * while a handle granted to it afresh works.  Needs root.
 */

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

#define TP_PID	300		/* the pid to recycle */

/* Make the next fork() in this pid namespace return pid. */
static int
tp_next_pid(pid_t pid)
{
	char	buf[32];
	int	fd, n, rv;

	if ((fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY |
	    O_CLOEXEC)) == -1)
		return (-1);
	n = snprintf(buf, sizeof buf, "%ld", (long)pid - 1);
	rv = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return (rv);
}

struct tp_proc {
	pid_t	pid;
	int	to;		/* handle (0: just exit) */
	int	from;		/* results */
};

/*
 * The process that gets pid TP_PID: read handles, try each (open, then
 * map), send back the errno (0: it worked), until handle 0.
 */
static int
tp_proc_main(int in, int out)
{
	uint64_t	 h;
	void		*p;
	int		 fd;

	while (qt_recv_u64(in, &h) == 0 && h != 0) {
		uint64_t	res[3];

		res[0] = (uint64_t)getpid();
		fd = shm_open_handle(h, O_RDONLY);
		res[1] = fd == -1 ? (uint64_t)errno : 0;
		if (fd != -1)
			close(fd);
		p = mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, h, 0);
		res[2] = p == MAP_FAILED ? (uint64_t)errno : 0;
		if (p != MAP_FAILED)
			munmap(p, qt_page());
		if (qt_send_u64(out, res[0]) == -1 ||
		    qt_send_u64(out, res[1]) == -1 ||
		    qt_send_u64(out, res[2]) == -1)
			return (1);
	}
	return (0);
}

static int
tp_proc_start(struct tp_proc *t)
{
	int	down[2], up[2];

	if (tp_next_pid(TP_PID) == -1 || pipe2(down, O_CLOEXEC) == -1 ||
	    pipe2(up, O_CLOEXEC) == -1)
		return (-1);
	fflush(NULL);
	t->pid = fork();
	if (t->pid == -1)
		return (-1);
	if (t->pid == 0) {
		close(down[1]);
		close(up[0]);
		qt_exit(tp_proc_main(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	t->to = down[1];
	t->from = up[0];
	return (0);
}

/* Hand t a handle; its pid as it sees it, and the errnos of its tries. */
static int
tp_proc_try(struct tp_proc *t, shm_handle_t h, uint64_t res[3])
{
	if (qt_send_u64(t->to, h) == -1 || qt_recv_u64(t->from, &res[0]) ||
	    qt_recv_u64(t->from, &res[1]) || qt_recv_u64(t->from, &res[2]))
		return (-1);
	return (0);
}

static int
tp_proc_end(struct tp_proc *t)
{
	int	status;

	qt_send_u64(t->to, 0);
	close(t->to);
	close(t->from);
	status = qt_wait(t->pid);
	return (status);
}

/* Inside the namespace (pid 1): broker, grant, exit, recycle, try. */
static int
tp_ns_body(void)
{
	struct qt_broker	b;
	struct tp_proc		first, second;
	shm_handle_t		h, h2, h3;
	uint64_t		res[3] = { 0, 0, 0 };
	int			fd, rv = 1;

	QT_CHECK_OK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL));
	QT_CHECK_OK(qt_broker_start(&b, NULL));
	if ((fd = qt_memfd(qt_page(), 'A')) == -1)
		goto out;
	if (tp_proc_start(&first) == -1)
		goto out;
	if (first.pid != TP_PID) {
		qt_fail(__FILE__, __LINE__, "first process has pid %ld, not "
		    "%d", (long)first.pid, TP_PID);
		goto out;
	}
	if (shm_create_handle(fd, TP_PID, O_RDONLY, &h, 0) == -1 ||
	    shm_create_handle(fd, TP_PID, O_RDONLY, &h3, 0) == -1) {
		qt_fail(__FILE__, __LINE__, "grant to %d: %s", TP_PID,
		    qt_errname(errno));
		goto out;
	}
	/* The first process can use a handle: the setup is sound. */
	if (tp_proc_try(&first, h3, res) == -1 || res[0] != TP_PID ||
	    res[1] != 0) {
		qt_fail(__FILE__, __LINE__, "first process could not open "
		    "its handle: %s", qt_errname((int)res[1]));
		goto out;
	}
	if (tp_proc_end(&first) != 0)
		goto out;

	/* Pid TP_PID again, another process. */
	if (tp_proc_start(&second) == -1)
		goto out;
	if (second.pid != TP_PID) {
		qt_fail(__FILE__, __LINE__, "second process has pid %ld, "
		    "not %d", (long)second.pid, TP_PID);
		tp_proc_end(&second);
		goto out;
	}
	if (tp_proc_try(&second, h, res) == -1 || res[0] != TP_PID ||
	    res[1] != ESRCH || res[2] != ESRCH) {
		qt_fail(__FILE__, __LINE__, "recycled pid %ld: open %s, map "
		    "%s; expected ESRCH, ESRCH", (long)res[0],
		    qt_errname((int)res[1]), qt_errname((int)res[2]));
		tp_proc_end(&second);
		goto out;
	}
	/* A handle made for the new process works. */
	if (shm_create_handle(fd, TP_PID, O_RDONLY, &h2, 0) == -1 ||
	    tp_proc_try(&second, h2, res) == -1 || res[1] != 0) {
		qt_fail(__FILE__, __LINE__, "new process, new handle: %s",
		    qt_errname((int)res[1]));
		tp_proc_end(&second);
		goto out;
	}
	if (tp_proc_end(&second) != 0)
		goto out;
	rv = 0;
out:
	if (qt_broker_stop(&b) != 0)
		rv = 1;
	return (rv);
}

/* Between the namespaces: unshare, then fork the namespace's pid 1. */
static int
tp_outer(void *arg)
{
	pid_t	init;

	(void)arg;
	QT_CHECK_OK(unshare(CLONE_NEWPID | CLONE_NEWNS));
	QT_CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	fflush(NULL);
	init = fork();
	QT_CHECK(init != -1);
	if (init == 0)
		qt_exit(tp_ns_body());
	return (qt_wait(init));
}

static void
test_pid_reuse(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (pid namespace, ns_last_pid)\n");
		skip();
	}
	assert_int_equal(qt_run(tp_outer, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_reuse),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
