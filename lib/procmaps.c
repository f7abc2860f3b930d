/*
 * procmaps.c: one line of /proc/PID/maps, parsed.  The path is the rest
 * of the line: it may hold spaces, and " (deleted)" when unlinked.
 */

#include <sys/sysmacros.h>

#include <inttypes.h>
#include <stdio.h>

#include "procmaps.h"

/* Parse "start-end prot offset MM:mm ino [path]"; 0, or -1 if it is not. */
int
procmaps_parse(const char *line, struct procmaps_line *l)
{
	unsigned	maj, min;
	int		n = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64
	    " %x:%x %" SCNu64 " %n", &l->start, &l->end, l->prot, &l->offset,
	    &maj, &min, &l->ino, &n) != 7 || n == 0 || l->end <= l->start)
		return (-1);
	l->dev = makedev(maj, min);
	l->path = line + n;
	return (0);
}
