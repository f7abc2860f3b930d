/*
 * loop.h: the broker's one event loop (epoll), with SIGTERM/SIGINT taken
 * through a signalfd and one-shot timers on timerfds.
 */

#ifndef QSHM_LOOP_H
#define QSHM_LOOP_H

#include <stdint.h>

struct loop_ev {
	int	  fd;
	void	(*fn)(struct loop_ev *, uint32_t events);
	void	 *arg;
};

struct loop_timer {
	struct loop_ev	  ev;
	void		(*fn)(void *);
	void		 *arg;
};

/* Create the epoll instance and the signalfd; returns errno. */
int	loop_init(void);
/* Close what loop_init() made and restore the signal mask. */
void	loop_done(void);
/* Watch ev->fd for events (EPOLLIN...); returns errno. */
int	loop_add(struct loop_ev *, uint32_t events);
/* Change the events watched; 0 pauses the fd. Returns errno. */
int	loop_mod(struct loop_ev *, uint32_t events);
/* Stop watching ev (before its fd is closed or it is freed). */
void	loop_del(struct loop_ev *);
/* Dispatch events until SIGTERM or SIGINT; returns errno or 0. */
int	loop_run(void);
/* Call fn on SIGHUP (between events) instead of ignoring it. */
void	loop_on_hup(void (*)(void));
/* Make a one-shot timer calling fn(arg); returns errno. */
int	loop_timer_init(struct loop_timer *, void (*)(void *), void *);
/* Fire the timer once after ms milliseconds; returns errno. */
int	loop_timer_arm(struct loop_timer *, unsigned ms);
/* Free a timer. */
void	loop_timer_done(struct loop_timer *);

#endif /* QSHM_LOOP_H */
