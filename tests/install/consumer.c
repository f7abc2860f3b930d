/*
 * consumer: a program built the way users build against qshm (installed
 * header and pkg-config, or -I lib build/libqshm.a), that grants a handle
 * to itself, opens it and checks what it reads.  Exit 0 on success.
 */

#include <sys/mman.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <qshm.h>

int
main(void)
{
	shm_handle_t	 h;
	char		*p;
	int		 fd, rfd;

	fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600);
	if (fd == -1 || ftruncate(fd, 4096) == -1)
		err(1, "shm_open(SHM_ANON)");
	if (pwrite(fd, "qshm", 4, 0) != 4)
		err(1, "pwrite");
	if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1)
		err(1, "shm_create_handle");
	if ((rfd = shm_open_handle(h, O_RDONLY)) == -1)
		err(1, "shm_open_handle");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	if (memcmp(p, "qshm", 4) != 0)
		errx(1, "read back the wrong bytes");
	puts("consumer: ok");
	return (0);
}
