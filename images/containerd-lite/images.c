#include "images.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "fsutil.h"

#define NAME_MAX_LEN 1024
#define RECORD_MAX (1u << 20)

static int image_path(const struct cl_request *req, const char *op, char *name, char *path, size_t size,
		      struct cl_error *err)
{
	char esc[3 * NAME_MAX_LEN + 1];

	if (cl_arg_str(&req->attrs, op, "name", NULL, name, NAME_MAX_LEN, err) < 0)
		return cl_error_ret(err);
	if (!*name)
		return cl_fail_plain(err, EINVAL, "%s: empty name", op);
	/* Escaped names must fit one file name (255 bytes). */
	if (cl_name_escape(name, esc, 256) < 0)
		return cl_fail_plain(err, ENAMETOOLONG, "%s: name too long: %.64s", op, name);
	if (cl_state_init(err) < 0)
		return cl_error_ret(err);
	return cl_path(path, size, err, "%s/images/%s", cl_state_root, esc);
}

static int op_put(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char name[NAME_MAX_LEN], path[CL_PATH_MAX];
	struct cl_attr rec;

	(void)resp;
	if (image_path(req, "image.put", name, path, sizeof path, err) < 0)
		return cl_error_ret(err);
	if (!cl_attrs_get(&req->attrs, "record", &rec))
		return cl_fail_plain(err, EINVAL, "image.put: missing \"record\"");
	if (cl_write_atomic(path, rec.val, rec.vlen, err) < 0)
		return cl_error_wrap(err, "image.put %s", name);
	return 0;
}

static int op_list(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX], name[NAME_MAX_LEN];
	DIR *d;
	struct dirent *e;
	int ret = 0;

	(void)req;
	if (cl_state_init(err) < 0 || cl_path(dir, sizeof dir, err, "%s/images", cl_state_root) < 0)
		return cl_error_ret(err);
	d = opendir(dir);
	if (!d)
		return cl_fail(err, errno, "image.list: open `%s`", dir);
	while (ret == 0 && (e = readdir(d))) {
		cleanup_attrbuf struct cl_attrbuf item = { 0 };
		cleanup_free char *rec = NULL;
		size_t len;
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0))
			continue;
		if (cl_name_unescape(e->d_name, name, sizeof name) < 0)
			continue;
		if (cl_path(path, sizeof path, err, "%s/%s", dir, e->d_name) < 0 ||
		    cl_read_all(path, RECORD_MAX, &rec, &len, err) < 0) {
			ret = cl_error_wrap(err, "image.list");
			break;
		}
		if ((ret = cl_attrbuf_add_str(&item, "name", name)) < 0 ||
		    (ret = cl_attrbuf_add(&item, "record", rec, len)) < 0 ||
		    (ret = cl_attrbuf_add(resp, "image", item.data, item.len)) < 0)
			ret = cl_fail(err, -ret, "image.list: build response");
	}
	closedir(d);
	return ret;
}

static int op_remove(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char name[NAME_MAX_LEN], path[CL_PATH_MAX];

	(void)resp;
	if (image_path(req, "image.remove", name, path, sizeof path, err) < 0)
		return cl_error_ret(err);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return cl_fail_plain(err, ENOENT, "No such image: %s", name);
		return cl_fail(err, errno, "image.remove: unlink `%s`", path);
	}
	return 0;
}

const struct cl_op cl_image_ops[] = {
	{ "image.put", op_put },
	{ "image.list", op_list },
	{ "image.remove", op_remove },
	{ NULL, NULL },
};
