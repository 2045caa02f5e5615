#include "snapshots.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "sha256.h"

int cl_snapshot_lowerdir(const char *key, char *out, size_t size, struct cl_error *err)
{
	struct stat st;
	int n;

	if (!cl_digest_valid(key))
		return cl_fail_plain(err, EINVAL, "invalid snapshot key `%s`", key);
	n = snprintf(out, size, CL_HOST_DIR "/snapshots/%s", key + 7);
	if (n < 0 || (size_t)n >= size)
		return cl_fail_plain(err, E2BIG, "snapshot %s: path too long", key);
	/* lstat: the host makes a plain directory, never a link to one */
	if (lstat(out, &st) < 0)
		return cl_fail(err, errno, "snapshot %s: the host has not mounted it at `%s`", key, out);
	if (!S_ISDIR(st.st_mode))
		return cl_fail_plain(err, ENOTDIR, "snapshot %s: `%s` is not a directory", key, out);
	return 0;
}
