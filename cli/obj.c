/*
 * obj.c: OBJECT arguments.  "/name" is a POSIX shared-memory object (in
 * /dev/shm); "@N" is an anonymous object parked in the broker.
 */

#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#define QSHM_NO_WRAPPERS
#include "qshm.h"
#include "cmd.h"

static int
obj_fail(int errnum)
{
	errno = errnum;
	return (-1);
}

static int
obj_parse_id(const char *s, uint32_t *id)
{
	uint64_t	v;

	if (s[0] < '1' || s[0] > '9' || parse_u64(s, &v) == -1)
		return (obj_fail(EINVAL));
	if (v > UINT32_MAX)
		return (obj_fail(ERANGE));
	*id = (uint32_t)v;
	return (0);
}

/*
 * Check an OBJECT argument: "/name" (one component, at most NAME_MAX
 * bytes, not . or ..) or "@N" (N from 1).  EINVAL or ENAMETOOLONG.
 */
int
obj_parse(const char *s, struct obj *obj)
{
	const char	*name = s + 1;

	obj->spec = s;
	obj->id = 0;
	if (s[0] == '@')
		return (obj_parse_id(name, &obj->id));
	if (s[0] != '/' || *name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (obj_fail(EINVAL));
	if (strlen(name) > NAME_MAX)
		return (obj_fail(ENAMETOOLONG));
	return (0);
}

/* Open an object with open(2) flags; mode is for O_CREAT. */
int
obj_open(const struct obj *obj, int flags, mode_t mode)
{
	if (obj->id != 0)
		return (qshm_open_parked(obj->id, flags & O_ACCMODE));
	return (shm_open(obj->spec, flags | O_CLOEXEC, mode));
}

/* Remove an object's name, or release a parked object. */
int
obj_unlink(const struct obj *obj)
{
	if (obj->id != 0)
		return (qshm_unpark(obj->id));
	return (shm_unlink(obj->spec));
}
