/*
 * maps.h: who maps which shared-memory object, read from /proc/PID/maps
 * (POSIX objects in /dev/shm and memfds), and the names qshmctl shows
 * for objects.
 */

#ifndef QSHMCTL_MAPS_H
#define QSHMCTL_MAPS_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

struct maps_entry {
	pid_t		pid;
	uid_t		uid;
	char		comm[32];
	uint64_t	start;
	uint64_t	end;
	uint64_t	offset;
	char		prot[8];
	uint64_t	dev;		/* as st_dev */
	uint64_t	ino;
	char		path[PATH_MAX];
};

int	maps_scan(int (*)(const struct maps_entry *, void *), void *);
void	maps_object_name(const char *, uint32_t, char *, size_t);

#endif /* QSHMCTL_MAPS_H */
