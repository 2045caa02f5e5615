#include "volumes.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "args.h"
#include "containers.h"
#include "fsutil.h"

static int op_list(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX];
	DIR *d;
	struct dirent *e;
	struct stat st;
	int ret = 0;

	(void)req;
	if (cl_state_init(err) < 0 || cl_path(dir, sizeof dir, err, "%s/volumes", cl_state_root) < 0)
		return cl_error_ret(err);
	d = opendir(dir);
	if (!d)
		return cl_fail(err, errno, "volume.list: open `%s`", dir);
	while (ret == 0 && (e = readdir(d))) {
		cleanup_attrbuf struct cl_attrbuf item = { 0 };

		if (!cl_name_valid(e->d_name) || cl_path(path, sizeof path, err, "%s/%s", dir, e->d_name) < 0)
			continue;
		if (stat(path, &st) < 0)
			continue;
		if ((ret = cl_attrbuf_add_str(&item, "name", e->d_name)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&item, "size", cl_du(path))) < 0 ||
		    (ret = cl_attrbuf_add_u64(&item, "created", (uint64_t)st.st_ctim.tv_sec * 1000 +
								      (uint64_t)st.st_ctim.tv_nsec / 1000000)) < 0 ||
		    (ret = cl_attrbuf_add(resp, "volume", item.data, item.len)) < 0)
			ret = cl_fail(err, -ret, "volume.list: build response");
	}
	closedir(d);
	return ret;
}

static int op_remove(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char name[256], path[CL_PATH_MAX], users[1024];
	struct stat st;

	(void)resp;
	if (cl_arg_str(&req->attrs, "volume.remove", "name", NULL, name, sizeof name, err) < 0)
		return cl_error_ret(err);
	if (!cl_name_valid(name))
		return cl_fail_plain(err, EINVAL, "volume.remove: invalid volume name `%s`", name);
	if (cl_state_init(err) < 0 || cl_path(path, sizeof path, err, "%s/volumes/%s", cl_state_root, name) < 0)
		return cl_error_ret(err);
	if (stat(path, &st) < 0)
		return cl_fail_plain(err, ENOENT, "No such volume: %s", name);
	if (cl_containers_using_volume(name, users, sizeof users))
		return cl_fail_plain(err, EBUSY, "remove %s: volume is in use - %s", name, users);
	if (cl_rm_rf(path, err) < 0)
		return cl_error_wrap(err, "volume.remove");
	return 0;
}

/* `docker volume create`: the directory a `volume` mount would make on first
 * use; one that exists already is kept, as Docker returns it. */
static int op_create(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char name[256], path[CL_PATH_MAX];

	(void)resp;
	if (cl_arg_str(&req->attrs, "volume.create", "name", NULL, name, sizeof name, err) < 0)
		return cl_error_ret(err);
	if (!cl_name_valid(name))
		return cl_fail_plain(err, EINVAL,
				     "create %s: \"%s\" includes invalid characters for a local volume name, only "
				     "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
				     name, name);
	if (cl_state_init(err) < 0 || cl_path(path, sizeof path, err, "%s/volumes/%s", cl_state_root, name) < 0 ||
	    cl_mkdir_p(path, 0755, err) < 0)
		return cl_error_wrap(err, "volume.create");
	return 0;
}

const struct cl_op cl_volume_ops[] = {
	{ "volume.create", op_create },
	{ "volume.list", op_list },
	{ "volume.remove", op_remove },
	{ NULL, NULL },
};
