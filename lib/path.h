/*
 * path.h: where the broker socket lives (DESIGN.md section 4), shared by
 * the library and the broker.
 */

#ifndef QSHM_PATH_H
#define QSHM_PATH_H

#include <stddef.h>

#define PATH_SYSTEM_SOCKET	"/run/qshm/broker.sock"

/*
 * Write the socket path into buf: $QSHM_SOCKET, else the system socket if
 * probe_system and a broker accepts there, else
 * $XDG_RUNTIME_DIR/qshm/broker.sock, else /tmp/qshm-$UID/broker.sock
 * unless another uid owns /tmp/qshm-$UID and $HOME is ours: then
 * $HOME/.cache/qshm/broker.sock.  Fails with ENAMETOOLONG when it does
 * not fit a sockaddr_un.
 */
int	path_socket(char *buf, size_t size, int probe_system);
/*
 * Make the socket's directory if it is missing (mode 0700, with
 * $HOME/.cache for $HOME/.cache/qshm; /run/qshm 0755) and check that the
 * caller (for /run/qshm: or root) owns it and no one else may write to
 * it; EPERM otherwise.
 */
int	path_prepare_dir(const char *sockpath);
/*
 * Why path_prepare_dir(sockpath) failed with err, in words for the user:
 * the directory and what is wrong with it (whose it is, its mode), and
 * for a per-user default what to set instead.
 */
void	path_why(const char *sockpath, int err, char *buf, size_t size);

#endif /* QSHM_PATH_H */
