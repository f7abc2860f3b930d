/*
 * fdpass.h: one SOCK_SEQPACKET message with at most one fd, both ways;
 * the bench's raw baseline and its minimal broker use nothing else.
 */

#ifndef QSHM_BENCH_FDPASS_H
#define QSHM_BENCH_FDPASS_H

#include <sys/types.h>

#include <stdint.h>

/* The minimal broker's protocol: a request and its reply are this. */
struct mini_msg {
	uint32_t	op;		/* MINI_GRANT, MINI_OPEN */
	int32_t		err;		/* reply: 0 or errno */
	uint64_t	id;		/* GRANT reply, OPEN request */
};

#define MINI_GRANT	1		/* request carries the fd */
#define MINI_OPEN	2		/* reply carries the fd */

/* Send len bytes with fd (-1: none); returns 0 or -1 and errno. */
int	fdpass_send(int sock, const void *buf, size_t len, int fd);
/*
 * Receive one message of exactly len bytes; *fdp gets its fd or -1 (fdp
 * NULL: any fd is closed).  Returns 0, or -1 with errno (EOF: ECONNRESET,
 * wrong size: EBADMSG).
 */
int	fdpass_recv(int sock, void *buf, size_t len, int *fdp);

#endif /* QSHM_BENCH_FDPASS_H */
