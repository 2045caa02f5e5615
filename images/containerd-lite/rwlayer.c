#include "rwlayer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "containers.h"
#include "fsutil.h"
#include "layertar.h"
#include "snapshots.h"
#include "tasks.h"

/* The archive leaves in STREAM frames (stream 1) of the largest size. */
struct frames {
	uint32_t req;
	uint8_t buf[CL_MAX_FRAME_PAYLOAD];
	size_t len;
};

static int flush(struct frames *f, struct cl_error *err)
{
	if (f->len == 0)
		return 0;
	if (cl_channel_send_frame(cl_host, CL_STREAM, 0, 1, f->req, f->buf, f->len, err) < 0)
		return cl_error_ret(err);
	f->len = 0;
	return 0;
}

static int to_frames(void *ctx, const void *p, size_t n, struct cl_error *err)
{
	struct frames *f = ctx;
	const uint8_t *b = p;

	while (n > 0) {
		size_t k = sizeof f->buf - f->len < n ? sizeof f->buf - f->len : n;

		memcpy(f->buf + f->len, b, k);
		f->len += k;
		b += k;
		n -= k;
		if (f->len == sizeof f->buf && flush(f, err) < 0)
			return cl_error_ret(err);
	}
	return 0;
}

/* `container.diff`: the upper dir as an OCI layer, read where the daemon
 * mounted it (a running container's too: Docker's commit pauses it, here a
 * file written meanwhile is taken at the size its header gave). */
static int op_diff(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	static struct frames f; /* 64 KiB: not on the stack */
	struct cl_container *c;
	char upper[CL_PATH_MAX], work[CL_PATH_MAX];
	uint64_t bytes = 0;

	if (cl_container_arg(req, "container.diff", &c, err) < 0 ||
	    cl_container_rw(c, upper, work, sizeof upper, err) < 0)
		return cl_error_ret(err);
	f.req = req->id;
	f.len = 0;
	if (cl_layertar_write(upper, to_frames, &f, &bytes, err) < 0 || flush(&f, err) < 0)
		return cl_error_wrap(err, "container.diff %.12s", c->id);
	if (cl_attrbuf_add_u64(resp, "size", bytes) < 0)
		return cl_fail(err, ENOMEM, "container.diff");
	return 0;
}

/* `container.extract`: a tar the host put in its 9p directory, unpacked into
 * a directory of a container, running or not, as Docker's daemon does for
 * `docker cp`: a child joins a running container's mount namespace, or, for
 * one not running (created or exited), mounts the container's overlay (its
 * image's snapshot under its writable layer) in a mount namespace of its
 * own and chroots into it; then the VM's busybox tar unpacks there, so
 * every path resolves inside the container and the image needs no tar of
 * its own. The child is in none of the container's other namespaces or its
 * cgroup, so a paused container takes files too. The daemon waits for it,
 * as for sys.exec, bounded the same way. */
#define EXTRACT_TIMEOUT_MS 10000
#define EXTRACT_NO_DIR 120 /* the child's exit: the directory is not there */
#define EXTRACT_SETUP 121  /* the child's exit: a step before tar failed (its message on stderr) */
#define BUSYBOX "/bin/busybox"

static _Noreturn void extract_fail(int code, const char *what)
{
	char line[160];
	int n = snprintf(line, sizeof line, "%s: %s", what, strerror(errno));

	if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
		_exit(code);
	_exit(code);
}

static _Noreturn void extract_child(int mntns, const char *rootfs, const char *opts, const char *dir, int archive,
				    int errfd)
{
	static char *const argv[] = { "tar", "-x", "-f", "-", NULL };
	static char *const env[] = { "PATH=/bin:/usr/bin", NULL };
	int bb;
	sigset_t none;

	/* What the daemon blocks and ignores is not the child's. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* above stdio first: the daemon's stdio may be closed, and either fd one of 0-2 */
	archive = fcntl(archive, F_DUPFD, 3);
	errfd = fcntl(errfd, F_DUPFD, 3);
	if (archive < 0 || errfd < 0 || dup2(archive, 0) < 0 || dup2(errfd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(EXTRACT_SETUP);
	bb = open(BUSYBOX, O_PATH | O_CLOEXEC);
	if (bb < 0)
		extract_fail(EXTRACT_SETUP, "open " BUSYBOX);
	if (mntns >= 0) {
		/* a running container's: / and the cwd become its root */
		if (setns(mntns, CLONE_NEWNS) < 0)
			extract_fail(EXTRACT_SETUP, "join the container's mount namespace");
	} else {
		if (unshare(CLONE_NEWNS) < 0)
			extract_fail(EXTRACT_SETUP, "unshare");
		/* Nothing mounted here reaches the VM; it all goes when the child does. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			extract_fail(EXTRACT_SETUP, "make / private");
		if (mount("overlay", rootfs, "overlay", MS_NODEV | MS_NOSUID, opts) < 0)
			extract_fail(EXTRACT_SETUP, "mount the container's overlay");
		if (chroot(rootfs) < 0)
			extract_fail(EXTRACT_SETUP, "chroot");
	}
	if (chdir("/") < 0)
		extract_fail(EXTRACT_SETUP, "chdir /");
	if (chdir(dir) < 0)
		extract_fail(errno == ENOENT || errno == ENOTDIR ? EXTRACT_NO_DIR : EXTRACT_SETUP, dir);
	syscall(SYS_execveat, bb, "", argv, env, AT_EMPTY_PATH);
	extract_fail(EXTRACT_SETUP, "exec " BUSYBOX " tar");
}

/* Unpacks the open archive into the request's `path` of its container. */
static int extract(const struct cl_request *req, int archive, struct cl_error *err)
{
	char upper[CL_PATH_MAX], work[CL_PATH_MAX], lower[CL_PATH_MAX], rootfs[CL_PATH_MAX], opts[3 * CL_PATH_MAX + 40];
	char snap[128], dir[CL_PATH_MAX], said[1024];
	const char *msg;
	cleanup_close int pidfd = -1;
	cleanup_close int mntns = -1;
	int pipefd[2], status, ret = 1;
	struct cl_container *c;
	ssize_t n;
	pid_t pid;

	if (cl_container_arg(req, "container.extract", &c, err) < 0 ||
	    cl_arg_str(&req->attrs, "container.extract", "path", NULL, dir, sizeof dir, err) < 0)
		return cl_error_ret(err);
	if (dir[0] != '/')
		return cl_fail_plain(err, EINVAL, "container.extract: `path` must be absolute");
	if (c->status == CL_RUNNING) {
		char ns[64];

		if (!c->task)
			return cl_fail_plain(err, EBUSY, "container.extract %.12s: running without a task", c->id);

		snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", (int)cl_task_pid(c->task));
		mntns = open(ns, O_RDONLY | O_CLOEXEC);
		if (mntns < 0)
			return cl_fail(err, errno, "container.extract %.12s: open `%s`", c->id, ns);
	} else if (cl_arg_str(&c->attrs, "container.extract", "snapshot", NULL, snap, sizeof snap, err) < 0 ||
	    cl_snapshot_lowerdir(snap, lower, sizeof lower, err) < 0 ||
	    cl_container_rw(c, upper, work, sizeof upper, err) < 0 ||
	    cl_path(rootfs, sizeof rootfs, err, "%s/containers/%s/rootfs", cl_state_root, c->id) < 0 ||
	    cl_path(opts, sizeof opts, err, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) < 0)
		return cl_error_wrap(err, "container.extract %.12s", c->id);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cl_fail(err, errno, "container.extract: pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return cl_fail(err, errno, "container.extract: fork");
	}
	if (pid == 0)
		extract_child(mntns, rootfs, opts, dir, archive, pipefd[1]);
	close(pipefd[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		while ((ret = poll(&p, 1, EXTRACT_TIMEOUT_MS)) < 0 && errno == EINTR)
			;
		if (ret == 0)
			kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			close(pipefd[0]);
			return cl_fail(err, errno, "container.extract: waitpid");
		}
	/* what it said, once it is gone (a few lines, within the pipe's buffer):
	 * its last line, the error after any warnings */
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	n = read(pipefd[0], said, sizeof said - 1);
	close(pipefd[0]);
	said[n > 0 ? n : 0] = '\0';
	while (n > 0 && said[n - 1] == '\n')
		said[--n] = '\0';
	msg = strrchr(said, '\n') ? strrchr(said, '\n') + 1 : said;
	if (ret == 0)
		return cl_fail_plain(err, ETIMEDOUT, "container.extract %.12s: tar still running after %d ms: killed", c->id,
				     EXTRACT_TIMEOUT_MS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXTRACT_NO_DIR)
		return cl_fail_plain(err, ENOENT, "container.extract %.12s: %s: no such directory", c->id, dir);
	return cl_fail_plain(err, EIO, "container.extract %.12s: %s", c->id,
			     msg[0] ? msg : WIFEXITED(status) ? "tar failed" : "tar was killed");
}

static int op_extract(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char name[256], path[CL_PATH_MAX];
	cleanup_close int archive = -1;
	int ret;

	(void)resp;
	if (cl_arg_str(&req->attrs, "container.extract", "archive", NULL, name, sizeof name, err) < 0)
		return cl_error_ret(err);
	if (name[0] == '\0' || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cl_fail_plain(err, EINVAL, "container.extract: `archive` must name a file of the host directory");
	if (cl_path(path, sizeof path, err, CL_HOST_DIR "/%s", name) < 0)
		return cl_error_ret(err);
	archive = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (archive < 0)
		return cl_fail(err, errno, "container.extract: open `%s`", path);
	ret = extract(req, archive, err);
	/* Read once, whatever happened: the host's copy goes now (not before:
	 * v86's 9p drops an unlinked file's bytes even while it is open). */
	unlink(path);
	return ret;
}

const struct cl_op cl_rwlayer_ops[] = {
	{ "container.diff", op_diff },
	{ "container.extract", op_extract },
	{ NULL, NULL },
};
