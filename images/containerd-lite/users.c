#include "users.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits one line into ':' fields in place: up to max, the count. */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = line;
	for (char *s = line; *s && n < max; s++)
		if (*s == ':') {
			*s = '\0';
			f[n++] = s + 1;
		}
	return n;
}

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !*end && !errno && *out <= INT32_MAX;
}

/* Calls fn for each line of text (a copy, so fields can be cut). Stops when
 * fn returns true. */
static bool each_line(const char *text, bool (*fn)(char **f, size_t n, void *ctx), void *ctx)
{
	char line[1024];

	while (text && *text) {
		size_t len = strcspn(text, "\n");
		char *f[8];
		size_t n;

		if (len < sizeof line) {
			memcpy(line, text, len);
			line[len] = '\0';
			if (line[0] && line[0] != '#' && (n = fields(line, f, 8)) >= 3 && fn(f, n, ctx))
				return true;
		}
		text += len;
		if (*text)
			text++;
	}
	return false;
}

struct pw_query {
	const char *name; /* by name, or */
	unsigned long uid;/* by uid when name is NULL */
	char uname[256];
	struct cl_user *u;
};

static bool pw_match(char **f, size_t n, void *ctx)
{
	struct pw_query *q = ctx;
	unsigned long uid, gid;

	if (n < 4 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
		return false;
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return false;
	q->u->uid = (uid_t)uid;
	q->u->gid = (gid_t)gid;
	snprintf(q->u->home, sizeof q->u->home, "%s", n >= 6 && f[5][0] ? f[5] : "/");
	snprintf(q->uname, sizeof q->uname, "%s", f[0]);
	return true;
}

struct gr_query {
	const char *name;
	unsigned long gid;
	const char *member;
	struct cl_user *u;
};

static bool gr_match(char **f, size_t n, void *ctx)
{
	struct gr_query *q = ctx;
	unsigned long gid;

	if (!parse_id(f[2], &gid))
		return false;
	if (q->member) {
		/* Collect every group listing the member (never stops). */
		for (char *m = n >= 4 ? f[3] : NULL; m && *m;) {
			size_t len = strcspn(m, ",");

			if (len == strlen(q->member) && strncmp(m, q->member, len) == 0 &&
			    q->u->ngroups < CL_USER_MAX_GROUPS) {
				bool dup = false;

				for (size_t i = 0; i < q->u->ngroups; i++)
					dup |= q->u->groups[i] == (gid_t)gid;
				if (!dup)
					q->u->groups[q->u->ngroups++] = (gid_t)gid;
				break;
			}
			m += len;
			if (*m)
				m++;
		}
		return false;
	}
	if (strcmp(f[0], q->name) != 0)
		return false;
	q->gid = gid;
	return true;
}

int cl_user_resolve(const char *spec, const char *passwd, const char *group, struct cl_user *u,
		    struct cl_error *err)
{
	char user[256], grp[256];
	const char *colon = strchr(spec, ':');
	struct pw_query pq = { .u = u };
	unsigned long id;
	bool found;

	memset(u, 0, sizeof *u);
	snprintf(u->home, sizeof u->home, "/");
	if (strlen(spec) >= sizeof user)
		return cl_fail_plain(err, EINVAL, "invalid user `%.64s...`", spec);
	snprintf(user, sizeof user, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	snprintf(grp, sizeof grp, "%s", colon ? colon + 1 : "");

	if (!user[0] || parse_id(user, &id)) {
		/* Numeric (or root): works without a passwd entry, which only
		 * adds the primary group and home. */
		pq.uid = user[0] ? id : 0;
		found = each_line(passwd, pw_match, &pq);
		if (!found) {
			u->uid = (uid_t)pq.uid;
			u->gid = 0;
		}
	} else {
		pq.name = user;
		found = each_line(passwd, pw_match, &pq);
		if (!found)
			return cl_fail_plain(err, ENOENT, "unable to find user %s: no matching entries in passwd file",
					     user);
	}
	if (grp[0]) {
		if (parse_id(grp, &id))
			u->gid = (gid_t)id;
		else {
			struct gr_query gq = { .name = grp, .u = u };

			if (!each_line(group, gr_match, &gq))
				return cl_fail_plain(err, ENOENT,
						     "unable to find group %s: no matching entries in group file", grp);
			u->gid = (gid_t)gq.gid;
		}
	}
	if (found) {
		struct gr_query gq = { .member = pq.uname, .u = u };

		each_line(group, gr_match, &gq);
	}
	return 0;
}
