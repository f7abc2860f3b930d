/*
 * procmaps.h: one line of /proc/PID/maps, parsed (internal).  qshmctl's
 * `list mappings` and the broker, which looks for the processes that map
 * an object it revokes, read the file the same way.
 */

#ifndef QSHM_PROCMAPS_H
#define QSHM_PROCMAPS_H

#include <stdint.h>

struct procmaps_line {
	uint64_t	 start;
	uint64_t	 end;
	uint64_t	 offset;
	uint64_t	 dev;		/* as st_dev */
	uint64_t	 ino;		/* 0: not a file */
	char		 prot[8];
	const char	*path;		/* in the line; "" when it names none */
};

/* Parse "start-end prot offset MM:mm ino [path]"; 0, or -1 if it is not. */
int	procmaps_parse(const char *line, struct procmaps_line *);

#endif /* QSHM_PROCMAPS_H */
