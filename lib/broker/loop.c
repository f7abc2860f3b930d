/*
 * loop.c: one epoll loop for listener, peers, recipient pidfds, the
 * accept back-off timer and the termination signals.  Events are level
 * triggered and each callback does one unit of work, so a busy client
 * cannot starve the others.
 */

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH	64

static int			 loop_epfd = -1;
static struct loop_ev		 loop_sig = { -1, NULL, NULL };
static sigset_t			 loop_oldmask;
static bool			 loop_stopping;
static void			(*loop_hup)(void);
/* The batch being dispatched, so loop_del() can cancel pending events. */
static struct epoll_event	 loop_batch[LOOP_BATCH];
static int			 loop_next, loop_nbatch;

static void
loop_signal(struct loop_ev *ev, uint32_t events)
{
	struct signalfd_siginfo	si;

	(void)events;
	if (read(ev->fd, &si, sizeof si) != (ssize_t)sizeof si)
		return;
	if (si.ssi_signo == SIGHUP && loop_hup != NULL)
		loop_hup();
	else if (si.ssi_signo != SIGHUP)
		loop_stopping = true;
}

/* Call fn on SIGHUP (between events) instead of ignoring it. */
void
loop_on_hup(void (*fn)(void))
{
	loop_hup = fn;
}

/* Create the epoll instance and the signalfd; returns errno. */
int
loop_init(void)
{
	sigset_t	set;
	int		error;

	if ((loop_epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (errno);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked first, so a signal before the loop runs is not lost. */
	if (sigprocmask(SIG_BLOCK, &set, &loop_oldmask) == -1)
		return (errno);
	loop_sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop_sig.fd == -1)
		return (errno);
	loop_sig.fn = loop_signal;
	if ((error = loop_add(&loop_sig, EPOLLIN)) != 0)
		return (error);
	loop_stopping = false;
	return (0);
}

/* Close what loop_init() made and restore the signal mask. */
void
loop_done(void)
{
	if (loop_sig.fd != -1) {
		close(loop_sig.fd);
		loop_sig.fd = -1;
		sigprocmask(SIG_SETMASK, &loop_oldmask, NULL);
	}
	if (loop_epfd != -1) {
		close(loop_epfd);
		loop_epfd = -1;
	}
}

static int
loop_ctl(int op, struct loop_ev *ev, uint32_t events)
{
	struct epoll_event	e;

	memset(&e, 0, sizeof e);
	e.events = events;
	e.data.ptr = ev;
	if (epoll_ctl(loop_epfd, op, ev->fd, &e) == -1)
		return (errno);
	return (0);
}

/* Watch ev->fd for events (EPOLLIN...); returns errno. */
int
loop_add(struct loop_ev *ev, uint32_t events)
{
	return (loop_ctl(EPOLL_CTL_ADD, ev, events));
}

/* Change the events watched; 0 pauses the fd. Returns errno. */
int
loop_mod(struct loop_ev *ev, uint32_t events)
{
	return (loop_ctl(EPOLL_CTL_MOD, ev, events));
}

/* Stop watching ev (before its fd is closed or it is freed). */
void
loop_del(struct loop_ev *ev)
{
	int	i;

	if (loop_epfd != -1 && ev->fd != -1)
		(void)epoll_ctl(loop_epfd, EPOLL_CTL_DEL, ev->fd, NULL);
	/* ev may be freed next: forget events already fetched for it. */
	for (i = loop_next; i < loop_nbatch; i++)
		if (loop_batch[i].data.ptr == ev)
			loop_batch[i].data.ptr = NULL;
}

/* Dispatch events until SIGTERM or SIGINT; returns errno or 0. */
int
loop_run(void)
{
	struct loop_ev	*ev;

	while (!loop_stopping) {
		loop_nbatch = epoll_wait(loop_epfd, loop_batch, LOOP_BATCH, -1);
		if (loop_nbatch == -1) {
			loop_nbatch = 0;
			if (errno == EINTR)
				continue;
			return (errno);
		}
		for (loop_next = 0; loop_next < loop_nbatch;) {
			ev = loop_batch[loop_next].data.ptr;
			loop_next++;
			if (ev != NULL)
				ev->fn(ev, loop_batch[loop_next - 1].events);
		}
		loop_nbatch = loop_next = 0;
	}
	return (0);
}

static void
loop_timer_fire(struct loop_ev *ev, uint32_t events)
{
	struct loop_timer	*t = ev->arg;
	uint64_t		 n;

	(void)events;
	if (read(ev->fd, &n, sizeof n) == (ssize_t)sizeof n)
		t->fn(t->arg);
}

/* Make a one-shot timer calling fn(arg); returns errno. */
int
loop_timer_init(struct loop_timer *t, void (*fn)(void *), void *arg)
{
	int	error;

	t->fn = fn;
	t->arg = arg;
	t->ev.fn = loop_timer_fire;
	t->ev.arg = t;
	t->ev.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->ev.fd == -1)
		return (errno);
	if ((error = loop_add(&t->ev, EPOLLIN)) != 0) {
		close(t->ev.fd);
		t->ev.fd = -1;
	}
	return (error);
}

/* Fire the timer once after ms milliseconds; returns errno. */
int
loop_timer_arm(struct loop_timer *t, unsigned ms)
{
	struct itimerspec	its;

	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (timerfd_settime(t->ev.fd, 0, &its, NULL) == -1)
		return (errno);
	return (0);
}

/* Free a timer. */
void
loop_timer_done(struct loop_timer *t)
{
	if (t->ev.fd == -1)
		return;
	loop_del(&t->ev);
	close(t->ev.fd);
	t->ev.fd = -1;
}
