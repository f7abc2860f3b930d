/*
 * peerproof.c: who holds the other end of a connection, where the kernel
 * cannot say (SO_PEERPIDFD came in Linux 6.5).  SO_PEERCRED's pid is the
 * number of the process that called connect(); by accept() that process
 * may have exited and its number been given to another, so the number
 * alone would hand the connection the other's identity.
 *
 * The proof: the kernel names the inode of the connection's other end
 * (unix sock_diag with UDIAG_SHOW_PEER), and /proc/PID/fd must list that
 * socket, read while a pidfd taken first shows the process alive (a pid
 * is only reused once its process is gone, so it named the pidfd's
 * process throughout).  The process must also run as the uid that
 * connected: a process of another user cannot be made to stand in.
 *
 * What the proof cannot tell is how the socket came there: a process of
 * the same uid that accepts descriptors from others could be handed it.
 * Processes of one uid have no boundary between them on Linux (ptrace),
 * so nothing is given away that was not already; qshm(7) says so.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"
#include "peerproof.h"

#define PEERPROOF_NOCOOKIE	(~0U)

static int	peerproof_diag = -1;	/* NETLINK_SOCK_DIAG, made once */
static uint32_t	peerproof_seq;

/* Close the diagnostics socket (at exit). */
void
peerproof_done(void)
{
	if (peerproof_diag != -1)
		close(peerproof_diag);
	peerproof_diag = -1;
}

/* Ask the kernel for the peer of the socket with inode ino; errno. */
static int
peerproof_ask(uint32_t ino)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	req;
	} rq;
	struct sockaddr_nl	kernel = { .nl_family = AF_NETLINK };

	if (peerproof_diag == -1 && (peerproof_diag = socket(AF_NETLINK,
	    SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_SOCK_DIAG)) == -1)
		return (errno == EPROTONOSUPPORT ? EPROTONOSUPPORT : errno);
	memset(&rq, 0, sizeof rq);
	rq.nlh.nlmsg_len = sizeof rq;
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST;
	rq.nlh.nlmsg_seq = ++peerproof_seq;
	rq.req.sdiag_family = AF_UNIX;
	rq.req.udiag_states = ~0U;
	rq.req.udiag_ino = ino;
	rq.req.udiag_show = UDIAG_SHOW_PEER;
	rq.req.udiag_cookie[0] = rq.req.udiag_cookie[1] = PEERPROOF_NOCOOKIE;
	if (sendto(peerproof_diag, &rq, sizeof rq, 0,
	    (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)sizeof rq)
		return (errno != 0 ? errno : EIO);
	return (0);
}

/* The UNIX_DIAG_PEER attribute of one answer; errno. */
static int
peerproof_parse(const struct nlmsghdr *nlh, uint32_t *peer)
{
	const struct unix_diag_msg	*m = NLMSG_DATA(nlh);
	const struct rtattr		*a;
	int				 len;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr	*e = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *e) || e->error >= 0)
			return (EPROTO);
		return (-e->error == ENOENT ? ESRCH : -e->error);
	}
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return (EPROTO);
	len = (int)(nlh->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len);
	    a = RTA_NEXT(a, len)) {
		if (a->rta_type == UNIX_DIAG_PEER &&
		    RTA_PAYLOAD(a) >= sizeof *peer) {
			memcpy(peer, RTA_DATA(a), sizeof *peer);
			return (*peer != 0 ? 0 : ESRCH);
		}
	}
	return (ESRCH);		/* no peer: it has closed its end */
}

/*
 * The answer to our last question.  The kernel answers an exact lookup
 * before sendto() returns, so nothing here waits; an answer to an older
 * question that went unread is skipped by its sequence number.
 */
static int
peerproof_answer(uint32_t *peer)
{
	union {
		struct nlmsghdr	nlh;
		char		buf[8192];
	} u;
	ssize_t	n;

	for (;;) {
		if ((n = recv(peerproof_diag, u.buf, sizeof u.buf,
		    MSG_DONTWAIT)) == -1)
			return (errno == EAGAIN ? EPROTO : errno);
		if (!NLMSG_OK(&u.nlh, (size_t)n))
			return (EPROTO);
		if (u.nlh.nlmsg_seq == peerproof_seq)
			return (peerproof_parse(&u.nlh, peer));
	}
}

/* The inode of the other end of the connected socket sock; errno. */
static int
peerproof_peer_ino(int sock, uint32_t *peer)
{
	struct stat	st;
	int		error;

	if (fstat(sock, &st) == -1)
		return (errno);
	if (!S_ISSOCK(st.st_mode) || st.st_ino == 0 || st.st_ino > UINT32_MAX)
		return (EPROTO);
	if ((error = peerproof_ask((uint32_t)st.st_ino)) != 0)
		return (error);
	return (peerproof_answer(peer));
}

/* Whether /proc/PID/fd lists the socket with inode ino; errno. */
static int
peerproof_scan(pid_t pid, uint32_t ino)
{
	struct dirent	*e;
	DIR		*d;
	char		 path[64], want[32], link[32];
	ssize_t		 n;
	size_t		 wlen, count = 0;
	int		 fd, error = ESRCH;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (errno == ENOENT ? ESRCH : errno);
	if ((d = fdopendir(fd)) == NULL) {
		error = errno;
		close(fd);
		return (error);
	}
	wlen = (size_t)snprintf(want, sizeof want, "socket:[%u]", ino);
	while (error == ESRCH && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (++count > PEERPROOF_MAX_FDS)
			error = E2BIG;
		else if ((n = readlinkat(fd, e->d_name, link,
		    sizeof link)) == (ssize_t)wlen && memcmp(link, want,
		    wlen) == 0)
			error = 0;
	}
	closedir(d);
	return (error);
}

/* Whether pid (held by pidfd) runs as euid; errno. */
static int
peerproof_uid(int pidfd, pid_t pid, uid_t euid)
{
	struct ident_creds	c;
	int			error;

	if ((error = ident_creds_ids(pidfd, pid, &c)) != 0)
		return (error);
	error = c.uid[1] == euid ? 0 : ESRCH;
	ident_creds_free(&c);
	return (error);
}

/* A pidfd of pid once it is proved to hold sock's other end; errno. */
int
peerproof_pidfd(int sock, pid_t pid, uid_t euid)
{
	uint32_t	peer;
	int		pidfd, error;

	if (pid <= 0) {
		errno = ESRCH;
		return (-1);
	}
	if ((error = peerproof_peer_ino(sock, &peer)) != 0) {
		errno = error;
		return (-1);
	}
	/* Taken before the scan, looked at after it. */
	if ((pidfd = ident_pidfd_open(pid)) == -1)
		return (-1);
	if ((error = peerproof_scan(pid, peer)) == 0 &&
	    (error = peerproof_uid(pidfd, pid, euid)) == 0 &&
	    !ident_alive(pidfd))
		error = ESRCH;
	if (error != 0) {
		close(pidfd);
		errno = error;
		return (-1);
	}
	return (pidfd);
}
