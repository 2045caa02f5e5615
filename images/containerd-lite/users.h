/* Docker's `user` string ("", uid, uid:gid, name, name:group, ...) resolved
 * against the text of a container's /etc/passwd and /etc/group, as runc's
 * GetExecUser does. Pure. */
#ifndef CL_USERS_H
#define CL_USERS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define CL_USER_MAX_GROUPS 64

struct cl_user {
	uid_t uid;
	gid_t gid;
	char home[256];
	size_t ngroups;
	gid_t groups[CL_USER_MAX_GROUPS]; /* supplementary: groups listing the user */
};

/* passwd and group may be NULL (no such file). */
int cl_user_resolve(const char *spec, const char *passwd, const char *group, struct cl_user *u,
		    struct cl_error *err);

#endif
