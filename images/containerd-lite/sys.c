#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "io.h"
#include "netns.h"
#include "network.h"
#include "sysinfo.h"

/* <linux/random.h> is not in musl's headers: the two ioctls, as the kernel
 * defines them. */
#define CL_RNDADDENTROPY _IOW('R', 0x03, int[2])
#define CL_RNDRESEEDCRNG _IO('R', 0x07)

#define SEED_MAX 512

struct seed_info {
	int entropy_count; /* bits credited */
	int buf_size;      /* bytes */
	uint8_t buf[SEED_MAX];
};

/* Mixes seed into the kernel's input pool, credited as full entropy (the host
 * draws it from its CSPRNG) when RNDADDENTROPY is allowed, else only mixed in
 * through /dev/urandom; then makes the CRNG reseed from the pool now rather
 * than at its next scheduled reseed, so that two VMs restored from one
 * snapshot stop sharing a random stream at once. *credited: bits credited;
 * *reseeded: whether the CRNG reseeded. */
static int add_seed(const uint8_t *seed, size_t n, uint64_t *credited, bool *reseeded, struct cl_error *err)
{
	struct seed_info info = { .entropy_count = (int)(n * 8), .buf_size = (int)n };
	cleanup_close int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC | O_NOCTTY);

	*credited = 0;
	*reseeded = false;
	if (fd < 0)
		return cl_fail(err, errno, "sys.sync: open /dev/urandom");
	memcpy(info.buf, seed, n);
	if (ioctl(fd, CL_RNDADDENTROPY, &info) == 0) {
		*credited = n * 8;
	} else {
		struct iovec iov = { .iov_base = (void *)seed, .iov_len = n };

		if (cl_write_all(fd, &iov, 1, err) < 0)
			return cl_error_wrap(err, "sys.sync: write /dev/urandom");
	}
	/* ENODATA: the CRNG is not initialised yet (it then seeds from the pool
	 * on first use anyway). */
	if (ioctl(fd, CL_RNDRESEEDCRNG) == 0)
		*reseeded = true;
	explicit_bzero(info.buf, sizeof info.buf);
	return 0;
}

/* `sys.sync`: `time_ms` (unix ms) sets CLOCK_REALTIME; `seed` (1..512 bytes)
 * is fed to the kernel's random pool. Either may be absent. */
static int op_sync(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_attr seed, a;
	struct timespec now;
	uint64_t time_ms = 0, credited = 0;
	bool has_time = cl_attrs_get(&req->attrs, "time_ms", &a), has_seed, reseeded = false;
	int ret;

	if (has_time) {
		if (cl_arg_u64(&req->attrs, "sys.sync", "time_ms", 0, &time_ms, err) < 0)
			return cl_error_ret(err);
		if (time_ms == 0 || time_ms > (uint64_t)INT64_MAX / 1000000)
			return cl_fail_plain(err, EINVAL, "sys.sync: time_ms %" PRIu64 " out of range", time_ms);
	}
	has_seed = cl_attrs_get(&req->attrs, "seed", &seed);
	if (has_seed && (seed.vlen == 0 || seed.vlen > SEED_MAX))
		return cl_fail_plain(err, EINVAL, "sys.sync: seed must be 1..%d bytes, not %zu", SEED_MAX, seed.vlen);
	if (has_time) {
		struct timespec ts = { .tv_sec = (time_t)(time_ms / 1000), .tv_nsec = (long)(time_ms % 1000) * 1000000 };

		if (clock_settime(CLOCK_REALTIME, &ts) < 0)
			return cl_fail(err, errno, "sys.sync: clock_settime");
	}
	if (has_seed && add_seed(seed.val, seed.vlen, &credited, &reseeded, err) < 0)
		return cl_error_ret(err);
	if (has_seed)
		cl_netns_resume();
	clock_gettime(CLOCK_REALTIME, &now);
	if ((ret = cl_attrbuf_add_u64(resp, "time_ms",
				      (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000)) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "entropy_bits", credited)) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "reseeded", reseeded)) < 0)
		return cl_fail(err, -ret, "sys.sync: build response");
	return 0;
}

static uint64_t meminfo_kb(const char *field)
{
	struct cl_error e;
	uint64_t kb = 0;

	cl_sys_meminfo_kb(field, &kb, &e);
	return kb;
}

/* Memory left alone when zeroing, so nothing needs the OOM killer. */
#define ZERO_RESERVE_KB 4096
#define ZERO_CHUNK (1u << 20)

/* Fills (almost) all free memory with freshly zeroed pages and frees them
 * again: the kernel does not clear pages on free, so free memory still holds
 * whatever was there (the unpacked initramfs, the compressed kernel), which a
 * snapshot would carry; v86 leaves all-zero pages out of a saved state. Done
 * in a child that the OOM killer takes first. Returns the kB zeroed. */
static uint64_t zero_free_memory(void)
{
	int pipefd[2];
	uint64_t done = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return 0;
	}
	if (pid == 0) {
		uint64_t free_kb = meminfo_kb("MemFree"), kb = 0;
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "1000", 4) < 0)
				_exit(1);
			close(fd);
		}
		/* MAP_POPULATE write-faults every page of a private writable
		 * mapping: the kernel hands out pages it has just cleared. They are
		 * never unmapped here: _exit frees them all. */
		while (kb + ZERO_RESERVE_KB + ZERO_CHUNK / 1024 <= free_kb) {
			void *p = mmap(NULL, ZERO_CHUNK, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

			if (p == MAP_FAILED)
				break;
			kb += ZERO_CHUNK / 1024;
		}
		if (write(pipefd[1], &kb, sizeof kb) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	while (read(pipefd[0], &done, sizeof done) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return done;
}

/* `sys.snapshot_prepare`: the image build's last request before it saves the
 * VM's state. Writes back and drops the page cache, zeroes free memory unless
 * `zero` is 0, and then counts CREDIT from 0 again, as right after HELLO: a
 * host restoring the snapshot starts its counters at 0 without a HELLO, so it
 * must send nothing else before the save (PROTOCOL.md, "Snapshots"). */
static int op_snapshot_prepare(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	static const struct iovec three = { .iov_base = (void *)"3\n", .iov_len = 2 };
	cleanup_close int fd = -1;
	struct cl_attr a;
	uint64_t zeroed = 0;
	int ret;

	cl_netns_pause();
	cl_net_pause();
	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "sys.snapshot_prepare: open /proc/sys/vm/drop_caches");
	if (cl_write_all(fd, &three, 1, err) < 0)
		return cl_error_wrap(err, "sys.snapshot_prepare: drop caches");
	if (!cl_attrs_get(&req->attrs, "zero", &a) || cl_arg_bool(&req->attrs, "zero"))
		zeroed = zero_free_memory();
	if ((ret = cl_attrbuf_add_u64(resp, "zeroed_kb", zeroed)) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "free_kb", meminfo_kb("MemFree"))) < 0)
		return cl_fail(err, -ret, "sys.snapshot_prepare: build response");
	/* This request's bytes were read and credited before it was dispatched. */
	req->ch->bytes_read = 0;
	return 0;
}

/* `sys.exec`: runs a program in the VM itself (no namespaces, no cgroup, as
 * root, stdio on /dev/null) and answers its exit code once it has exited.
 * It is the floor a container start is measured against (`npm run bench`:
 * the same round trip, without what makes it a container). The daemon waits
 * for it, answering nothing else, so it is bounded by `timeout_ms`: at most
 * 10 s, well inside the host's watchdog (3 missed pings of 5 s). */
static int op_exec(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	cleanup_free char **argv = NULL;
	cleanup_close int pidfd = -1;
	uint64_t timeout_ms;
	size_t argc;
	int status, ret = 1;
	pid_t pid;

	if (cl_arg_strv(&req->attrs, "sys.exec", "arg", &argv, &argc, err) < 0 ||
	    cl_arg_u64(&req->attrs, "sys.exec", "timeout_ms", 5000, &timeout_ms, err) < 0)
		return cl_error_ret(err);
	if (argc == 0 || argv[0][0] != '/')
		return cl_fail_plain(err, EINVAL, "sys.exec: the first `arg` must be an absolute path");
	if (timeout_ms > 10000)
		timeout_ms = 10000;
	pid = fork();
	if (pid < 0)
		return cl_fail(err, errno, "sys.exec: fork");
	if (pid == 0) {
		static char *const env[] = { "PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		sigset_t none;

		/* What the daemon blocks and ignores is not the program's. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		execve(argv[0], argv, env);
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* A pidfd turns "exited, or timed out" into one poll. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		while ((ret = poll(&p, 1, (int)timeout_ms)) < 0 && errno == EINTR)
			;
		if (ret == 0)
			kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cl_fail(err, errno, "sys.exec: waitpid");
	if (ret == 0)
		return cl_fail_plain(err, ETIMEDOUT, "sys.exec: `%s` still running after %" PRIu64 " ms: killed",
				     argv[0], timeout_ms);
	if ((ret = cl_attrbuf_add_u64(resp, "exit_code",
				      WIFEXITED(status) ? (uint64_t)WEXITSTATUS(status)
							: 128u + (uint64_t)WTERMSIG(status))) < 0)
		return cl_fail(err, -ret, "sys.exec: build response");
	return 0;
}

const struct cl_op cl_sys_ops[] = {
	{ "sys.exec", op_exec },
	{ "sys.sync", op_sync },
	{ "sys.snapshot_prepare", op_snapshot_prepare },
	{ NULL, NULL },
};
