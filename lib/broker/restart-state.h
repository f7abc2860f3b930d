/*
 * restart-state.h: the layout of the state a SIGHUP restart hands the new
 * broker image (restart.c), version RESTART_VERSION.  A sealed memfd named
 * by RESTART_ENV holds a header, then nprocs, nobjs, nhandles, ngrants and
 * npeers records in that order.  Its one other reader is
 * tests/integration/test-restart.c, which writes states of its own.
 */

#ifndef QSHM_RESTART_STATE_H
#define QSHM_RESTART_STATE_H

#include <fcntl.h>
#include <stdint.h>

#include "qshm.h"

#define RESTART_ENV		"QSHM_BROKER_STATE"
#define RESTART_MAGIC		"QSHMSTAT"
#define RESTART_VERSION		1
#define RESTART_SEALS \
	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

struct rs_hdr {
	char			magic[8];
	uint32_t		version;
	uint32_t		hdrsize;
	uint32_t		nprocs;
	uint32_t		nobjs;
	uint32_t		nhandles;
	uint32_t		ngrants;
	uint32_t		npeers;
	uint32_t		last_notice;
	uint64_t		last_park;
	uint64_t		start_ms;
	int32_t			lfd;
	int32_t			lock;
	uint64_t		ldev;
	uint64_t		lino;
	struct qshm_stats	stats;
};

struct rs_proc {
	uint64_t	key;
	int32_t		pid;
	uint32_t	uid;
	uint32_t	gid;
	int32_t		pidfd;		/* -1: not watched */
	uint64_t	lim_cur;
	uint64_t	lim_max;
};

struct rs_obj {
	uint64_t	dev;
	uint64_t	ino;
	int32_t		fd[3];
	uint32_t	park_id;
	uint32_t	park_uid;
	int32_t		park_access;
	uint32_t	ctl_flags;
	uint32_t	pad;
	uint64_t	creator;	/* its key, or 0 */
};

struct rs_handle {
	uint64_t	id;
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	creator;
	uint64_t	recipient;
	uint64_t	offset;
	uint64_t	length;
	uint64_t	created_ms;
	uint32_t	creator_uid;
	uint32_t	recipient_uid;
	uint8_t		access;
	uint8_t		options;
	uint8_t		enforcement;
	uint8_t		reason;
	uint32_t	pad;
};

struct rs_grant {
	uint64_t	handle;
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	proc;
	uint64_t	since_ms;
	int32_t		creator_pid;
	uint32_t	creator_uid;
	uint32_t	recipient_uid;
	uint32_t	notice;
	uint8_t		access;
	uint8_t		options;
	uint8_t		enforcement;
	uint8_t		reason;
	uint8_t		state;
	uint8_t		pad[7];
};

struct rs_peer {
	int32_t		fd;
	uint32_t	watcher;
};

#endif /* QSHM_RESTART_STATE_H */
