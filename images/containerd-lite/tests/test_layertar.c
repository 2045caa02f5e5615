/* cl_layertar_write: a writable layer as Docker's overlay2 driver writes it.
 * A temporary directory stands in for an overlay upper dir: a char device
 * 0/0 is a whiteout, trusted.overlay.opaque=y an opaque directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layertar.h"
#include "t.h"

void suite_layertar(void);

static char dir[64];

static int to_buf(void *ctx, const void *p, size_t n, struct cl_error *err)
{
	(void)err;
	t_buf_add(ctx, p, n);
	return 0;
}

static void put(const char *rel, const char *s, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			perror("write");
		fchmod(fd, mode);
		close(fd);
	}
}

static unsigned long long num(const uint8_t *h, size_t off, size_t len)
{
	char tmp[16] = { 0 };

	memcpy(tmp, h + off, len);
	return strtoull(tmp, NULL, 8);
}

struct ent {
	char name[300];
	char type;
	unsigned long long mode, uid, size, mtime;
	char link[128];
	char data[16];
};

/* Reads back what the writer wrote (pax `path` only). */
static size_t parse(const struct t_buf *b, struct ent *out, size_t max)
{
	size_t off = 0, n = 0;
	char pax_path[300] = "";

	while (off + 512 <= b->len && n < max) {
		const uint8_t *h = b->p + off;
		unsigned sum = 0;
		struct ent *e = &out[n];
		unsigned long long size;

		if (h[0] == 0)
			break;
		for (int i = 0; i < 512; i++)
			sum += i >= 148 && i < 156 ? ' ' : h[i];
		CHECK_EQ(sum, num(h, 148, 8));
		CHECK(memcmp(h + 257, "ustar\0" "00", 8) == 0);
		size = num(h, 124, 12);
		if (h[156] == 'x') {
			const char *rec = strstr((const char *)h + 512, " path=");
			size_t l = rec ? strcspn(rec + 6, "\n") : 0;

			memcpy(pax_path, rec + 6, l);
			pax_path[l] = 0;
			off += 512 + (size + 511) / 512 * 512;
			continue;
		}
		memset(e, 0, sizeof *e);
		if (pax_path[0])
			snprintf(e->name, sizeof e->name, "%s", pax_path);
		else
			memcpy(e->name, h, strnlen((const char *)h, 100));
		pax_path[0] = 0;
		e->type = (char)h[156];
		e->mode = num(h, 100, 8);
		e->uid = num(h, 108, 8);
		e->size = size;
		e->mtime = num(h, 136, 12);
		memcpy(e->link, h + 157, strnlen((const char *)h + 157, 100));
		memcpy(e->data, h + 512, size < sizeof e->data - 1 ? size : sizeof e->data - 1);
		off += 512 + (size + 511) / 512 * 512;
		n++;
	}
	CHECK(off + 1024 == b->len); /* two zero blocks end it */
	return n;
}

static void test_layertar_overlay_upper(void)
{
	char p[512], longname[256];
	struct t_buf b = { 0 };
	struct cl_error e;
	struct ent v[16];
	uint64_t bytes = 0;
	size_t n;
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	snprintf(dir, sizeof dir, "/tmp/cl-layertar-XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(p, sizeof p, "%s/etc", dir);
	REQUIRE(mkdir(p, 0750) == 0);
	put("etc/passwd", "root:x:0:0\n", 04755);
	snprintf(p, sizeof p, "%s/etc/passwd", dir);
	utimensat(AT_FDCWD, p, ts, 0);
	snprintf(longname, sizeof longname, "%s/etc/%0120d", dir, 7);
	REQUIRE(link(p, longname) == 0);
	snprintf(p, sizeof p, "%s/gone", dir);
	REQUIRE(mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0);
	snprintf(p, sizeof p, "%s/opaque", dir);
	REQUIRE(mkdir(p, 0700) == 0);
	REQUIRE(setxattr(p, "trusted.overlay.opaque", "y", 1, 0) == 0);
	snprintf(p, sizeof p, "%s/ln", dir);
	REQUIRE(symlink("etc/passwd", p) == 0);
	snprintf(p, sizeof p, "%s/sock-like-fifo", dir);
	REQUIRE(mkfifo(p, 0644) == 0);

	REQUIRE(cl_layertar_write(dir, to_buf, &b, &bytes, &e) == 0);
	CHECK_EQ(bytes, b.len);
	n = parse(&b, v, 16);
	CHECK_EQ(n, 8);
	/* name order, a directory before what it holds */
	CHECK(strcmp(v[0].name, "etc/") == 0 && v[0].type == '5' && v[0].mode == 0750);
	CHECK(strncmp(v[1].name, "etc/0000", 8) == 0 && strlen(v[1].name) == 124); /* pax path */
	CHECK(v[1].type == '0' && v[1].size == 11);
	CHECK(strcmp(v[2].name, "etc/passwd") == 0 && v[2].type == '1' && strcmp(v[2].link, v[1].name) != 0);
	CHECK(v[2].mode == 04755 && v[2].mtime == 1000000000);
	CHECK(strcmp(v[3].name, ".wh.gone") == 0 && v[3].type == '0' && v[3].size == 0 && v[3].mode == 0600);
	CHECK(strcmp(v[4].name, "ln") == 0 && v[4].type == '2' && strcmp(v[4].link, "etc/passwd") == 0);
	CHECK(strcmp(v[5].name, "opaque/") == 0 && v[5].type == '5');
	CHECK(strcmp(v[6].name, "opaque/.wh..wh..opq") == 0 && v[6].type == '0' && v[6].mode == 0700);
	CHECK(strcmp(v[7].name, "sock-like-fifo") == 0 && v[7].type == '6');
	t_buf_free(&b);

	snprintf(p, sizeof p, "rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "    could not remove %s\n", dir);
}

/* The first name of a hard-linked file carries its data, the second links to it. */
static void test_layertar_hardlink_data_once(void)
{
	char p[512], q[512];
	struct t_buf b = { 0 };
	struct cl_error e;
	struct ent v[4];

	snprintf(dir, sizeof dir, "/tmp/cl-layertar-XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
	put("a", "data", 0644);
	snprintf(p, sizeof p, "%s/a", dir);
	snprintf(q, sizeof q, "%s/b", dir);
	REQUIRE(link(p, q) == 0);
	REQUIRE(cl_layertar_write(dir, to_buf, &b, NULL, &e) == 0);
	CHECK_EQ(parse(&b, v, 4), 2);
	CHECK(strcmp(v[0].name, "a") == 0 && v[0].type == '0' && strcmp(v[0].data, "data") == 0);
	CHECK(strcmp(v[1].name, "b") == 0 && v[1].type == '1' && strcmp(v[1].link, "a") == 0 && v[1].size == 0);
	t_buf_free(&b);
	CHECK(cl_layertar_write("/nonexistent-cl-layertar", to_buf, &b, NULL, &e) < 0);
	CHECK(strstr(e.msg, "/nonexistent-cl-layertar") != NULL);
	t_buf_free(&b);
	snprintf(p, sizeof p, "rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "    could not remove %s\n", dir);
}

/* The runtime's mount points are not the container's change: left out,
 * while names that only look like them are kept. */
static void test_layertar_leaves_out_runtime_mounts(void)
{
	char p[512];
	struct t_buf b = { 0 };
	struct cl_error e;
	struct ent v[8];
	static const char *const dirs[] = { "dev", "proc", "sys", "etc", "srv", "srv/proc" };

	snprintf(dir, sizeof dir, "/tmp/cl-layertar-XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
		REQUIRE(mkdir(p, 0755) == 0);
	}
	put("etc/hosts", "", 0644);
	put("etc/hostname", "", 0644);
	put("etc/resolv.conf", "", 0644);
	put("etc/passwd", "root", 0644);
	put("srv/hosts", "", 0644);
	REQUIRE(cl_layertar_write(dir, to_buf, &b, NULL, &e) == 0);
	CHECK_EQ(parse(&b, v, 8), 5);
	CHECK(strcmp(v[0].name, "etc/") == 0);
	CHECK(strcmp(v[1].name, "etc/passwd") == 0);
	CHECK(strcmp(v[2].name, "srv/") == 0);
	CHECK(strcmp(v[3].name, "srv/hosts") == 0);
	CHECK(strcmp(v[4].name, "srv/proc/") == 0);
	t_buf_free(&b);
	/* an etc holding nothing but the mount points is left out too */
	snprintf(p, sizeof p, "%s/etc/passwd", dir);
	REQUIRE(unlink(p) == 0);
	REQUIRE(cl_layertar_write(dir, to_buf, &b, NULL, &e) == 0);
	CHECK_EQ(parse(&b, v, 8), 3);
	CHECK(strcmp(v[0].name, "srv/") == 0);
	t_buf_free(&b);
	snprintf(p, sizeof p, "rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "    could not remove %s\n", dir);
}

void suite_layertar(void)
{
	RUN(test_layertar_overlay_upper);
	RUN(test_layertar_hardlink_data_once);
	RUN(test_layertar_leaves_out_runtime_mounts);
}
