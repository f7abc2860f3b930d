/*
 * caps.h: least privilege for the system broker.  Run as root, it keeps
 * only the capabilities its work needs (see caps.c and qshm(7)) and
 * drops every other one from its bounding set too, so a SIGHUP re-exec
 * as root cannot get them back.
 */

#ifndef QSHM_CAPS_H
#define QSHM_CAPS_H

/* Keep only CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_KILL; errno. */
int	caps_restrict(void);

#endif /* QSHM_CAPS_H */
