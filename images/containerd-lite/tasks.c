#include "tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cgroups.h"
#include "cleanup.h"
#include "fsutil.h"
#include "sha256.h"
#include "io.h"
#include "loop.h"
#include "mounts.h"
#include "netns.h"
#include "network.h"
#include "openat2.h"
#include "snapshots.h"
#include "users.h"

#define OUT_CHUNK 65536
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_STOP_TIMEOUT 10
#define MAX_MOUNTS 64
/* /etc/passwd and /etc/group: read whole in the child, refused past this. */
#define USERS_FILE_MAX (1 << 20)
/* A child's setup may take this long (then it is killed), well within the
 * host's watchdog (3 missed heartbeats, ~20 s); meanwhile an exec's process
 * is sent SIGCONT every SETUP_POLL_MS (tick). */
#define SETUP_TIMEOUT_MS 10000
#define SETUP_POLL_MS 20

struct setup;

struct cl_task {
	struct cl_container *c; /* NULL once the container is removed */
	bool is_exec, tty, in_eof, want_stdin;
	/* Non-NULL from the fork until the process exec'd (or setup failed). */
	struct setup *setup;
	/* A task.resize that came during setup, applied once the master is here. */
	struct winsize ws;
	uint32_t req; /* the run/exec request answered at exit; 0: detached */
	pid_t pid;
	int out_fd, err_fd; /* -1 once closed; with a tty out_fd is the master */
	int in_fd;          /* stdin pipe, or the master; -1: none */
	int master;         /* the pty master, -1 without a tty */
	/* The container's mount namespace, held so that its teardown (every
	 * unmount) runs after the exit is answered, not in the exit itself. */
	int mnt_ns;
	/* Main task only: the cgroup's oom_kill count when it started; the
	 * task.stop and SIGKILL task.kill requests answered at exit; the
	 * monotonic ms for SIGKILL after a task.stop (0: none). */
	uint64_t oom_base;
	uint32_t *stop_waiters;
	size_t nstop;
	/* A forced container.remove, answered (the container destroyed) at exit. */
	uint32_t remove_req;
	uint64_t kill_at;
	/* Stdin bytes the process has not taken yet: inq[inq_off..+inq_len),
	 * at most CL_STDIN_QUEUE; in_taken counts the bytes that left it
	 * (STREAM_CREDIT). */
	uint8_t *inq;
	size_t inq_off, inq_len, inq_cap;
	uint32_t in_taken;
	bool in_credit_due;
	struct cl_task *next;
};

/* A task between its fork and its exec. The setup (mounts, the user lookup
 * in the container's files, the tty) runs in the child, and the daemon does
 * not wait for it: the child's status pipe and, with a tty, the socket the
 * pty master comes over are watched in the loop with a deadline, so a slow
 * or hostile setup holds up no other request (as containerd answers `ps`
 * while one start hangs). */
struct setup {
	pid_t helper;         /* an exec's intermediate process; 0: none or reaped */
	int st_r, con_r;      /* the status pipe; the console socket (tty), or -1 */
	bool con_open, failed;
	struct cl_error cerr; /* why, once failed */
	bool killed;          /* failed: answered as a process SIGKILLed, not an error */
	uint64_t deadline;
	uint32_t start_req;   /* task.start: answered with the pid once set up */
	bool exited;          /* reaped before its setup ended: status */
	int status;
};

/* Exits reaped while an exec's setup had not yet named its process (its
 * MSG_PID can come after the process ended): claimed at MSG_PID. */
#define STRAYS_MAX 16
static struct {
	pid_t pid;
	int status;
} strays[STRAYS_MAX];
static int nstrays;

static struct cl_task *tasks;
static int ntasks;
static int sigchld_fd = -1;
static uint8_t out_buf[OUT_CHUNK];

pid_t cl_task_pid(const struct cl_task *t)
{
	return t->pid;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- output and stdin ---------------------------------------------------- */

static int emit(struct cl_task *t, uint8_t stream, const void *p, size_t n, struct cl_error *err)
{
	if (t->req && cl_channel_send_frame(cl_host, CL_STREAM, 0, stream, t->req, p, n, err) < 0)
		return cl_error_ret(err);
	if (!t->is_exec && t->c)
		return cl_container_output(t->c, stream, p, n, err);
	return 0;
}

static int on_task_fd(void *ctx, int fd, short rev, struct cl_error *err);

/* Keeps the watches in line with what the task still has open. Never adds
 * a watch the task did not hold since spawn() (which made sure of room for
 * TASK_WATCHES), so it cannot fail for want of room. */
static int rewatch(struct cl_task *t, struct cl_error *err)
{
	if (t->tty) {
		short ev = (short)((t->out_fd >= 0 ? POLLIN : 0) | (t->in_fd >= 0 && t->inq_len ? POLLOUT : 0));

		if (!ev) {
			cl_loop_unwatch(t->master);
			return 0;
		}
		return cl_loop_watch(t->master, ev, on_task_fd, t, err);
	}
	/* Watched with no events while the queue is empty: poll still reports
	 * POLLERR when the reader is gone. */
	if (t->in_fd >= 0)
		return cl_loop_watch(t->in_fd, t->inq_len ? POLLOUT : 0, on_task_fd, t, err);
	return 0;
}

/* n stdin bytes left the queue (to the process, or dropped): credit them. */
static void taken(struct cl_task *t, size_t n)
{
	if (!n)
		return;
	t->in_taken += (uint32_t)n;
	t->in_credit_due = true;
}

/* One STREAM_CREDIT with the running total, if it moved since the last. */
static int send_in_credit(struct cl_task *t, struct cl_error *err)
{
	uint8_t b[4];

	if (!t->req || !t->in_credit_due)
		return 0;
	t->in_credit_due = false;
	cl_put_u32(b, t->in_taken);
	return cl_channel_send_frame(cl_host, CL_STREAM_CREDIT, 0, 0, t->req, b, sizeof b, err);
}

/* The process's stdin is gone (EOF sent, reader gone, exit): what is still
 * queued is dropped, and credited so that the host's writer moves on. */
static void close_stdin(struct cl_task *t)
{
	if (t->in_fd < 0)
		return;
	if (!t->tty) {
		cl_loop_unwatch(t->in_fd);
		close(t->in_fd);
	}
	t->in_fd = -1;
	taken(t, t->inq_len);
	free(t->inq);
	t->inq = NULL;
	t->inq_off = t->inq_len = t->inq_cap = 0;
}

static void flush_stdin(struct cl_task *t)
{
	while (t->inq_len) {
		ssize_t w = write(t->in_fd, t->inq + t->inq_off, t->inq_len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			close_stdin(t); /* the reader is gone: drop the rest */
			return;
		}
		t->inq_off += (size_t)w;
		t->inq_len -= (size_t)w;
		taken(t, (size_t)w);
	}
	t->inq_off = 0;
	if (t->in_eof)
		close_stdin(t);
}

/* Queues n bytes behind what is queued, within CL_STDIN_QUEUE: the host
 * keeps at most that many un-credited, so only a host breaking the
 * protocol sees bytes dropped here (credited, so nothing wedges). */
static void enqueue_stdin(struct cl_task *t, const uint8_t *p, size_t n)
{
	size_t room = CL_STDIN_QUEUE - t->inq_len;

	if (n > room) {
		cl_log("request %" PRIu32 ": stdin over the %u-byte window: %zu bytes dropped", t->req,
		       CL_STDIN_QUEUE, n - room);
		taken(t, n - room);
		n = room;
	}
	if (!n)
		return;
	if (t->inq_off + t->inq_len + n > t->inq_cap && t->inq_off) {
		memmove(t->inq, t->inq + t->inq_off, t->inq_len);
		t->inq_off = 0;
	}
	if (t->inq_len + n > t->inq_cap) {
		size_t cap = t->inq_cap ? t->inq_cap : 16384;
		uint8_t *q;

		while (cap < t->inq_len + n)
			cap *= 2;
		if (cap > CL_STDIN_QUEUE)
			cap = CL_STDIN_QUEUE;
		q = realloc(t->inq, cap);
		if (!q) {
			cl_log("request %" PRIu32 ": stdin queue: out of memory: %zu bytes dropped", t->req, n);
			taken(t, n);
			return;
		}
		t->inq = q;
		t->inq_cap = cap;
	}
	memcpy(t->inq + t->inq_off + t->inq_len, p, n);
	t->inq_len += n;
}

/* Reads what fd has (all of it when final); closes it at EOF. */
static int drain(struct cl_task *t, int fd, bool final, struct cl_error *err)
{
	uint8_t stream = fd == t->err_fd && !t->tty ? 2 : 1;

	for (int i = 0; final || i < 4; i++) {
		ssize_t n = read(fd, out_buf, sizeof out_buf);

		if (n > 0) {
			if (emit(t, stream, out_buf, (size_t)n, err) < 0)
				return cl_error_ret(err);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		/* EOF, or EIO from a master whose slave side is all closed. */
		if (t->tty) {
			t->out_fd = -1;
			return rewatch(t, err);
		}
		cl_loop_unwatch(fd);
		close(fd);
		if (fd == t->out_fd)
			t->out_fd = -1;
		else
			t->err_fd = -1;
		return 0;
	}
	return 0;
}

static int on_task_fd(void *ctx, int fd, short rev, struct cl_error *err)
{
	struct cl_task *t = ctx;

	if ((rev & POLLOUT) && fd == t->in_fd) {
		flush_stdin(t);
		if (rewatch(t, err) < 0 || send_in_credit(t, err) < 0)
			return cl_error_ret(err);
	}
	if (!(rev & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if (fd == t->out_fd || fd == t->err_fd)
		return drain(t, fd, false, err);
	if (fd == t->in_fd) {
		close_stdin(t); /* POLLERR on a pipe's write end: no reader */
		return send_in_credit(t, err);
	}
	return 0;
}

int cl_tasks_on_stream(uint32_t id, uint16_t stream, const uint8_t *p, size_t n, struct cl_error *err)
{
	struct cl_task *t;

	for (t = tasks; t && t->req != id; t = t->next)
		;
	if (!t || stream != 0)
		return 0;
	if (t->setup) {
		/* Not exec'd yet: queued (within the window) until it is. */
		if (n == 0)
			t->in_eof = !t->tty;
		else if (t->want_stdin)
			enqueue_stdin(t, p, n);
		else
			taken(t, n);
		return send_in_credit(t, err);
	}
	if (n == 0) {
		/* EOF. A pty has no EOF of its own: the host sends ^D if it
		 * means one. */
		if (t->tty || t->in_fd < 0)
			return 0;
		t->in_eof = true;
		if (!t->inq_len)
			close_stdin(t);
		return send_in_credit(t, err);
	}
	if (t->in_fd < 0) {
		/* Nobody reads it any more: dropped, and credited. */
		taken(t, n);
		return send_in_credit(t, err);
	}
	if (!t->inq_len) {
		ssize_t w = write(t->in_fd, p, n);

		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			close_stdin(t);
			taken(t, n);
			return send_in_credit(t, err);
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			taken(t, (size_t)w);
		}
	}
	enqueue_stdin(t, p, n);
	if (rewatch(t, err) < 0)
		return cl_error_ret(err);
	return send_in_credit(t, err);
}

/* --- exit ----------------------------------------------------------------- */

static void task_free(struct cl_task *t)
{
	free(t->stop_waiters);
	free(t);
}

/* The exit path, in this order: drain what the process wrote, close the
 * task's fds, answer the stop waiters, record the exit in the container
 * (which answers its log followers), answer the run/exec request, drop the
 * mount namespace (its unmounts after the answer, so the host need not wait
 * for them), auto-remove (still before any next request is read, so `run
 * --rm` then `ps -a` never sees the container). */
static int finish(struct cl_task *t, int status, struct cl_error *err)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	struct cl_container *c = t->is_exec ? NULL : t->c;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	bool oom = false;
	int ret = 0;

	/* Everything the process wrote is in the pipes by now. */
	if (t->out_fd >= 0 && (ret = drain(t, t->out_fd, true, err)) < 0)
		return ret;
	if (t->err_fd >= 0 && (ret = drain(t, t->err_fd, true, err)) < 0)
		return ret;
	for (struct cl_task **p = &tasks; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			ntasks--;
			break;
		}
	close_stdin(t);
	if (t->out_fd >= 0 && !t->tty) {
		cl_loop_unwatch(t->out_fd);
		close(t->out_fd);
	}
	if (t->err_fd >= 0) {
		cl_loop_unwatch(t->err_fd);
		close(t->err_fd);
	}
	if (t->master >= 0) {
		cl_loop_unwatch(t->master);
		close(t->master);
	}
	if (c) {
		/* its addresses are free again, and the DNS socket no longer
		 * holds the namespace */
		cl_net_stop(c);
		oom = cl_cgroup_oom_kills(c->id) > t->oom_base;
		for (size_t i = 0; i < t->nstop && ret == 0; i++) {
			cleanup_attrbuf struct cl_attrbuf s = { 0 };

			if (cl_attrbuf_add_u64(&s, "exit_code", (uint64_t)code) == 0)
				ret = cl_reply(t->stop_waiters[i], &s, err);
		}
		t->nstop = 0;
		if (ret == 0)
			ret = cl_container_exited(c, code, oom, err);
		else {
			/* The channel failed (the daemon ends): the exit is
			 * recorded all the same, the first error reported. */
			struct cl_error e2;

			cl_container_exited(c, code, oom, &e2);
		}
	}
	if (ret == 0 && t->req) {
		if (cl_attrbuf_add_u64(&b, "exit_code", (uint64_t)code) < 0 ||
		    (!t->is_exec && cl_attrbuf_add_u64(&b, "oom", oom) < 0))
			ret = cl_fail(err, ENOMEM, "build exit response");
		else
			ret = cl_reply(t->req, &b, err);
	}
	if (t->mnt_ns >= 0)
		close(t->mnt_ns);
	if (ret == 0 && c && t->remove_req) {
		/* A forced remove waited for this exit (cl_task_remove_when_dead). */
		struct cl_error e2;

		if (cl_container_destroy(c, &e2) < 0)
			ret = cl_channel_send_error(cl_host, t->remove_req, &e2, err);
		else
			ret = cl_reply(t->remove_req, NULL, err);
	} else if (ret == 0 && c && !cl_container_auto_remove(c))
		cl_container_restart_due(c, mono_ms()); /* started by tick when due */
	task_free(t);
	return ret;
}

static int reaped(pid_t pid, int status, struct cl_error *err)
{
	bool naming = false;

	for (struct cl_task *t = tasks; t; t = t->next) {
		struct setup *s = t->setup;

		if (s && s->helper == pid) {
			s->helper = 0;
			return 0;
		}
		if (t->pid == pid) {
			if (!s)
				return finish(t, status, err);
			s->exited = true;
			s->status = status;
			return 0;
		}
		naming |= s && t->pid <= 0;
	}
	if (naming) {
		if (nstrays == STRAYS_MAX)
			memmove(strays, strays + 1, sizeof strays - sizeof *strays), nstrays--;
		strays[nstrays].pid = pid;
		strays[nstrays++].status = status;
	}
	return 0;
}

static int on_sigchld(void *ctx, int fd, short rev, struct cl_error *err)
{
	struct signalfd_siginfo si;

	(void)ctx;
	(void)rev;
	while (read(fd, &si, sizeof si) > 0)
		;
	for (;;) {
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);

		if (p <= 0)
			return 0;
		if (reaped(p, status, err) < 0)
			return cl_error_ret(err);
	}
}

int cl_task_remove_when_dead(struct cl_container *c, uint32_t req, struct cl_error *err)
{
	struct cl_task *t = c->task;

	if (t->remove_req)
		return cl_fail_plain(err, EBUSY, "removal of container %s is already in progress", c->id);
	if (kill(t->pid, SIGKILL) < 0 && errno != ESRCH)
		return cl_fail(err, errno, "kill %d", (int)t->pid);
	t->remove_req = req;
	return CL_OP_DEFERRED;
}

static int setup_end(struct cl_task *t, bool eof, struct cl_error *err);

/* Ends setup as failed: the child is killed, the request answered with why. */
static int setup_fail(struct cl_task *t, int code, const char *why, struct cl_error *err)
{
	if (!t->setup->failed) {
		t->setup->failed = true;
		cl_fail_plain(&t->setup->cerr, code, "%s", why);
	}
	return setup_end(t, false, err);
}

bool cl_task_starting(const struct cl_container *c)
{
	for (struct cl_task *t = tasks; t; t = t->next)
		if (t->setup && !t->is_exec && t->c == c)
			return true;
	return false;
}

void cl_tasks_detach(struct cl_container *c)
{
	struct cl_task *t;
	struct cl_error e;

again:
	for (t = tasks; t; t = t->next) {
		if (t->c != c)
			continue;
		if (t->setup) {
			/* Not started yet: it never will be. An exec's request is
			 * answered as if its process had run and been killed
			 * with the container (as an exec that had started is);
			 * a start fails. */
			t->setup->killed = t->is_exec;
			if (setup_fail(t, ECANCELED, "the container was removed during its start", &e) < 0)
				cl_log("%s", e.msg);
			goto again;
		}
		t->c = NULL;
	}
}

static int spawn(struct cl_container *c, const struct cl_attrs *a, bool is_exec, uint32_t req, uint32_t start_req,
		 struct cl_error *err);

/* Starts, detached, the containers whose restart policy's delay is over
 * (cl_container_restart_due set restart_at). A start that fails is logged
 * and ends the restarts: the container stays exited. */
static int restart_due(uint64_t now)
{
	for (struct cl_container *c = cl_containers; c; c = c->next) {
		struct cl_error e;

		if (!c->restart_at || c->restart_at > now || c->task || cl_task_starting(c))
			continue;
		c->restart_at = 0;
		if (spawn(c, &c->attrs, false, 0, 0, &e) < 0)
			cl_log("container %.12s: restart: %s", c->id, e.msg);
	}
	return 0;
}

static int next_deadline(void)
{
	uint64_t now = mono_ms(), best = UINT64_MAX;

	for (struct cl_task *t = tasks; t; t = t->next) {
		if (t->kill_at && t->kill_at < best)
			best = t->kill_at;
		if (t->setup && t->setup->deadline < best)
			best = t->setup->deadline;
		if (t->setup && t->is_exec && t->pid > 0 && now + SETUP_POLL_MS < best)
			best = now + SETUP_POLL_MS;
	}
	for (struct cl_container *c = cl_containers; c; c = c->next)
		if (c->restart_at && c->restart_at < best)
			best = c->restart_at;
	if (best == UINT64_MAX)
		return -1;
	return best <= now ? 0 : (int)(best - now);
}

static int tick(struct cl_error *err)
{
	uint64_t now = mono_ms();
	struct cl_task *t;

again:
	for (t = tasks; t; t = t->next) {
		if (t->setup && now >= t->setup->deadline) {
			char why[96];

			snprintf(why, sizeof why, "%s: setup did not finish within %d s: killed",
				 t->is_exec ? "exec" : "container start", SETUP_TIMEOUT_MS / 1000);
			if (setup_fail(t, ETIMEDOUT, why, err) < 0)
				return cl_error_ret(err);
			goto again; /* the list changed */
		}
		/* An exec's process is inside the container's pid namespace
		 * between its clone and its exec, where a SIGSTOP from the
		 * container can reach it. */
		if (t->setup && t->is_exec && t->pid > 0)
			kill(t->pid, SIGCONT);
		if (t->kill_at && t->kill_at <= now) {
			t->kill_at = 0;
			kill(t->pid, SIGKILL);
		}
	}
	return restart_due(now);
}

int cl_tasks_init(struct cl_error *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return cl_fail(err, errno, "block SIGCHLD");
	sigchld_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigchld_fd < 0)
		return cl_fail(err, errno, "signalfd");
	cl_loop_set_timer(next_deadline, tick);
	return cl_loop_watch(sigchld_fd, POLLIN, on_sigchld, NULL, err);
}

/* --- the child -------------------------------------------------------------- */

enum { MSG_PID = 1, MSG_ERROR = 2 };

struct status_msg {
	int32_t kind, code, pid;
	char msg[CL_ERROR_MSG_MAX];
};

struct child {
	bool is_exec, tty;
	int status_fd, console_fd, procs_fd;
	int stdio[3];
	int ns[5]; /* exec: ipc uts net pid mnt */
	int netns; /* container: a network namespace made ahead (netns.h), or -1 */
	bool host_net; /* container: `--network host`, the VM's namespace */
	struct cl_rootfs rootfs;
	const char *hostname, *cwd, *user;
	char **argv, **env;
};

static void send_status(int fd, int kind, int code, pid_t pid, const char *msg)
{
	struct status_msg m = { .kind = kind, .code = code, .pid = pid };

	snprintf(m.msg, sizeof m.msg, "%s", msg ? msg : "");
	/* Smaller than PIPE_BUF: one atomic write. */
	if (write(fd, &m, sizeof m) < 0)
		_exit(126);
}

__attribute__((noreturn)) static void child_fail(struct child *x, const struct cl_error *e)
{
	send_status(x->status_fd, MSG_ERROR, e->code, 0, e->msg);
	_exit(127);
}

/* The pty, opened inside the container's devpts so the process sees
 * /dev/pts/0 (both paths resolved inside the container's root: /dev is the
 * container's to change); the slave becomes stdio (and, in child_exec, the
 * controlling tty), the master goes to the daemon (runc's console socket). */
static int setup_tty(struct child *x, int root, struct cl_error *err)
{
	cleanup_close int master = -1, slave = -1;
	char path[64];
	struct stat st;
	int unlock = 0, n;

	master = cl_openat2(root, "/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK, CL_RESOLVE_IN_ROOT);
	if (master < 0)
		return cl_fail(err, errno, "open /dev/ptmx");
	if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode))
		return cl_fail_plain(err, ENOTTY, "open /dev/ptmx: not a character device");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		return cl_fail(err, errno, "unlock pty");
	snprintf(path, sizeof path, "/dev/pts/%d", n);
	slave = cl_openat2(root, path, O_RDWR | O_NOCTTY, CL_RESOLVE_IN_ROOT);
	if (slave < 0)
		return cl_fail(err, errno, "open `%s`", path);
	if (!isatty(slave))
		return cl_fail_plain(err, ENOTTY, "open `%s`: not a terminal", path);
	if (!x->is_exec) {
		int fd = open("/dev/console", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0)
			close(fd);
		if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return cl_fail(err, errno, "bind `%s` on /dev/console", path);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return cl_fail(err, errno, "dup2 pty slave");
	if (fcntl(master, F_SETFL, O_RDWR) < 0)
		return cl_fail(err, errno, "pty master");
	return cl_send_fd(x->console_fd, master, err);
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static void do_exec(char **argv, char **env, struct cl_error *err)
{
	const char *file = argv[0], *path;
	char buf[CL_PATH_MAX];
	bool eacces = false;

	if (strchr(file, '/')) {
		execve(file, argv, env);
		if (errno == ENOENT)
			cl_fail_plain(err, ENOENT, "exec: \"%s\": stat %s: no such file or directory", file, file);
		else if (errno == EACCES)
			cl_fail_plain(err, EACCES, "exec: \"%s\": permission denied", file);
		else
			cl_fail(err, errno, "exec: \"%s\"", file);
		return;
	}
	path = env_get(env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (const char *p = *file ? path : ""; *p || p == path;) {
		size_t n = strcspn(p, ":");

		if (n + strlen(file) + 2 < sizeof buf) {
			if (n)
				snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, file);
			else
				snprintf(buf, sizeof buf, "%s", file);
			execve(buf, argv, env);
			if (errno == EACCES)
				eacces = true;
			else if (errno != ENOENT && errno != ENOTDIR) {
				cl_fail(err, errno, "exec: \"%s\"", file);
				return;
			}
		}
		p += n;
		if (!*p)
			break;
		p++;
	}
	if (eacces)
		cl_fail_plain(err, EACCES, "exec: \"%s\": permission denied", file);
	else
		cl_fail_plain(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

static void close_from(int lo)
{
	if (syscall(SYS_close_range, lo, ~0u, 0) == 0)
		return;
	for (int fd = lo; fd < 1024; fd++)
		close(fd);
}

/* Capabilities a container keeps: Docker's defaults (moby's
 * oci/caps/defaults.go) less CAP_MKNOD. Docker pairs MKNOD with a device
 * cgroup; this kernel has none (no BPF), so a node made in the container
 * would open any device of the VM, the host channel /dev/hvc1 included.
 * Without CAP_SYS_ADMIN the container cannot undo the masks, remount
 * /proc/sys or mount anything; without CAP_DAC_READ_SEARCH no
 * open_by_handle_at escape. */
static const int keep_caps[] = {
	0 /* CHOWN */, 1 /* DAC_OVERRIDE */, 3 /* FOWNER */, 4 /* FSETID */, 5 /* KILL */, 6 /* SETGID */,
	7 /* SETUID */, 8 /* SETPCAP */, 10 /* NET_BIND_SERVICE */, 13 /* NET_RAW */, 18 /* SYS_CHROOT */,
	29 /* AUDIT_WRITE */, 31 /* SETFCAP */,
};

/* <linux/capability.h>'s v3 ABI (musl ships no kernel headers). */
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
#define CAP_V3 0x20080522

/* Drops the bounding set to keep_caps (what root gets at exec) and clears
 * the inheritable and ambient sets, which would otherwise be added. Our own
 * effective set is untouched: setuid and the rest still work until exec. */
static int drop_caps(struct cl_error *err)
{
	struct cap_header h = { .version = CAP_V3 };
	struct cap_data d[2];

	for (int cap = 0; cap < 64; cap++) {
		bool keep = false;

		for (size_t i = 0; i < sizeof keep_caps / sizeof *keep_caps; i++)
			keep |= keep_caps[i] == cap;
		if (keep)
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return cl_fail(err, errno, "drop capability %d", cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return cl_fail(err, errno, "clear ambient capabilities");
	if (syscall(SYS_capget, &h, d) < 0)
		return cl_fail(err, errno, "capget");
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) < 0)
		return cl_fail(err, errno, "capset");
	return 0;
}

/* Before the child touches anything the container controls: every fd of
 * the daemon it inherited is closed but stdio, the status pipe (moved to 3)
 * and, with a tty, the console socket (moved to 4). A link to
 * /proc/self/fd/N in the container then finds nothing of the daemon's. */
static void keep_child_fds(struct child *x)
{
	struct cl_error err = { 0 };
	int st = fcntl(x->status_fd, F_DUPFD_CLOEXEC, 5);
	int con = x->tty ? fcntl(x->console_fd, F_DUPFD_CLOEXEC, 5) : -1;

	if (st < 0 || (x->tty && con < 0))
		cl_fail(&err, errno, "dup"), child_fail(x, &err);
	if (dup3(st, 3, O_CLOEXEC) < 0)
		cl_fail(&err, errno, "dup3"), child_fail(x, &err);
	x->status_fd = 3;
	if (x->tty) {
		if (dup3(con, 4, O_CLOEXEC) < 0)
			cl_fail(&err, errno, "dup3"), child_fail(x, &err);
		x->console_fd = 4;
	}
	close_from(x->tty ? 5 : 4);
}

/* The user's passwd and group files, read confined to the container's root
 * (cl_read_in_root: no FIFO, device, magic link or huge file), resolved as
 * runc does. A bad file is the user's error, naming the file. */
static void resolve_user(struct child *x, int root, struct cl_user *u)
{
	struct cl_error err = { 0 };
	cleanup_free char *passwd = NULL, *group = NULL;
	int n = (int)strcspn(x->user, ":");

	if (cl_read_in_root(root, "/etc/passwd", USERS_FILE_MAX, &passwd, &err) < 0 ||
	    cl_read_in_root(root, "/etc/group", USERS_FILE_MAX, &group, &err) < 0) {
		cl_error_wrap(&err, "unable to find user %.*s", n ? n : 4, n ? x->user : "root");
		child_fail(x, &err);
	}
	if (cl_user_resolve(x->user, passwd, group, u, &err) < 0)
		child_fail(x, &err);
}

/* Everything of the start or exec that needs privilege or looks at the
 * container's files, holding only the fds the child needs: tty, user, HOME,
 * cwd, capabilities, uid/gid. Runs in the process that will exec (main
 * task: the namespace's init, which nothing in the container can signal)
 * or, for an exec, in the intermediate process that joined the namespaces
 * but is not in the container's pid namespace (invisible to it). Returns
 * the environment to exec with. */
static char **child_setup(struct child *x)
{
	struct cl_error err = { 0 };
	cleanup_close int root = -1;
	struct cl_user u;
	char **env = x->env;
	size_t n = 0;
	const char *cwd = x->cwd[0] ? x->cwd : "/";

	keep_child_fds(x);
	/* "/" is the container's: after pivot_root, or setns into its mount
	 * namespace. */
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		cl_fail(&err, errno, "open /"), child_fail(x, &err);
	if (x->tty) {
		if (setup_tty(x, root, &err) < 0)
			child_fail(x, &err);
		close(x->console_fd);
		x->console_fd = -1;
	}
	resolve_user(x, root, &u);
	if (!env_get(env, "HOME")) {
		/* Docker sets HOME from passwd when the config has none. */
		char **e;
		char *home = malloc(strlen(u.home) + 6);

		while (env[n])
			n++;
		e = malloc((n + 2) * sizeof *e);
		if (!e || !home)
			cl_fail(&err, ENOMEM, "env"), child_fail(x, &err);
		memcpy(e, env, n * sizeof *e);
		sprintf(home, "HOME=%s", u.home);
		e[n] = home;
		e[n + 1] = NULL;
		env = e;
	}
	if (!x->is_exec && cl_mkdir_p(cwd, 0755, &err) < 0)
		child_fail(x, &err);
	if (drop_caps(&err) < 0)
		child_fail(x, &err);
	if (setgroups(u.ngroups, u.groups) < 0 || setgid(u.gid) < 0 || setuid(u.uid) < 0)
		cl_fail(&err, errno, "set user `%s`", x->user), child_fail(x, &err);
	if (chdir(cwd) < 0)
		cl_fail(&err, errno, "chdir to cwd (\"%s\") set in config.json failed", cwd), child_fail(x, &err);
	return env;
}

/* The process that becomes the container's: a new session (and the tty as
 * its controlling terminal), signals as at exec (every disposition default,
 * nothing pending, nothing blocked), exec. For an exec this is the only
 * part that runs inside the container's pid namespace: signals sent to it
 * meanwhile were blocked and are dropped here; SIGSTOP cannot be blocked,
 * the daemon continues it until it exec'd (tick). Fds: stdio and the
 * status pipe (3, CLOEXEC). Never returns. */
__attribute__((noreturn)) static void child_exec(struct child *x, char **env)
{
	struct cl_error err = { 0 };
	sigset_t none;

	if (setsid() < 0)
		cl_fail(&err, errno, "setsid"), child_fail(x, &err);
	if (x->tty && ioctl(0, TIOCSCTTY, 0) < 0)
		cl_fail(&err, errno, "TIOCSCTTY"), child_fail(x, &err);
	/* Ignoring a signal discards it if pending. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP) {
			signal(sig, SIG_IGN);
			signal(sig, SIG_DFL);
		}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	do_exec(x->argv, env, &err);
	child_fail(x, &err);
}

__attribute__((noreturn)) static void child_main(struct child *x)
{
	struct cl_error err = { 0 };
	sigset_t all;

	/* Every signal blocked until child_exec: what the container sends
	 * the setup meanwhile is dropped there. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int i = 0; i < 3; i++) {
		if (x->stdio[i] < 0)
			continue;
		if (x->stdio[i] == i ? fcntl(i, F_SETFD, 0) < 0 : dup2(x->stdio[i], i) < 0)
			cl_fail(&err, errno, "stdio"), child_fail(x, &err);
	}
	/* Into the cgroup before anything else runs (and before exec). */
	if (write(x->procs_fd, "0", 1) != 1)
		cl_fail(&err, errno, "join cgroup"), child_fail(x, &err);
	/* The daemon's -1000 is inherited: a container at -1000 could never
	 * be OOM-killed, and its cgroup would hang at memory.max instead. */
	{
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			cl_fail(&err, errno, "reset oom_score_adj"), child_fail(x, &err);
		close(fd);
	}
	/* Every disposition back to default, as runc does: ignored ones
	 * survive exec, and the daemon inherits SIGINT/SIGQUIT ignored from
	 * /init's background subshell, so Ctrl-C would never reach a
	 * container's process otherwise. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (x->is_exec) {
		static const int types[5] = { CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS };
		char **env;
		pid_t pid;

		for (int i = 0; i < 5; i++)
			if (setns(x->ns[i], types[i]) < 0)
				cl_fail(&err, errno, "setns"), child_fail(x, &err);
		/* Set up here, outside the container's pid namespace (nothing
		 * in it can see or signal this process)... */
		env = child_setup(x);
		/* ...then fork into it (joining a pid namespace applies to
		 * children), as the daemon's child (CLONE_PARENT) so it reaps
		 * it, and exec at once. */
		pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (pid < 0)
			cl_fail(&err, errno, "clone"), child_fail(x, &err);
		if (pid == 0)
			child_exec(x, env);
		send_status(x->status_fd, MSG_PID, 0, pid, NULL);
		_exit(0);
	}
	/* First: sysfs, mounted below, shows the mounter's namespace. */
	if (x->netns >= 0 && setns(x->netns, CLONE_NEWNET) < 0)
		cl_fail(&err, errno, "join network namespace"), child_fail(x, &err);
	if (x->netns < 0 && !x->host_net && cl_loopback_up(&err) < 0)
		child_fail(x, &err);
	if (cl_rootfs_setup(&x->rootfs, &err) < 0)
		child_fail(x, &err);
	if (sethostname(x->hostname, strlen(x->hostname)) < 0)
		cl_fail(&err, errno, "sethostname"), child_fail(x, &err);
	child_exec(x, child_setup(x));
}

/* --- spawning ------------------------------------------------------------------ */

/* Closes fd now (a child's end once the child has it); -1 after. */
static void drop_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int make_pipe(int *r, int *w, struct cl_error *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return cl_fail(err, errno, "pipe");
	*r = p[0];
	*w = p[1];
	return 0;
}

/* A tmpfs mount's flags (noexec, nosuid, nodev: 1 unless the attr says 0)
 * and data (size, mode, uid, gid, nr_inodes), each value checked so that
 * nothing but its number reaches the kernel's option string. */
static int tmpfs_options(const struct cl_attrs *m, struct cl_mount *o, char *data, size_t size, struct cl_error *err)
{
	static const char *const keys[] = { "size", "mode", "uid", "gid", "nr_inodes" };
	uint64_t noexec, nosuid, nodev;
	size_t used = 0;

	if (cl_arg_u64(m, "mount", "noexec", 1, &noexec, err) < 0 ||
	    cl_arg_u64(m, "mount", "nosuid", 1, &nosuid, err) < 0 ||
	    cl_arg_u64(m, "mount", "nodev", 1, &nodev, err) < 0)
		return cl_error_ret(err);
	o->exec = !noexec;
	o->suid = !nosuid;
	o->dev = !nodev;
	data[0] = '\0';
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		char v[24];
		size_t n;
		bool octal = strcmp(keys[i], "mode") == 0, unit = !octal && keys[i][0] != 'u' && keys[i][0] != 'g';

		if (cl_arg_str(m, "mount", keys[i], "", v, sizeof v, err) < 0)
			return cl_error_ret(err);
		if (!v[0])
			continue;
		n = strspn(v, octal ? "01234567" : "0123456789");
		if (n == 0 || (v[n] && !(unit && strchr("kKmMgG%", v[n]) && !v[n + 1] &&
					 (v[n] != '%' || keys[i][0] == 's'))))
			return cl_fail_plain(err, EINVAL, "invalid tmpfs option: %s=%s", keys[i], v);
		n = (size_t)snprintf(data + used, size - used, ",%s=%s", keys[i], v);
		if (n >= size - used)
			return cl_fail_plain(err, E2BIG, "tmpfs options too long");
		used += n;
	}
	return 0;
}

static int build_mounts(const struct cl_attrs *spec, struct cl_mount *out, size_t *n, char *strs, size_t strs_size,
			struct cl_error *err)
{
	struct cl_attr a;
	size_t pos = 0, used = 0;

	*n = 0;
	while (cl_attrs_next(spec, &pos, &a) == 1) {
		struct cl_attrs m;
		char type[16], src[CL_PATH_MAX], tgt[CL_PATH_MAX], tmpdata[160];
		struct cl_mount *o;
		size_t sl, tl;

		if (!cl_attr_is(&a, "mount") || cl_attrs_parse(&m, a.val, a.vlen) < 0)
			continue;
		if (*n == MAX_MOUNTS)
			return cl_fail_plain(err, E2BIG, "more than %d mounts", MAX_MOUNTS);
		if (cl_arg_str(&m, "mount", "type", NULL, type, sizeof type, err) < 0 ||
		    cl_arg_str(&m, "mount", "source", "", src, sizeof src, err) < 0 ||
		    cl_arg_str(&m, "mount", "target", NULL, tgt, sizeof tgt, err) < 0)
			return cl_error_ret(err);
		o = &out[(*n)++];
		o->ro = cl_arg_bool(&m, "ro");
		if (strcmp(type, "volume") == 0) {
			char vol[CL_PATH_MAX];

			/* Volumes come into being on first use. */
			if (cl_path(vol, sizeof vol, err, "%s/volumes/%s", cl_state_root, src) < 0 ||
			    cl_mkdir_p(vol, 0755, err) < 0)
				return cl_error_ret(err);
			snprintf(src, sizeof src, "%s", vol);
			o->type = CL_MOUNT_VOLUME;
		} else
			o->type = strcmp(type, "bind") == 0 ? CL_MOUNT_BIND : CL_MOUNT_TMPFS;
		if (o->type == CL_MOUNT_TMPFS) {
			char *data;
			size_t dl;

			if (tmpfs_options(&m, o, tmpdata, sizeof tmpdata, err) < 0)
				return cl_error_ret(err);
			dl = strlen(tmpdata) + 1;
			if (used + dl > strs_size)
				return cl_fail_plain(err, E2BIG, "mount options too long");
			data = memcpy(strs + used, tmpdata, dl);
			o->data = data;
			used += dl;
		}
		sl = strlen(src) + 1;
		tl = strlen(tgt) + 1;
		if (used + sl + tl > strs_size)
			return cl_fail_plain(err, E2BIG, "mount paths too long");
		o->source = memcpy(strs + used, src, sl);
		used += sl;
		o->target = memcpy(strs + used, tgt, tl);
		used += tl;
	}
	return 0;
}

/* The task's stdio: with a tty a socket the child sends the pty master
 * over (con_w is the child's end); else pipes for stdout and stderr, and
 * for stdin a pipe (want_stdin) or /dev/null. The daemon keeps out_r,
 * err_r, in_w and con_r; the child gets in_r, out_w, err_w and con_w. Every
 * fd is the caller's (cleanup_close variables), set only once made. */
static int prepare_stdio(bool tty, bool want_stdin, int *in_r, int *in_w, int *out_r, int *out_w, int *err_r,
			 int *err_w, int *con_r, int *con_w, struct cl_error *err)
{
	if (tty) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return cl_fail(err, errno, "socketpair");
		*con_r = sv[0];
		*con_w = sv[1];
		return 0;
	}
	if (make_pipe(out_r, out_w, err) < 0 || make_pipe(err_r, err_w, err) < 0)
		return cl_error_ret(err);
	if (want_stdin)
		return make_pipe(in_r, in_w, err);
	*in_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (*in_r < 0)
		return cl_fail(err, errno, "open /dev/null");
	return 0;
}

/* Forks the child: a plain fork for an exec (it joins the namespaces
 * itself), a clone into new namespaces for the main task. For the main
 * task *mnt_ns gets its mount namespace, opened now, while the child sets
 * up: a child that already exited has none. */
static int start_child(struct child *x, pid_t *pid_out, int *mnt_ns, struct cl_error *err)
{
	pid_t pid;

	if (x->is_exec)
		pid = fork();
	else
		pid = (pid_t)syscall(SYS_clone,
				     CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
					     (x->netns < 0 && !x->host_net ? CLONE_NEWNET : 0) | SIGCHLD,
				     0, 0, 0, 0);
	if (pid == 0)
		child_main(x);
	if (pid < 0)
		return cl_fail(err, errno, "clone");
	*pid_out = pid;
	if (!x->is_exec) {
		char p[40];

		snprintf(p, sizeof p, "/proc/%d/ns/mnt", (int)pid);
		*mnt_ns = open(p, O_RDONLY | O_CLOEXEC);
	}
	return 0;
}

static void kill_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The task's process: an exec's process was named by its MSG_PID, which
 * may come after it was already reaped (strays). */
static void named(struct cl_task *t, pid_t pid)
{
	t->pid = pid;
	for (int i = 0; i < nstrays; i++)
		if (strays[i].pid == pid) {
			t->setup->exited = true;
			t->setup->status = strays[i].status;
			strays[i] = strays[--nstrays];
			return;
		}
}

static void unlink_task(struct cl_task *t)
{
	for (struct cl_task **p = &tasks; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			ntasks--;
			return;
		}
}

/* The end of a setup: its status pipe's EOF (eof: the process exec'd, or
 * the child died), its deadline, or its container going away. The pty
 * master, sent before the exec, is taken if still queued; an exec's
 * intermediate is reaped. A failed setup kills the child and answers the
 * request with why; a good one makes the task a running one (its output
 * watched, queued stdin written, task.start answered with the pid) — and
 * finishes it at once if its process already exited. */
static int setup_end(struct cl_task *t, bool eof, struct cl_error *err)
{
	struct setup *s = t->setup;
	uint32_t answer = s->start_req ? s->start_req : t->req;
	int ret = 0;

	if (eof && s->con_open && t->master < 0) {
		struct pollfd p = { .fd = s->con_r, .events = POLLIN };

		if (poll(&p, 1, 0) == 1)
			cl_recv_fd(s->con_r, &t->master);
	}
	cl_loop_unwatch(s->st_r);
	close(s->st_r);
	if (s->con_r >= 0) {
		cl_loop_unwatch(s->con_r);
		close(s->con_r);
	}
	if (s->helper > 0) {
		/* An exec's intermediate: gone once the pipe ended. */
		if (!eof)
			kill(s->helper, SIGKILL);
		while (waitpid(s->helper, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (!s->failed && (t->pid <= 0 || (t->tty && t->master < 0))) {
		s->failed = true;
		cl_fail_plain(&s->cerr, EIO, "the container process died during setup");
	}
	{
		bool naming = false;

		for (struct cl_task *o = tasks; o; o = o->next)
			naming |= o != t && o->setup && o->pid <= 0;
		if (!naming)
			nstrays = 0; /* no one waits for a MSG_PID any more */
	}
	t->setup = NULL;
	if (s->failed) {
		if (t->pid > 0 && !s->exited)
			kill_reap(t->pid);
		/* a main task that did not start holds no address */
		if (!t->is_exec && t->c)
			cl_net_stop(t->c);
		unlink_task(t);
		close_stdin(t);
		if (t->out_fd >= 0 && t->out_fd != t->master)
			close(t->out_fd);
		if (t->err_fd >= 0)
			close(t->err_fd);
		if (t->master >= 0)
			close(t->master);
		if (t->mnt_ns >= 0)
			close(t->mnt_ns);
		if (answer && s->killed) {
			cleanup_attrbuf struct cl_attrbuf b = { 0 };

			if (cl_attrbuf_add_u64(&b, "exit_code", 128 + SIGKILL) < 0)
				ret = cl_fail(err, ENOMEM, "build exit response");
			else
				ret = cl_reply(answer, &b, err);
		} else if (answer)
			ret = cl_channel_send_error(cl_host, answer, &s->cerr, err);
		free(s);
		task_free(t);
		return ret;
	}
	if (t->tty) {
		t->out_fd = t->master;
		t->in_fd = t->want_stdin ? t->master : -1;
		if (t->ws.ws_row)
			ioctl(t->master, TIOCSWINSZ, &t->ws);
	}
	if (!t->is_exec)
		cl_container_started(t->c, t);
	for (int i = 0; i < 3 && ret == 0; i++) {
		int fd = i == 0 ? t->out_fd : i == 1 ? t->err_fd : t->in_fd;

		if (fd >= 0)
			ret = cl_set_nonblock(fd, err);
	}
	if (ret == 0 && t->out_fd >= 0)
		ret = cl_loop_watch(t->out_fd, POLLIN, on_task_fd, t, err);
	if (ret == 0 && t->err_fd >= 0)
		ret = cl_loop_watch(t->err_fd, POLLIN, on_task_fd, t, err);
	/* A pipe's write end: no events until stdin is queued (rewatch). */
	if (ret == 0 && !t->tty && t->in_fd >= 0)
		ret = cl_loop_watch(t->in_fd, 0, on_task_fd, t, err);
	if (ret == 0 && t->in_fd >= 0) {
		flush_stdin(t);
		ret = rewatch(t, err);
	}
	if (ret == 0)
		ret = send_in_credit(t, err);
	if (ret == 0 && s->start_req) {
		cleanup_attrbuf struct cl_attrbuf b = { 0 };

		if (cl_attrbuf_add_u64(&b, "pid", (uint64_t)t->pid) < 0)
			ret = cl_fail(err, ENOMEM, "task.start: build response");
		else
			ret = cl_reply(s->start_req, &b, err);
	}
	if (ret == 0 && s->exited)
		ret = finish(t, s->status, err);
	free(s);
	return ret;
}

/* The child's status pipe (its messages, then EOF) or, with a tty, the
 * socket the pty master comes over. */
static int on_setup_fd(void *ctx, int fd, short rev, struct cl_error *err)
{
	struct cl_task *t = ctx;
	struct setup *s = t->setup;
	struct status_msg msg;

	(void)rev;
	if (fd == s->con_r) {
		if (cl_recv_fd(s->con_r, &t->master) <= 0)
			s->con_open = false;
		cl_loop_unwatch(s->con_r);
		return 0;
	}
	for (;;) {
		ssize_t n = read(s->st_r, &msg, sizeof msg);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n != (ssize_t)sizeof msg)
			break; /* EOF: messages are written whole (< PIPE_BUF) */
		if (msg.kind == MSG_PID && t->is_exec && t->pid <= 0)
			named(t, msg.pid);
		else if (msg.kind == MSG_ERROR && !s->failed) {
			s->failed = true;
			msg.msg[sizeof msg.msg - 1] = '\0';
			cl_fail_plain(&s->cerr, msg.code, "%s", msg.msg);
		}
	}
	return setup_end(t, true, err);
}

/* A task: the main one (is_exec false, attrs the container's) or an exec
 * (attrs the request's). Prepares the child's description and fds and
 * starts it; its setup ends in the loop (setup_end), which answers
 * start_req (task.start) or, on failure, req. Each fd is a cleanup_close
 * variable until the task or the child owns it. */
static int spawn_task(struct cl_container *c, const struct cl_attrs *a, bool is_exec, uint32_t req,
		      uint32_t start_req, struct cl_error *err)
{
	cleanup_free char **argv = NULL, **env = NULL;
	cleanup_free char *lower = NULL, *strs = NULL;
	cleanup_free struct cl_mount *mounts = NULL;
	/* The container's: its cgroup.procs, a network namespace made ahead,
	 * its namespaces for an exec, the main task's mount namespace. */
	cleanup_close int procs = -1, netns = -1, mnt_ns = -1;
	cleanup_close int ns_ipc = -1, ns_uts = -1, ns_net = -1, ns_pid = -1, ns_mnt = -1;
	/* The child's setup status; stdio (prepare_stdio); the pty master. */
	cleanup_close int st_r = -1, st_w = -1;
	cleanup_close int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
	cleanup_close int con_r = -1, con_w = -1, master = -1;
	char user[256], cwd[CL_PATH_MAX], hostname[65], snap[CL_DIGEST_STR_LEN + 1];
	char rootfs[CL_PATH_MAX], upper[CL_PATH_MAX], work[CL_PATH_MAX];
	struct child x = { .is_exec = is_exec, .netns = -1 };
	uint64_t memory, pids, oom_base = 0;
	size_t argc;
	pid_t pid = -1;
	bool want_stdin = cl_arg_bool(a, "stdin") && req;
	/* Made before the fork, so that nothing after it can fail for memory. */
	cleanup_free struct cl_task *t_new = calloc(1, sizeof *t_new);
	cleanup_free struct setup *s_new = calloc(1, sizeof *s_new);
	struct cl_task *t = t_new;
	struct setup *s = s_new;

	/* Bounded, with a clear error: a full watch table would otherwise
	 * fail a running task's watch later, and the daemon with it. */
	if (ntasks >= CL_TASKS_MAX || cl_loop_count() + CL_TASK_WATCHES > CL_LOOP_MAX)
		return cl_fail_plain(err, EAGAIN,
				     "cannot start another process: the daemon serves at most %d at once (%d running)",
				     CL_TASKS_MAX, ntasks);
	if (!t || !s)
		return cl_fail(err, ENOMEM, "task");
	x.tty = cl_arg_bool(a, "tty");
	if (cl_arg_strv(a, "task", "arg", &argv, &argc, err) < 0 || cl_arg_strv(a, "task", "env", &env, NULL, err) < 0)
		return cl_error_ret(err);
	if (argc == 0)
		return cl_fail_plain(err, EINVAL, "No command specified");
	/* An exec defaults to the container's user and working dir. */
	if (cl_arg_str(&c->attrs, "task", "user", "", user, sizeof user, err) < 0 ||
	    cl_arg_str(&c->attrs, "task", "cwd", "", cwd, sizeof cwd, err) < 0 ||
	    (is_exec && (cl_arg_str(a, "exec", "user", user, user, sizeof user, err) < 0 ||
			 cl_arg_str(a, "exec", "cwd", cwd, cwd, sizeof cwd, err) < 0)))
		return cl_error_ret(err);
	x.argv = argv;
	x.env = env;
	x.user = user;
	x.cwd = cwd;

	if (!is_exec) {
		char def[13];

		snprintf(def, sizeof def, "%.12s", c->id);
		lower = malloc(CL_PATH_MAX);
		/* and /etc/hosts, /etc/resolv.conf, /etc/hostname (network.h) */
		mounts = calloc(MAX_MOUNTS + 3, sizeof *mounts);
		strs = malloc(64 * 1024);
		if (!lower || !mounts || !strs)
			return cl_fail(err, ENOMEM, "task");
		if (cl_arg_str(&c->attrs, "task", "hostname", "", hostname, sizeof hostname, err) < 0 ||
		    cl_arg_str(&c->attrs, "task", "snapshot", NULL, snap, sizeof snap, err) < 0 ||
		    cl_arg_u64(&c->attrs, "task", "memory", 0, &memory, err) < 0 ||
		    cl_arg_u64(&c->attrs, "task", "pids", 0, &pids, err) < 0 ||
		    cl_snapshot_lowerdir(snap, lower, CL_PATH_MAX, err) < 0 ||
		    build_mounts(&c->attrs, mounts, &x.rootfs.nmounts, strs, 64 * 1024, err) < 0 ||
		    cl_path(rootfs, sizeof rootfs, err, "%s/containers/%s/rootfs", cl_state_root, c->id) < 0 ||
		    cl_container_rw(c, upper, work, sizeof upper, err) < 0)
			return cl_error_ret(err);
		x.hostname = hostname[0] ? hostname : def;
		x.rootfs = (struct cl_rootfs){ .rootfs = rootfs, .lowerdir = lower, .upper = upper, .work = work,
					       .mounts = mounts, .nmounts = x.rootfs.nmounts };
		if (cl_cgroup_create(c->id, memory, pids, &procs, err) < 0 ||
		    cl_net_start(c, x.hostname, &netns, &x.host_net, mounts, &x.rootfs.nmounts, err) < 0)
			return cl_error_ret(err);
		if (netns < 0 && !x.host_net)
			netns = cl_netns_take();
		oom_base = cl_cgroup_oom_kills(c->id);
	} else {
		int *ns[5] = { &ns_ipc, &ns_uts, &ns_net, &ns_pid, &ns_mnt };
		static const char *const names[5] = { "ipc", "uts", "net", "pid", "mnt" };
		char p[64];

		if (cl_cgroup_open_procs(c->id, &procs, err) < 0)
			return cl_error_ret(err);
		for (int i = 0; i < 5; i++) {
			snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)c->task->pid, names[i]);
			*ns[i] = open(p, O_RDONLY | O_CLOEXEC);
			if (*ns[i] < 0)
				return cl_fail(err, errno, "open `%s`", p);
		}
	}
	if (make_pipe(&st_r, &st_w, err) < 0 || cl_set_nonblock(st_r, err) < 0 ||
	    prepare_stdio(x.tty, want_stdin, &in_r, &in_w, &out_r, &out_w, &err_r, &err_w, &con_r, &con_w, err) < 0)
		return cl_error_ret(err);

	x.procs_fd = procs;
	x.netns = netns;
	x.ns[0] = ns_ipc, x.ns[1] = ns_uts, x.ns[2] = ns_net, x.ns[3] = ns_pid, x.ns[4] = ns_mnt;
	x.status_fd = st_w;
	x.console_fd = con_w;
	x.stdio[0] = in_r, x.stdio[1] = out_w, x.stdio[2] = err_w;
	if (start_child(&x, &pid, &mnt_ns, err) < 0)
		return cl_error_ret(err);
	/* The child has its ends: closed here, so that its exec or death is
	 * the status pipe's EOF. */
	drop_fd(&st_w), drop_fd(&con_w), drop_fd(&in_r), drop_fd(&out_w), drop_fd(&err_w);
	drop_fd(&procs), drop_fd(&netns);
	drop_fd(&ns_ipc), drop_fd(&ns_uts), drop_fd(&ns_net), drop_fd(&ns_pid), drop_fd(&ns_mnt);

	*s = (struct setup){ .helper = is_exec ? pid : 0, .st_r = cl_steal_fd(&st_r), .con_r = cl_steal_fd(&con_r),
			     .con_open = x.tty, .deadline = mono_ms() + SETUP_TIMEOUT_MS, .start_req = start_req };
	*t = (struct cl_task){ .c = c, .is_exec = is_exec, .tty = x.tty, .want_stdin = want_stdin, .req = req,
			       .pid = is_exec ? -1 : pid, .in_fd = -1, .out_fd = -1, .err_fd = -1, .master = -1,
			       .mnt_ns = cl_steal_fd(&mnt_ns), .oom_base = oom_base };
	t->setup = s;
	if (!x.tty) {
		t->out_fd = cl_steal_fd(&out_r);
		t->err_fd = cl_steal_fd(&err_r);
		t->in_fd = cl_steal_fd(&in_w);
	}
	t->next = tasks;
	tasks = t;
	ntasks++;
	t_new = NULL, s_new = NULL; /* the list's now */
	/* Room for these was checked above. Should one fail all the same, the
	 * child is killed and the op answers (setup_end answers no one). */
	if (cl_loop_watch(s->st_r, POLLIN, on_setup_fd, t, err) < 0 ||
	    (s->con_r >= 0 && cl_loop_watch(s->con_r, POLLIN, on_setup_fd, t, err) < 0)) {
		struct cl_error ignored;

		s->failed = true;
		s->start_req = t->req = 0;
		setup_end(t, false, &ignored);
		return cl_error_ret(err);
	}
	return 0;
}

static int spawn(struct cl_container *c, const struct cl_attrs *a, bool is_exec, uint32_t req, uint32_t start_req,
		 struct cl_error *err)
{
	int ret = spawn_task(c, a, is_exec, req, start_req, err);

	/* a main task that did not start holds no address */
	if (ret < 0 && !is_exec && c->status != CL_RUNNING)
		cl_net_stop(c);
	return ret;
}

/* --- ops -------------------------------------------------------------------------- */

static int op_run(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;

	(void)resp;
	if (cl_container_arg(req, "task.run", &c, err) < 0)
		return cl_error_ret(err);
	if (c->task || cl_task_starting(c))
		return cl_fail_plain(err, EBUSY, "Container %s is already running", c->id);
	if (spawn(c, &c->attrs, false, req->id, 0, err) < 0)
		return cl_error_ret(err);
	cl_container_started_by_user(c);
	return CL_OP_DEFERRED;
}

static int op_start(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	int ret;

	if (cl_container_arg(req, "task.start", &c, err) < 0)
		return cl_error_ret(err);
	if (cl_task_starting(c))
		return cl_fail_plain(err, EBUSY, "Container %s is already starting", c->id);
	if (!c->task) {
		/* Answered with the pid once set up (setup_end). */
		if (spawn(c, &c->attrs, false, 0, req->id, err) < 0)
			return cl_error_ret(err);
		cl_container_started_by_user(c);
		return CL_OP_DEFERRED;
	}
	ret = cl_attrbuf_add_u64(resp, "pid", (uint64_t)c->task->pid);
	if (ret < 0)
		return cl_fail(err, -ret, "task.start: build response");
	return 0;
}

static int not_running(struct cl_container *c, struct cl_error *err)
{
	return cl_fail_plain(err, EINVAL, "Container %s is not running", c->id);
}

static int op_exec(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;

	(void)resp;
	if (cl_container_arg(req, "exec.run", &c, err) < 0)
		return cl_error_ret(err);
	if (!c->task)
		return not_running(c, err);
	if (c->paused)
		return cl_fail_plain(err, EBUSY, "Container %s is paused, unpause the container before exec", c->id);
	if (spawn(c, &req->attrs, true, req->id, 0, err) < 0)
		return cl_error_ret(err);
	return CL_OP_DEFERRED;
}

/* A paused container that is sent a signal is thawed to take it (Docker's
 * stop and kill work on a paused container). */
static void thaw(struct cl_container *c)
{
	struct cl_error e;

	if (!c->paused)
		return;
	if (cl_cgroup_freeze(c->id, false, &e) < 0)
		cl_log("%s", e.msg);
	else
		c->paused = false;
}

static int op_pause(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;

	(void)resp;
	if (cl_container_arg(req, "task.pause", &c, err) < 0)
		return cl_error_ret(err);
	if (!c->task)
		return not_running(c, err);
	if (c->paused)
		return cl_fail_plain(err, EINVAL, "Container %s is already paused", c->id);
	if (cl_cgroup_freeze(c->id, true, err) < 0)
		return cl_error_wrap(err, "task.pause");
	c->paused = true;
	return 0;
}

static int op_resume(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;

	(void)resp;
	if (cl_container_arg(req, "task.resume", &c, err) < 0)
		return cl_error_ret(err);
	if (!c->paused)
		return cl_fail_plain(err, EINVAL, "Container %s is not paused", c->id);
	if (cl_cgroup_freeze(c->id, false, err) < 0)
		return cl_error_wrap(err, "task.resume");
	c->paused = false;
	return 0;
}

/* A task.stop or SIGKILL task.kill request, answered at exit. */
static int add_stop_waiter(struct cl_task *t, uint32_t req, const char *op, struct cl_error *err)
{
	uint32_t *w = realloc(t->stop_waiters, (t->nstop + 1) * sizeof *w);

	if (!w)
		return cl_fail(err, ENOMEM, "%s", op);
	t->stop_waiters = w;
	w[t->nstop++] = req;
	return 0;
}

static int op_kill(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	struct cl_task *t;
	uint64_t sig;

	(void)resp;
	if (cl_container_arg(req, "task.kill", &c, err) < 0 ||
	    cl_arg_u64(&req->attrs, "task.kill", "signal", SIGKILL, &sig, err) < 0)
		return cl_error_ret(err);
	if (!(t = c->task))
		return not_running(c, err);
	if (sig == 0 || sig >= 65)
		return cl_fail_plain(err, EINVAL, "Invalid signal: %" PRIu64, sig);
	cl_container_stopped_by_user(c);
	if (sig == SIGKILL) {
		/* As Docker does: a SIGKILL is answered once the task is dead, so
		 * that a `ps` right after it never shows the container running. */
		if (add_stop_waiter(t, req->id, "task.kill", err) < 0)
			return cl_error_ret(err);
		if (kill(t->pid, SIGKILL) < 0) {
			t->nstop--;
			return cl_fail(err, errno, "kill %d", (int)t->pid);
		}
		thaw(c);
		return CL_OP_DEFERRED;
	}
	if (kill(t->pid, (int)sig) < 0)
		return cl_fail(err, errno, "kill %d", (int)t->pid);
	thaw(c);
	return 0;
}

static int op_stop(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	struct cl_task *t;
	uint64_t timeout, sig, at;
	int ret;

	if (cl_container_arg(req, "task.stop", &c, err) < 0 ||
	    cl_arg_u64(&req->attrs, "task.stop", "timeout", DEFAULT_STOP_TIMEOUT, &timeout, err) < 0 ||
	    cl_arg_u64(&req->attrs, "task.stop", "signal", SIGTERM, &sig, err) < 0)
		return cl_error_ret(err);
	if (sig == 0 || sig >= 65)
		return cl_fail_plain(err, EINVAL, "Invalid signal: %" PRIu64, sig);
	cl_container_stopped_by_user(c);
	if (!(t = c->task)) {
		/* Not running: the last exit's code. */
		ret = cl_attrbuf_add_u64(resp, "exit_code", (uint64_t)(uint32_t)c->exit_code);
		return ret < 0 ? cl_fail(err, -ret, "task.stop: build response") : 0;
	}
	if (add_stop_waiter(t, req->id, "task.stop", err) < 0)
		return cl_error_ret(err);
	if (timeout == 0) {
		kill(t->pid, SIGKILL);
		thaw(c);
		return CL_OP_DEFERRED;
	}
	/* the image's STOPSIGNAL, or the run's --stop-signal (SIGTERM if neither) */
	kill(t->pid, (int)sig);
	thaw(c);
	if (timeout > 86400 * 365)
		timeout = 86400 * 365;
	at = mono_ms() + timeout * 1000;
	if (!t->kill_at || t->kill_at > at)
		t->kill_at = at;
	return CL_OP_DEFERRED;
}

/* `docker wait`: answered with the exit code when the main task exits; a
 * container not running answers its last exit code at once. */
static int op_wait(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	int ret;

	if (cl_container_arg(req, "task.wait", &c, err) < 0)
		return cl_error_ret(err);
	if (c->task) {
		if (add_stop_waiter(c->task, req->id, "task.wait", err) < 0)
			return cl_error_ret(err);
		return CL_OP_DEFERRED;
	}
	ret = cl_attrbuf_add_u64(resp, "exit_code", (uint64_t)(uint32_t)c->exit_code);
	return ret < 0 ? cl_fail(err, -ret, "task.wait: build response") : 0;
}

static int op_resize(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	struct cl_task *t = NULL;
	uint64_t rows, cols, ex;
	struct winsize ws = { 0 };

	(void)resp;
	if (cl_container_arg(req, "task.resize", &c, err) < 0 ||
	    cl_arg_u64(&req->attrs, "task.resize", "rows", 24, &rows, err) < 0 ||
	    cl_arg_u64(&req->attrs, "task.resize", "cols", 80, &cols, err) < 0 ||
	    cl_arg_u64(&req->attrs, "task.resize", "exec", 0, &ex, err) < 0)
		return cl_error_ret(err);
	if (ex) {
		for (t = tasks; t && !(t->is_exec && t->req == ex); t = t->next)
			;
	} else if (!(t = c->task))
		for (t = tasks; t && !(t->setup && !t->is_exec && t->c == c); t = t->next)
			;
	if (!t)
		return not_running(c, err);
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	/* During setup the master has not come yet (master is -1): the size
	 * waits for it, so the first resize (`run -it` sends it at once) is not
	 * refused as "no tty". */
	if (t->setup) {
		if (!t->tty)
			return cl_fail_plain(err, ENOTTY, "task.resize: %s has no tty", c->id);
		t->ws = ws; /* applied once the master is here (setup_end) */
		return 0;
	}
	if (t->master < 0)
		return cl_fail_plain(err, ENOTTY, "task.resize: %s has no tty", c->id);
	if (ioctl(t->master, TIOCSWINSZ, &ws) < 0)
		return cl_fail(err, errno, "task.resize: TIOCSWINSZ");
	return 0;
}

const struct cl_op cl_task_ops[] = {
	{ "task.run", op_run },
	{ "task.start", op_start },
	{ "task.resize", op_resize },
	{ "task.kill", op_kill },
	{ "task.stop", op_stop },
	{ "task.pause", op_pause },
	{ "task.resume", op_resume },
	{ "task.wait", op_wait },
	{ "exec.run", op_exec },
	{ NULL, NULL },
};
