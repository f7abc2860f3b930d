/*
 * caps.c: the system broker's capabilities, set with the raw capset(2)
 * and prctl(2) calls (libcap would add a dependency for two syscalls).
 *
 * What each one is for, measured with a broker whose bounding set was
 * cut down (setpriv --bounding-set) serving two unprivileged uids:
 * - CAP_DAC_READ_SEARCH: reopening, read-only, an object whose mode does
 *   not let the broker's uid read it (a 0600 memfd of another uid): ro
 *   grants and opens of such objects.  Without it they fail with EACCES.
 * - CAP_DAC_OVERRIDE: the same for writing: rw and wo grants, opens and
 *   parked opens of another uid's object.  Without it, only objects whose
 *   mode lets the broker's uid in, and grants of exactly the mode of the
 *   creator's fd, work.
 * - CAP_KILL: --revoke-enforce kill against a recipient of another uid
 *   (pidfd_send_signal gives EPERM without it; the grant is then reported
 *   as timed out, as under the report policy).
 * Not needed: CAP_SYS_PTRACE (pidfd_open, SO_PEERPIDFD and the pidfs
 * identity key work without it; /proc/PID/status, where policy reads a
 * recipient's capabilities, and /proc/PID/uid_map and gid_map, where it
 * reads its user namespace, are readable by all).
 */

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"

#define CAPS_KEEP	((1ULL << CAP_DAC_OVERRIDE) | \
			 (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_KILL))

/* The highest capability this kernel knows. */
static int
caps_last(void)
{
	FILE	*f;
	int	 last = 40;

	if ((f = fopen("/proc/sys/kernel/cap_last_cap", "re")) != NULL) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = 40;
		fclose(f);
	}
	return (last);
}

/* Keep only the capabilities in CAPS_KEEP; see caps.h. */
int
caps_restrict(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];
	int				cap, last = caps_last();

	for (cap = 0; cap <= last; cap++)
		/* Already gone (systemd's CapabilityBoundingSet=): fine. */
		if (!(CAPS_KEEP & (1ULL << cap)) &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return (errno);
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (errno);
	data[0].effective &= (uint32_t)CAPS_KEEP;
	data[0].permitted &= (uint32_t)CAPS_KEEP;
	data[0].inheritable = 0;
	data[1].effective = data[1].permitted = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) == -1)
		return (errno);
	return (0);
}
