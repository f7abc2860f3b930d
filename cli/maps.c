/*
 * maps.c: find the mappings of shared-memory objects in /proc/PID/maps,
 * as QNX's pidin mem shows them: files under /dev/shm and memfds.
 * Processes that vanish or that we may not read are skipped.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "procmaps.h"

static int
maps_is_shm(const char *path)
{
	return (strncmp(path, "/dev/shm/", 9) == 0 ||
	    strncmp(path, "/memfd:", 7) == 0);
}

/* One line of maps (see procmaps.h) into e; 0 if it maps shm. */
static int
maps_parse_line(const char *line, struct maps_entry *e)
{
	struct procmaps_line	l;
	const char		*path = strchr(line, '/');

	/* No field before the path has a slash: most lines stop here. */
	if (path == NULL || !maps_is_shm(path))
		return (-1);
	if (procmaps_parse(line, &l) != 0 || !maps_is_shm(l.path))
		return (-1);
	e->start = l.start;
	e->end = l.end;
	e->offset = l.offset;
	e->dev = l.dev;
	e->ino = l.ino;
	memcpy(e->prot, l.prot, sizeof e->prot);
	snprintf(e->path, sizeof e->path, "%s", l.path);
	e->path[strcspn(e->path, "\n")] = '\0';
	return (0);
}

static void
maps_comm(struct maps_entry *e, const char *dir)
{
	char	 path[64];
	FILE	*fp;

	e->comm[0] = '\0';
	snprintf(path, sizeof path, "/proc/%s/comm", dir);
	if ((fp = fopen(path, "re")) == NULL)
		return;
	if (fgets(e->comm, sizeof e->comm, fp) == NULL)
		e->comm[0] = '\0';
	e->comm[strcspn(e->comm, "\n")] = '\0';
	fclose(fp);
}

static int
maps_scan_pid(const char *dir, int (*cb)(const struct maps_entry *, void *),
    void *arg)
{
	struct maps_entry	 e;
	struct stat		 st;
	char			 path[64], *line = NULL;
	size_t			 size = 0;
	FILE			*fp;
	int			 rv = 0, named = 0;

	memset(&e, 0, sizeof e);
	snprintf(path, sizeof path, "/proc/%s/maps", dir);
	if ((fp = fopen(path, "re")) == NULL)
		return (0);
	e.pid = (pid_t)strtol(dir, NULL, 10);
	e.uid = fstat(fileno(fp), &st) == 0 ? st.st_uid : (uid_t)-1;
	while (rv == 0 && getline(&line, &size, fp) != -1) {
		if (maps_parse_line(line, &e) != 0)
			continue;
		/* Only processes that map shared memory are named. */
		if (!named) {
			maps_comm(&e, dir);
			named = 1;
		}
		rv = cb(&e, arg);
	}
	free(line);
	fclose(fp);
	return (rv);
}

/*
 * Call cb for each shared-memory mapping of every process we may read,
 * in pid order per process; a non-zero return from cb stops the scan.
 */
int
maps_scan(int (*cb)(const struct maps_entry *, void *), void *arg)
{
	struct dirent	**names;
	int		  n, i, rv = 0;

	if ((n = scandir("/proc", &names, NULL, versionsort)) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (rv == 0 && isdigit((unsigned char)names[i]->d_name[0]))
			rv = maps_scan_pid(names[i]->d_name, cb, arg);
		free(names[i]);
	}
	free(names);
	return (rv == 0 ? 0 : -1);
}

/*
 * The name qshmctl shows: @N for a parked object, /name for one in
 * /dev/shm, memfd:name for a memfd, else the path.
 */
void
maps_object_name(const char *path, uint32_t id, char *buf, size_t size)
{
	char	*p;
	int	 memfd = strncmp(path, "/memfd:", 7) == 0;

	if (id != 0)
		snprintf(buf, size, "@%" PRIu32, id);
	else if (strncmp(path, "/dev/shm/", 9) == 0)
		snprintf(buf, size, "%s", path + 8);
	else if (memfd)
		snprintf(buf, size, "%s", path + 1);
	else
		snprintf(buf, size, "%s", path);
	/* A memfd never has a name in a directory to lose. */
	if (memfd && (p = strstr(buf, " (deleted)")) != NULL && p[10] == '\0')
		*p = '\0';
}
