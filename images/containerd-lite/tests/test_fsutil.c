/* cl_read_in_root: reading a file a container controls (its /etc/passwd)
 * without trusting it. A temporary directory stands in for the container's
 * root; the host's own files must never be what is read. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "t.h"

void suite_fsutil(void);

static char dir[64];
static int root = -1;

static bool setup(void)
{
	char p[128];

	snprintf(dir, sizeof dir, "/tmp/cl-fsutil-XXXXXX");
	if (!mkdtemp(dir))
		return false;
	snprintf(p, sizeof p, "%s/etc", dir);
	if (mkdir(p, 0755) < 0)
		return false;
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root >= 0;
}

static void teardown(void)
{
	char cmd[128];

	if (root >= 0)
		close(root);
	root = -1;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "    could not remove %s\n", dir);
}

static void put(const char *rel, const char *s)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	unlink(p);
	f = fopen(p, "w");
	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

static void link_to(const char *target, const char *rel)
{
	char p[128];

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	unlink(p);
	if (symlink(target, p) < 0)
		fprintf(stderr, "    symlink %s: %s\n", p, strerror(errno));
}

static void test_read_in_root_regular_and_missing(void)
{
	struct cl_error e;
	char *out = (char *)1;

	REQUIRE(setup());
	put("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	CHECK(cl_read_in_root(root, "/etc/passwd", 1024, &out, &e) == 0);
	CHECK(out && strcmp(out, "root:x:0:0::/root:/bin/sh\n") == 0);
	free(out);
	CHECK(cl_read_in_root(root, "/etc/group", 1024, &out, &e) == 0);
	CHECK(out == NULL);
	/* /etc a file: no such file either */
	put("etc2", "x");
	CHECK(cl_read_in_root(root, "/etc2/passwd", 1024, &out, &e) == 0 && out == NULL);
	teardown();
}

static void test_read_in_root_links_stay_inside(void)
{
	struct cl_error e;
	char *out = NULL;
	char fdlink[64];
	int fd;

	REQUIRE(setup());
	put("pw", "inside\n");
	/* absolute and ..-laden links are taken from the root, not the host's / */
	link_to("/pw", "etc/passwd");
	CHECK(cl_read_in_root(root, "/etc/passwd", 1024, &out, &e) == 0 && out && strcmp(out, "inside\n") == 0);
	free(out);
	link_to("../../../../../../pw", "etc/passwd");
	CHECK(cl_read_in_root(root, "/etc/passwd", 1024, &out, &e) == 0 && out && strcmp(out, "inside\n") == 0);
	free(out);
	link_to("/etc/hostname", "etc/group"); /* the host's: absent in this root */
	CHECK(cl_read_in_root(root, "/etc/group", 1024, &out, &e) == 0 && out == NULL);
	/* a magic link (an fd of ours) is refused, never read */
	fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	snprintf(fdlink, sizeof fdlink, "/proc/self/fd/%d", fd);
	link_to(fdlink, "etc/passwd");
	/* this root has no /proc: nothing to find */
	CHECK(cl_read_in_root(root, "/etc/passwd", 1024, &out, &e) == 0 && out == NULL);
	/* with the host's / as the root, /proc is there: the magic link is refused */
	{
		int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		char p[128];

		REQUIRE(slash >= 0);
		snprintf(p, sizeof p, "%s/etc/passwd", dir);
		CHECK(cl_read_in_root(slash, p, 1024, &out, &e) == -ELOOP);
		CHECK(strstr(e.msg, "open /tmp/cl-fsutil-") == e.msg);
		CHECK(strstr(e.msg, "a link through /proc (refused)") != NULL);
		close(slash);
	}
	close(fd);
	teardown();
}

static void test_read_in_root_refuses_fifo_dir_and_big(void)
{
	struct cl_error e;
	char *out = NULL;
	char p[128];

	REQUIRE(setup());
	snprintf(p, sizeof p, "%s/etc/passwd", dir);
	REQUIRE(mkfifo(p, 0644) == 0);
	/* would block forever without O_NONBLOCK: no writer */
	CHECK(cl_read_in_root(root, "/etc/passwd", 1024, &out, &e) == -EINVAL);
	CHECK(strcmp(e.msg, "/etc/passwd: not a regular file (a fifo)") == 0);
	CHECK(out == NULL);
	snprintf(p, sizeof p, "%s/etc/group", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	CHECK(cl_read_in_root(root, "/etc/group", 1024, &out, &e) == -EINVAL);
	CHECK(strcmp(e.msg, "/etc/group: not a regular file (a directory)") == 0);
	put("etc/shadow", "0123456789");
	CHECK(cl_read_in_root(root, "/etc/shadow", 9, &out, &e) == -EFBIG);
	CHECK(strcmp(e.msg, "/etc/shadow: over 9 bytes") == 0);
	CHECK(cl_read_in_root(root, "/etc/shadow", 10, &out, &e) == 0 && out && strlen(out) == 10);
	free(out);
	teardown();
}

void suite_fsutil(void)
{
	RUN(test_read_in_root_regular_and_missing);
	RUN(test_read_in_root_links_stay_inside);
	RUN(test_read_in_root_refuses_fifo_dir_and_big);
}
