/* Scope-bound cleanup (GCC/Clang __attribute__((cleanup))), so early returns
 * release what they hold without goto ladders. Transfer ownership out of a
 * cleanup variable by setting it to NULL / -1 (see cl_steal_fd). */
#ifndef CL_CLEANUP_H
#define CL_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cl_freep(void *p)
{
	free(*(void **)p);
}

static inline void cl_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* cleanup must not clobber the errno being reported */
		close(*fd);
		errno = saved;
	}
}

static inline int cl_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#define cleanup_free __attribute__((cleanup(cl_freep)))
#define cleanup_close __attribute__((cleanup(cl_closep)))

#endif
