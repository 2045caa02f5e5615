#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "dns.h"
#include "fsutil.h"
#include "io.h"
#include "loop.h"
#include "netlink.h"
#include "netns.h"
#include "tasks.h"
#include "uplink.h"

#define NET_SPEC_MAX 65536
#define ALIASES_MAX 16
#define NAME_MAX_LEN 128

struct network {
	char name[NAME_MAX_LEN + 1], id[65], bridge[16];
	int ifindex; /* the bridge's */
	uint32_t subnet, gateway; /* host byte order */
	unsigned prefix;
	bool builtin; /* the default `bridge`: no name resolution, not removable */
	uint8_t *spec; /* the network.create attrs, as kept in networks/<name> */
	size_t spec_len;
	struct network *next;
};

struct endpoint {
	struct network *net;
	char aliases[ALIASES_MAX][NAME_MAX_LEN + 1];
	size_t naliases;
	uint32_t ip; /* 0 unless the task runs */
	char veth[16], ifname[16];
	struct endpoint *next;
};

/* A container's networking, made on first use from its spec. */
struct netc {
	struct cl_container *c;
	struct endpoint *eps;
	int dns_fd;
	/* While the task runs with an address on a network (ns >= 0): its network
	 * namespace and eth0's index there, for reuse after it (struct slot). */
	int ns, eth0;
	char files[3][CL_PATH_MAX]; /* hosts, resolv.conf, hostname */
	struct netc *next;
};

static struct network *networks;
static struct netc *netcs;

/* A network namespace whose container is gone, kept for the next container
 * on the same network: a new namespace, a veth pair and its bridge port cost
 * the emulated CPU ~2.7 M instructions to make and tear down, more than
 * half of all of `run --rm busybox true`. It is reused only when nothing of
 * the last container can be left in it: its processes are all gone (the
 * task's process was the pid namespace's init, and no running container
 * joined it with --network container:), it holds no socket (nor a TCP
 * TIME_WAIT), no container can change its addresses, routes or sysctls (none
 * has CAP_NET_ADMIN; /proc/sys is read-only), and eth0 was taken down and
 * its address removed, which drops its routes and neighbour entries. eth0
 * gets its MAC, address and route anew at the next start. */
struct slot {
	int ns;
	int eth0;	/* down, no address; 0: not known (found by name) */
	char veth[16];	/* the host end, on the bridge */
	struct network *net;
};

#define SLOTS_MAX 4
static struct slot slots[SLOTS_MAX];
static size_t nslots;

static struct network *net_find(const char *ref)
{
	size_t n = strlen(ref);

	for (struct network *w = networks; w; w = w->next)
		if (strcmp(w->name, ref) == 0 || strcmp(w->id, ref) == 0)
			return w;
	/* a unique id prefix, as Docker takes */
	if (n >= 1 && n < 64) {
		struct network *hit = NULL;

		for (struct network *w = networks; w; w = w->next)
			if (strncmp(w->id, ref, n) == 0) {
				if (hit)
					return NULL;
				hit = w;
			}
		return hit;
	}
	return NULL;
}

static int parse_cidr(const char *s, uint32_t *ip, unsigned *prefix)
{
	char buf[32];
	char *slash;
	struct in_addr a;
	unsigned long p = 32;

	snprintf(buf, sizeof buf, "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		p = strtoul(slash + 1, &end, 10);
		if (*end || p < 8 || p > 30)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	*prefix = (unsigned)p;
	return 0;
}

static uint32_t mask(unsigned prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static void ip_str(uint32_t ip, char *out, size_t size)
{
	struct in_addr a = { .s_addr = htonl(ip) };

	inet_ntop(AF_INET, &a, out, (socklen_t)size);
}

/* A network from its create attrs (validated here); NULL with err. */
static struct network *net_new(const uint8_t *spec, size_t len, struct cl_error *err)
{
	struct network *w = calloc(1, sizeof *w);
	struct cl_attrs a;
	char subnet[32], gw[32];
	unsigned p;

	if (!w)
		return cl_fail(err, ENOMEM, "network"), NULL;
	w->spec = malloc(len ? len : 1);
	if (!w->spec) {
		free(w);
		return cl_fail(err, ENOMEM, "network"), NULL;
	}
	memcpy(w->spec, spec, len);
	w->spec_len = len;
	if (cl_attrs_parse(&a, w->spec, len) < 0) {
		cl_fail_plain(err, EINVAL, "network.create: invalid attrs");
		goto bad;
	}
	if (cl_arg_str(&a, "network.create", "name", NULL, w->name, sizeof w->name, err) < 0 ||
	    cl_arg_str(&a, "network.create", "id", NULL, w->id, sizeof w->id, err) < 0 ||
	    cl_arg_str(&a, "network.create", "bridge", NULL, w->bridge, sizeof w->bridge, err) < 0 ||
	    cl_arg_str(&a, "network.create", "subnet", NULL, subnet, sizeof subnet, err) < 0 ||
	    cl_arg_str(&a, "network.create", "gateway", NULL, gw, sizeof gw, err) < 0)
		goto bad;
	if (!cl_name_valid(w->name) || !cl_id_valid(w->id)) {
		cl_fail_plain(err, EINVAL, "network.create: invalid name or id");
		goto bad;
	}
	if (parse_cidr(subnet, &w->subnet, &w->prefix) < 0 || (w->subnet & ~mask(w->prefix))) {
		cl_fail_plain(err, EINVAL, "invalid subnet %s", subnet);
		goto bad;
	}
	if (parse_cidr(gw, &w->gateway, &p) < 0 || p != 32 || (w->gateway & mask(w->prefix)) != w->subnet ||
	    w->gateway == w->subnet || w->gateway == (w->subnet | ~mask(w->prefix))) {
		cl_fail_plain(err, EINVAL, "invalid gateway %s for subnet %s", gw, subnet);
		goto bad;
	}
	w->builtin = cl_arg_bool(&a, "builtin");
	return w;
bad:
	free(w->spec);
	free(w);
	return NULL;
}

static void mac_of(uint32_t ip, uint8_t mac[6]);

static int net_path(const char *name, char *out, size_t size, struct cl_error *err)
{
	return cl_path(out, size, err, "%s/networks/%s", cl_state_root, name);
}

/* Makes w's bridge and keeps w (persisted in networks/<name> unless builtin). */
static int net_add(struct network *w, struct cl_error *err)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX];

	uint8_t mac[6];

	mac_of(w->gateway, mac);
	if (cl_nl_bridge(w->bridge, w->gateway, w->prefix, mac, err) < 0 || (w->ifindex = cl_nl_index(w->bridge, err)) < 0 ||
	    cl_uplink_isolate(w->subnet, w->prefix, true, err) < 0)
		return cl_error_ret(err);
	if (!w->builtin &&
	    (cl_path(dir, sizeof dir, err, "%s/networks", cl_state_root) < 0 || cl_mkdir_p(dir, 0755, err) < 0 ||
	     net_path(w->name, path, sizeof path, err) < 0 || cl_write_atomic(path, w->spec, w->spec_len, err) < 0))
		return cl_error_ret(err);
	w->next = networks;
	networks = w;
	return 0;
}

static void random_hex(char *out, size_t nhex)
{
	uint8_t b[32];

	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		memset(b, 0x5a, sizeof b);
	for (size_t i = 0; i < nhex && i < 64; i++)
		out[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[nhex] = '\0';
}

/* The networks a previous daemon made (networks/<name>). */
static void load_saved(void)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX];
	struct cl_error e = { 0 };
	struct network *w;
	DIR *d;
	struct dirent *ent;

	if (cl_path(dir, sizeof dir, &e, "%s/networks", cl_state_root) < 0 || !(d = opendir(dir)))
		return;
	while ((ent = readdir(d))) {
		cleanup_free char *spec = NULL;
		size_t len;

		if (ent->d_name[0] == '.' || cl_path(path, sizeof path, &e, "%s/%s", dir, ent->d_name) < 0 ||
		    cl_read_all(path, NET_SPEC_MAX, &spec, &len, &e) < 0)
			continue;
		w = net_new((uint8_t *)spec, len, &e);
		if (!w || net_find(w->name) || net_add(w, &e) < 0) {
			cl_log("network %s: %s", ent->d_name, w ? e.msg : "exists");
			if (w) {
				free(w->spec);
				free(w);
			}
		}
	}
	closedir(d);
}

static void upstream_open(void);
static void prepare_default_slot(void);

void cl_networks_init(void)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	char id[65];
	struct cl_error e = { 0 };
	struct network *w;

	random_hex(id, 64);
	if (cl_attrbuf_add_str(&b, "name", "bridge") < 0 || cl_attrbuf_add_str(&b, "id", id) < 0 ||
	    cl_attrbuf_add_str(&b, "bridge", "docker0") < 0 || cl_attrbuf_add_str(&b, "subnet", "172.17.0.0/16") < 0 ||
	    cl_attrbuf_add_str(&b, "gateway", "172.17.0.1") < 0 || cl_attrbuf_add_str(&b, "builtin", "1") < 0)
		return cl_log("default network: out of memory");
	w = net_new(b.data, b.len, &e);
	if (!w || net_add(w, &e) < 0) {
		cl_log("default network: %s", e.msg);
		if (w) {
			free(w->spec);
			free(w);
		}
	}
	load_saved();
	cl_netns_on_ready(prepare_default_slot);
	/* last: forwarding goes on once every network's prohibit route is in */
	if (cl_uplink_init())
		upstream_open();
}

/* --- a container's attachments ------------------------------------------------ */

static void mode_of(const struct cl_container *c, char *mode, size_t size)
{
	struct cl_error e;

	if (cl_arg_str(&c->attrs, "container.create", "network_mode", "", mode, size, &e) < 0)
		mode[0] = '\0';
}

static struct netc *netc_find(const struct cl_container *c)
{
	for (struct netc *n = netcs; n; n = n->next)
		if (n->c == c)
			return n;
	return NULL;
}

static int ep_add(struct netc *n, struct network *w, const struct cl_attrs *a, struct cl_error *err)
{
	struct endpoint *ep = calloc(1, sizeof *ep), **tailp;
	struct cl_attr at;
	size_t pos = 0;

	if (!ep)
		return cl_fail(err, ENOMEM, "endpoint");
	ep->net = w;
	while (a && cl_attrs_next(a, &pos, &at) == 1)
		if (cl_attr_is(&at, "alias") && ep->naliases < ALIASES_MAX && at.vlen && at.vlen <= NAME_MAX_LEN &&
		    !memchr(at.val, 0, at.vlen)) {
			memcpy(ep->aliases[ep->naliases], at.val, at.vlen);
			ep->aliases[ep->naliases++][at.vlen] = '\0';
		}
	for (tailp = &n->eps; *tailp; tailp = &(*tailp)->next)
		;
	*tailp = ep;
	return 0;
}

/* The container's record, made from its spec's `network` attachments (each
 * nested: `name`, `alias`*) the first time. */
static struct netc *netc_get(struct cl_container *c, struct cl_error *err)
{
	struct netc *n = netc_find(c);
	struct cl_attr at;
	size_t pos = 0;

	if (n)
		return n;
	n = calloc(1, sizeof *n);
	if (!n)
		return cl_fail(err, ENOMEM, "network"), NULL;
	n->c = c;
	n->dns_fd = -1;
	n->ns = -1;
	while (cl_attrs_next(&c->attrs, &pos, &at) == 1) {
		struct cl_attrs a;
		char name[NAME_MAX_LEN + 1];
		struct network *w;

		if (!cl_attr_is(&at, "network") || cl_attrs_parse(&a, at.val, at.vlen) < 0 ||
		    cl_arg_str(&a, "network", "name", "", name, sizeof name, err) < 0)
			continue;
		w = net_find(name);
		if (w)
			ep_add(n, w, &a, err);
		else
			cl_log("container %.12s: network %s is gone", c->id, name);
	}
	n->next = netcs;
	netcs = n;
	return n;
}

static bool ip_used(const struct network *w, uint32_t ip)
{
	for (struct netc *n = netcs; n; n = n->next)
		for (struct endpoint *ep = n->eps; ep; ep = ep->next)
			if (ep->net == w && ep->ip == ip)
				return true;
	return false;
}

static int ip_alloc(const struct network *w, uint32_t *ip, struct cl_error *err)
{
	uint32_t last = w->subnet | ~mask(w->prefix);

	for (uint32_t a = w->subnet + 1; a < last; a++)
		if (a != w->gateway && !ip_used(w, a)) {
			*ip = a;
			return 0;
		}
	return cl_fail_plain(err, ENOSPC, "no available IPv4 addresses on this network's address pools: %s", w->name);
}

/* Docker's MAC for an address: 02:42 and the four address bytes. */
static void mac_of(uint32_t ip, uint8_t mac[6])
{
	mac[0] = 0x02, mac[1] = 0x42;
	mac[2] = (uint8_t)(ip >> 24), mac[3] = (uint8_t)(ip >> 16), mac[4] = (uint8_t)(ip >> 8), mac[5] = (uint8_t)ip;
}

/* --- DNS ------------------------------------------------------------------------ */

struct lookup {
	struct netc *from;
};

static bool is_name_of(const struct netc *n, const struct endpoint *ep, const char *name)
{
	char shortid[13];

	if (strcasecmp(n->c->name, name) == 0)
		return true;
	snprintf(shortid, sizeof shortid, "%.12s", n->c->id);
	if (strcmp(shortid, name) == 0)
		return true;
	for (size_t i = 0; i < ep->naliases; i++)
		if (strcasecmp(ep->aliases[i], name) == 0)
			return true;
	return false;
}

/* The live addresses, on user-defined networks the asker is on, of a
 * container named (or aliased) name. */
static size_t dns_lookup(void *ctx, const char *name, uint32_t *ips)
{
	struct lookup *l = ctx;
	size_t k = 0;

	/* Docker Desktop's names for the host, on every network */
	if (strcasecmp(name, "host.docker.internal") == 0 || strcasecmp(name, "gateway.docker.internal") == 0) {
		ips[0] = htonl(CL_UPLINK_HOST);
		return 1;
	}

	for (struct endpoint *mine = l->from->eps; mine; mine = mine->next) {
		if (!mine->ip || mine->net->builtin)
			continue;
		for (struct netc *n = netcs; n; n = n->next)
			for (struct endpoint *ep = n->eps; ep; ep = ep->next)
				if (ep->net == mine->net && ep->ip && k < CL_DNS_MAX_ADDRS && is_name_of(n, ep, name))
					ips[k++] = htonl(ep->ip);
	}
	return k;
}

/* Names the daemon does not know are asked of the host (the uplink's relay
 * answers DNS at CL_UPLINK_HOST:53) from one socket in the VM's namespace;
 * its answer goes back to the asker with the asker's id. A slot per id in
 * flight (the id's low bits): a query whose answer never comes is
 * overwritten in turn; the high bits are random, so that a container cannot
 * guess another's id. */
#define FWD_MAX 32u
static struct fwd {
	struct netc *from; /* NULL: free */
	struct sockaddr_in to;
	uint16_t id, orig;
} fwds[FWD_MAX];
static int upstream = -1;
static unsigned fwd_next;

static int on_upstream(void *ctx, int fd, short rev, struct cl_error *err)
{
	uint8_t r[512];

	(void)ctx;
	(void)rev;
	(void)err;
	for (int i = 0; i < 8; i++) {
		ssize_t n = recv(fd, r, sizeof r, 0);
		uint16_t id;
		struct fwd *f;

		if (n < 0)
			return 0;
		if (n < 12)
			continue;
		id = (uint16_t)(r[0] << 8 | r[1]);
		f = &fwds[id % FWD_MAX];
		if (!f->from || f->id != id)
			continue;
		r[0] = (uint8_t)(f->orig >> 8);
		r[1] = (uint8_t)f->orig;
		if (f->from->dns_fd >= 0)
			sendto(f->from->dns_fd, r, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&f->to, sizeof f->to);
		f->from = NULL;
	}
	return 0;
}

/* Passes query q on to the host; false when there is no uplink to ask. */
static bool forward(struct netc *n, const uint8_t *q, size_t len, const struct sockaddr_in *asker)
{
	uint8_t b[512];
	uint16_t rnd = 0;
	struct fwd *f;

	if (upstream < 0 || len < 12 || len > sizeof b)
		return false;
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
		rnd = (uint16_t)(fwd_next * 2654435761u >> 16);
	f = &fwds[fwd_next++ % FWD_MAX];
	f->from = n;
	f->to = *asker;
	f->orig = (uint16_t)(q[0] << 8 | q[1]);
	f->id = (uint16_t)((rnd & ~(FWD_MAX - 1)) | (unsigned)(f - fwds));
	memcpy(b, q, len);
	b[0] = (uint8_t)(f->id >> 8);
	b[1] = (uint8_t)f->id;
	return send(upstream, b, len, MSG_DONTWAIT) == (ssize_t)len;
}

static void upstream_open(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(CL_UPLINK_HOST) };
	struct cl_error e = { 0 };
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
		cl_log("dns upstream: %s", strerror(errno));
		return;
	}
	if (cl_loop_watch(fd, POLLIN, on_upstream, NULL, &e) < 0) {
		cl_log("dns upstream: %s", e.msg);
		return;
	}
	upstream = cl_steal_fd(&fd);
}

static int on_dns(void *ctx, int fd, short rev, struct cl_error *err)
{
	struct lookup l = { .from = ctx };
	uint8_t q[512], out[512];
	struct sockaddr_in from;

	(void)rev;
	(void)err;
	for (int i = 0; i < 8; i++) {
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
		size_t len;

		if (n < 0)
			return 0; /* EAGAIN, or an ICMP error of an earlier reply */
		len = cl_dns_answer(q, (size_t)n, out, sizeof out, dns_lookup, &l);
		/* not a name of ours: the host's resolver may know it */
		if (len >= 4 && (out[3] & 0xf) == 3 && forward(ctx, q, (size_t)n, &from))
			continue;
		if (len)
			sendto(fd, out, len, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
	}
	return 0;
}

/* --- start and stop -------------------------------------------------------------- */

/* World-readable, as Docker's: a container's non-root user resolves names too. */
static int write_text(const char *path, const char *text, struct cl_error *err)
{
	if (cl_write_atomic(path, text, strlen(text), err) < 0)
		return cl_error_ret(err);
	if (chmod(path, 0644) < 0)
		return cl_fail(err, errno, "chmod `%s`", path);
	return 0;
}

/* Docker's /etc/hosts: the defaults, --add-host's, the container's own. */
static int write_files(struct netc *n, const char *hostname, const char *mode, struct cl_error *err)
{
	char text[8192], ip[INET_ADDRSTRLEN];
	size_t used;
	struct cl_attr at;
	size_t pos = 0;
	const struct endpoint *first = n->eps;

	used = (size_t)snprintf(text, sizeof text,
				"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
				"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
	while (cl_attrs_next(&n->c->attrs, &pos, &at) == 1) {
		const uint8_t *colon;

		/* `extra_host` NAME:IP; IP `host-gateway`: the host, as Docker Desktop's */
		if (!cl_attr_is(&at, "extra_host") || at.vlen > 300 || memchr(at.val, '\n', at.vlen) ||
		    !(colon = memchr(at.val, ':', at.vlen)))
			continue;
		if ((size_t)(at.val + at.vlen - colon - 1) == 12 && memcmp(colon + 1, "host-gateway", 12) == 0) {
			ip_str(CL_UPLINK_HOST, ip, sizeof ip);
			used += (size_t)snprintf(text + used, sizeof text - used, "%s\t%.*s\n", ip,
						 (int)(colon - at.val), (const char *)at.val);
		} else
			used += (size_t)snprintf(text + used, sizeof text - used, "%.*s\t%.*s\n",
						 (int)(at.val + at.vlen - colon - 1), (const char *)colon + 1,
						 (int)(colon - at.val), (const char *)at.val);
		if (used >= sizeof text)
			return cl_fail_plain(err, E2BIG, "too many --add-host entries");
	}
	if (first && first->ip) {
		ip_str(first->ip, ip, sizeof ip);
		used += (size_t)snprintf(text + used, sizeof text - used, "%s\t%s\n", ip, hostname);
	}
	if (used >= sizeof text)
		return cl_fail_plain(err, E2BIG, "/etc/hosts too long");
	if (cl_path(n->files[0], CL_PATH_MAX, err, "%s/containers/%s/hosts", cl_state_root, n->c->id) < 0 ||
	    cl_path(n->files[1], CL_PATH_MAX, err, "%s/containers/%s/resolv.conf", cl_state_root, n->c->id) < 0 ||
	    cl_path(n->files[2], CL_PATH_MAX, err, "%s/containers/%s/hostname", cl_state_root, n->c->id) < 0 ||
	    write_text(n->files[0], text, err) < 0 ||
	    write_text(n->files[1],
		       strcmp(mode, "none") == 0 ? ""
		       : n->dns_fd >= 0	 ? "nameserver 127.0.0.11\noptions ndots:0\n"
					 : "# the VM has no upstream DNS server\n",
		       err) < 0)
		return cl_error_ret(err);
	snprintf(text, sizeof text, "%s\n", hostname);
	return write_text(n->files[2], text, err);
}

static int add_binds(struct netc *n, const char (*files)[CL_PATH_MAX], struct cl_mount *mounts, size_t *nmounts)
{
	static const char *const targets[3] = { "/etc/hosts", "/etc/resolv.conf", "/etc/hostname" };

	(void)n;
	for (int i = 0; i < 3; i++)
		mounts[(*nmounts)++] = (struct cl_mount){ .type = CL_MOUNT_BIND, .source = (char *)files[i],
							 .target = (char *)targets[i] };
	return 0;
}

/* A new network namespace with lo up, made by the daemon itself when the
 * pool has none ready: it enters one and comes back. */
static int make_netns(int self, struct cl_error *err)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return cl_fail(err, errno, "unshare network namespace");
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cl_fail(err, errno, "open network namespace");
	else if (cl_loopback_up(err) < 0) {
		close(fd);
		fd = -1;
	}
	if (setns(self, CLONE_NEWNET) < 0) {
		cl_log("cannot return to the daemon's network namespace: %s", strerror(errno));
		abort();
	}
	return fd < 0 ? cl_error_ret(err) : fd;
}

static void veth_name(char out[16])
{
	memcpy(out, "veth", 4);
	random_hex(out + 4, 8);
}

/* Inside the container's namespace (the caller entered it): configures ep
 * (link index, or 0: found by name; with MAC mac unless NULL) and, for the
 * first, binds the DNS socket. The link's index, or -errno. */
static int configure_inside(struct netc *n, struct endpoint *ep, int index, const uint8_t *mac, bool gw,
			    struct cl_error *err)
{
	if ((!index && (index = cl_nl_index(ep->ifname, err)) < 0) ||
	    cl_nl_configure(index, mac, ep->ip, ep->net->prefix, gw ? ep->net->gateway : 0, err) < 0)
		return cl_error_wrap(err, "%s", ep->ifname);
	if (n->dns_fd < 0) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53),
					 .sin_addr.s_addr = htonl(0x7f00000b) };
		cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
			return cl_fail(err, errno, "DNS server socket 127.0.0.11:53");
		if (cl_loop_watch(fd, POLLIN, on_dns, n, err) < 0)
			return cl_error_ret(err);
		n->dns_fd = cl_steal_fd(&fd);
	}
	return index;
}

static int open_self_ns(struct cl_error *err)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? cl_fail(err, errno, "open /proc/self/ns/net") : fd;
}

static void return_to(int self)
{
	if (setns(self, CLONE_NEWNET) < 0) {
		cl_log("cannot return to the daemon's network namespace: %s", strerror(errno));
		abort();
	}
}

/* Brings ep up in the namespace netns: address, veth (sl's, already in
 * netns, or a new pair), configuration. eth0's index in netns, or -errno. */
static int ep_up(struct netc *n, struct endpoint *ep, int netns, unsigned index, const struct slot *sl,
		 struct cl_error *err)
{
	cleanup_close int self = open_self_ns(err);
	uint8_t mac[6];
	int ret;

	if (self < 0 || ip_alloc(ep->net, &ep->ip, err) < 0)
		return cl_error_ret(err);
	mac_of(ep->ip, mac);
	snprintf(ep->ifname, sizeof ep->ifname, "eth%u", index);
	if (sl)
		memcpy(ep->veth, sl->veth, sizeof ep->veth);
	else {
		veth_name(ep->veth);
		if (cl_nl_veth(ep->veth, ep->net->ifindex, ep->ifname, mac, netns, err) < 0) {
			ep->ip = 0;
			return cl_error_ret(err);
		}
	}
	if (setns(netns, CLONE_NEWNET) < 0) {
		ep->ip = 0;
		return cl_fail(err, errno, "enter the container's network namespace");
	}
	ret = configure_inside(n, ep, sl ? sl->eth0 : 0, sl ? mac : NULL, index == 0, err);
	return_to(self);
	if (ret < 0) {
		struct cl_error ignored;

		cl_nl_delete(ep->veth, &ignored);
		ep->ip = 0;
	}
	return ret;
}

/* A kept namespace for network w, taken out of the list (*sl), or false:
 * the one kept last (a container's, before one made ahead). */
static bool slot_take(const struct network *w, struct slot *sl)
{
	for (size_t i = nslots; i-- > 0;)
		if (slots[i].net == w) {
			*sl = slots[i];
			slots[i] = slots[--nslots];
			return true;
		}
	return false;
}

static void slots_drop(const struct network *w)
{
	for (size_t i = 0; i < nslots;)
		if (!w || slots[i].net == w) {
			close(slots[i].ns); /* the namespace goes, and its veth pair with it */
			slots[i] = slots[--nslots];
		} else
			i++;
}

void cl_net_pause(void)
{
	slots_drop(NULL);
}

/* The default bridge's first container (after a boot, a restore, or one
 * that left no slot) would make its veth pair during its start: ~1 M guest
 * instructions of its ~4 M. Once the pool has a namespace ready (the VM was
 * idle), the pair is made into it and kept as a slot, as one a container
 * left: eth0 down, no address, the VM's end on the bridge. */
static void prepare_default_slot(void)
{
	struct network *w = net_find("bridge");
	struct cl_error e = { 0 };
	char veth[16];
	int ns;

	if (!w || !w->builtin || nslots == SLOTS_MAX)
		return;
	for (size_t i = 0; i < nslots; i++)
		if (slots[i].net == w)
			return;
	if ((ns = cl_netns_take()) < 0)
		return;
	veth_name(veth);
	if (cl_nl_veth(veth, w->ifindex, "eth0", NULL, ns, &e) < 0) {
		cl_log("network: a ready veth pair: %s", e.msg);
		close(ns);
		return;
	}
	/* eth0 0: the next start finds it by name */
	slots[nslots++] = (struct slot){ .ns = ns, .eth0 = 0, .net = w };
	memcpy(slots[nslots - 1].veth, veth, sizeof veth);
}

/* Whether a running (or starting) container other than c shares c's
 * network namespace through --network container:. */
static bool ns_shared(const struct cl_container *c)
{
	char mode[160];

	for (struct cl_container *o = cl_containers; o; o = o->next)
		if (o != c && (o->task || cl_task_starting(o))) {
			mode_of(o, mode, sizeof mode);
			if (strncmp(mode, "container:", 10) == 0 && cl_container_find(mode + 10) == c)
				return true;
		}
	return false;
}

/* Whether the namespace we are in holds no socket, not even a TIME_WAIT. */
static bool no_sockets(void)
{
	char text[512];
	cleanup_close int fd = open("/proc/self/net/sockstat", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	const char *used, *tw;

	if (len <= 0)
		return false;
	text[len] = '\0';
	used = strstr(text, "sockets: used ");
	tw = strstr(text, " tw ");
	return used && tw && strtol(used + 14, NULL, 10) == 0 && strtol(tw + 4, NULL, 10) == 0;
}

/* n's task is gone: its namespace kept for the next container on its
 * network (struct slot) when nothing of it can be left there, else let go. */
static void ns_release(struct netc *n)
{
	struct endpoint *ep = n->eps;
	cleanup_close int self = -1, ns = n->ns;
	struct cl_error e = { 0 };
	bool ok;

	n->ns = -1;
	if (ns >= 0 && ns_shared(n->c)) {
		/* A container that joined it (--network container:) keeps the
		 * namespace, but, as in Docker, not n's interfaces: their
		 * addresses are free again from now on and must not stay in use
		 * there. Deleting the VM's end of a veth pair deletes both. */
		for (; ep; ep = ep->next)
			if (ep->ip && ep->veth[0] && cl_nl_delete(ep->veth, &e) < 0)
				cl_log("network: %s", e.msg);
		return;
	}
	if (ns < 0 || !ep || ep->next || !ep->ip || strcmp(ep->ifname, "eth0") != 0 || n->eth0 <= 0 || nslots == SLOTS_MAX ||
	    (self = open_self_ns(&e)) < 0 || setns(ns, CLONE_NEWNET) < 0)
		return;
	ok = no_sockets() && cl_nl_unconfigure(n->eth0, ep->ip, ep->net->prefix, &e) == 0;
	return_to(self);
	if (ok) {
		slots[nslots++] = (struct slot){ .ns = ns, .eth0 = n->eth0, .net = ep->net };
		memcpy(slots[nslots - 1].veth, ep->veth, sizeof ep->veth);
		ns = -1;
	}
}

int cl_net_start(struct cl_container *c, const char *hostname, int *netns_fd, bool *host_net,
		 struct cl_mount *mounts, size_t *nmounts, struct cl_error *err)
{
	struct netc *n = netc_get(c, err);
	char mode[160];
	unsigned index = 0;
	cleanup_close int self = -1;

	if (!n)
		return cl_error_ret(err);
	mode_of(c, mode, sizeof mode);
	*host_net = false;
	if (strcmp(mode, "host") == 0) {
		*host_net = true;
	} else if (strncmp(mode, "container:", 10) == 0) {
		struct cl_container *o = cl_container_find(mode + 10);
		struct netc *on = o ? netc_find(o) : NULL;
		char p[40];

		if (!o || o->status != CL_RUNNING || !o->task)
			return cl_fail_plain(err, EINVAL, "cannot join network of a non running container: %s", mode + 10);
		snprintf(p, sizeof p, "/proc/%d/ns/net", (int)cl_task_pid(o->task));
		*netns_fd = open(p, O_RDONLY | O_CLOEXEC);
		if (*netns_fd < 0)
			return cl_fail(err, errno, "open `%s`", p);
		if (on && on->files[0][0])
			return add_binds(n, (const char (*)[CL_PATH_MAX])on->files, mounts, nmounts);
		return 0;
	} else if (strcmp(mode, "none") != 0 && n->eps) {
		struct slot sl;
		bool kept = slot_take(n->eps->net, &sl);

		if (kept)
			*netns_fd = sl.ns;
		else if ((*netns_fd = cl_netns_take()) < 0) {
			if ((self = open_self_ns(err)) < 0 || (*netns_fd = make_netns(self, err)) < 0)
				return cl_error_ret(err);
		}
		/* the task closes *netns_fd once it runs; this copy is for reuse */
		n->ns = fcntl(*netns_fd, F_DUPFD_CLOEXEC, 0);
		if (n->ns < 0) {
			cl_fail(err, errno, "network namespace");
			close(*netns_fd);
			*netns_fd = -1;
			return cl_error_ret(err);
		}
		for (struct endpoint *ep = n->eps; ep; ep = ep->next, index++) {
			int ret = ep_up(n, ep, *netns_fd, index, index == 0 && kept ? &sl : NULL, err);

			if (ret < 0) {
				cl_net_stop(c);
				return cl_error_wrap(err, "network %s", ep->net->name);
			}
			if (index == 0)
				n->eth0 = ret;
		}
	}
	if (write_files(n, hostname, mode, err) < 0) {
		cl_net_stop(c);
		return cl_error_ret(err);
	}
	return add_binds(n, (const char (*)[CL_PATH_MAX])n->files, mounts, nmounts);
}

void cl_net_stop(struct cl_container *c)
{
	struct netc *n = netc_find(c);

	if (!n)
		return;
	if (n->dns_fd >= 0) {
		cl_loop_unwatch(n->dns_fd);
		close(n->dns_fd);
		n->dns_fd = -1;
	}
	for (unsigned k = 0; k < FWD_MAX; k++)
		if (fwds[k].from == n)
			fwds[k].from = NULL;
	ns_release(n);
	for (struct endpoint *ep = n->eps; ep; ep = ep->next)
		ep->ip = 0;
}

void cl_net_forget(struct cl_container *c)
{
	for (struct netc **p = &netcs; *p; p = &(*p)->next)
		if ((*p)->c == c) {
			struct netc *n = *p;

			cl_net_stop(c);
			*p = n->next;
			while (n->eps) {
				struct endpoint *ep = n->eps;

				n->eps = ep->next;
				free(ep);
			}
			free(n);
			return;
		}
}

uint32_t cl_net_address(const struct cl_container *c)
{
	const struct netc *n = netc_find(c);
	char mode[160];

	mode_of(c, mode, sizeof mode);
	if (strcmp(mode, "host") == 0)
		return 0x7f000001;
	if (strncmp(mode, "container:", 10) == 0) {
		const struct cl_container *o = cl_container_find(mode + 10);

		return o && o != c ? cl_net_address(o) : 0;
	}
	for (const struct endpoint *ep = n ? n->eps : NULL; ep; ep = ep->next)
		if (ep->ip)
			return ep->ip;
	return 0;
}

/* --- ops ----------------------------------------------------------------------------- */

static bool overlaps(uint32_t a, unsigned ap, uint32_t b, unsigned bp)
{
	unsigned p = ap < bp ? ap : bp;

	return (a & mask(p)) == (b & mask(p));
}

static int op_create(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct network *w;

	(void)resp;
	w = net_new(req->attrs.p, req->attrs.n, err);
	if (!w)
		return cl_error_ret(err);
	if (w->builtin)
		goto refuse;
	for (struct network *o = networks; o; o = o->next) {
		if (strcmp(o->name, w->name) == 0) {
			cl_fail_plain(err, EEXIST, "network with name %s already exists", w->name);
			goto fail;
		}
		if (strcmp(o->bridge, w->bridge) == 0 || strcmp(o->id, w->id) == 0) {
			cl_fail_plain(err, EEXIST, "network %s: bridge %s or id in use", w->name, w->bridge);
			goto fail;
		}
		if (overlaps(o->subnet, o->prefix, w->subnet, w->prefix)) {
			cl_fail_plain(err, EEXIST, "Pool overlaps with other one on this address space");
			goto fail;
		}
	}
	if (net_add(w, err) < 0)
		goto fail;
	return 0;
refuse:
	cl_fail_plain(err, EINVAL, "network.create: builtin is the daemon's");
fail:
	free(w->spec);
	free(w);
	return cl_error_ret(err);
}

static int net_arg(const struct cl_request *req, const char *op, const char *key, struct network **w,
		   struct cl_error *err)
{
	char ref[NAME_MAX_LEN + 1];

	if (cl_arg_str(&req->attrs, op, key, NULL, ref, sizeof ref, err) < 0)
		return cl_error_ret(err);
	*w = net_find(ref);
	if (!*w)
		return cl_fail_plain(err, ENOENT, "network %s not found", ref);
	return 0;
}

static int add_endpoint(struct cl_attrbuf *b, const struct netc *n, const struct endpoint *ep)
{
	cleanup_attrbuf struct cl_attrbuf e = { 0 };
	char ip[INET_ADDRSTRLEN] = "", mac[18] = "";
	uint8_t m[6];
	int ret;

	if (ep->ip) {
		ip_str(ep->ip, ip, sizeof ip);
		mac_of(ep->ip, m);
		snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	if ((ret = cl_attrbuf_add_str(&e, "id", n->c->id)) < 0 || (ret = cl_attrbuf_add_str(&e, "name", n->c->name)) < 0 ||
	    (ret = cl_attrbuf_add_str(&e, "ip", ip)) < 0 || (ret = cl_attrbuf_add_str(&e, "mac", mac)) < 0)
		return ret;
	for (size_t i = 0; i < ep->naliases; i++)
		if ((ret = cl_attrbuf_add_str(&e, "alias", ep->aliases[i])) < 0)
			return ret;
	return cl_attrbuf_add(b, "endpoint", e.data, e.len);
}

static int op_list(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	(void)req;
	/* every container's attachments known (made from its spec) */
	for (struct cl_container *c = cl_containers; c; c = c->next)
		if (!netc_get(c, err))
			return cl_error_ret(err);
	for (struct network *w = networks; w; w = w->next) {
		cleanup_attrbuf struct cl_attrbuf b = { 0 };
		int ret = cl_attrbuf_add(&b, "spec", w->spec, w->spec_len);

		for (struct netc *n = netcs; n && ret >= 0; n = n->next)
			for (struct endpoint *ep = n->eps; ep && ret >= 0; ep = ep->next)
				if (ep->net == w)
					ret = add_endpoint(&b, n, ep);
		if (ret < 0 || (ret = cl_attrbuf_add(resp, "network", b.data, b.len)) < 0)
			return cl_fail(err, -ret, "network.list");
	}
	return 0;
}

static bool live_on(const struct network *w)
{
	for (struct netc *n = netcs; n; n = n->next)
		for (struct endpoint *ep = n->eps; ep; ep = ep->next)
			if (ep->net == w && ep->ip)
				return true;
	return false;
}

static int op_remove(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char path[CL_PATH_MAX];
	struct network *w;
	struct cl_error ignored;

	(void)resp;
	if (net_arg(req, "network.remove", "name", &w, err) < 0)
		return cl_error_ret(err);
	if (w->builtin)
		return cl_fail_plain(err, EPERM, "%s is a pre-defined network and cannot be removed", w->name);
	if (live_on(w))
		return cl_fail_plain(err, EBUSY, "error while removing network: network %s id %s has active endpoints",
				     w->name, w->id);
	/* stopped containers keep no attachment to it (Docker's do, and fail to start) */
	for (struct netc *n = netcs; n; n = n->next)
		for (struct endpoint **p = &n->eps; *p;)
			if ((*p)->net == w) {
				struct endpoint *ep = *p;

				*p = ep->next;
				free(ep);
			} else
				p = &(*p)->next;
	if (net_path(w->name, path, sizeof path, err) == 0)
		unlink(path);
	slots_drop(w);
	cl_nl_delete(w->bridge, &ignored);
	cl_uplink_isolate(w->subnet, w->prefix, false, &ignored);
	for (struct network **p = &networks; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	free(w->spec);
	free(w);
	return 0;
}

static int op_connect(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	struct network *w;
	struct netc *n;
	struct endpoint *ep;
	unsigned index = 0;
	char mode[160];

	(void)resp;
	if (cl_container_arg(req, "network.connect", &c, err) < 0 || net_arg(req, "network.connect", "network", &w, err) < 0 ||
	    !(n = netc_get(c, err)))
		return cl_error_ret(err);
	mode_of(c, mode, sizeof mode);
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 || strncmp(mode, "container:", 10) == 0)
		return cl_fail_plain(err, EINVAL,
				     "container sharing network namespace with another container or host cannot be connected to any other network");
	for (ep = n->eps; ep; ep = ep->next, index++)
		if (ep->net == w)
			return cl_fail_plain(err, EEXIST, "endpoint with name %s already exists in network %s", c->name,
					     w->name);
	if (ep_add(n, w, &req->attrs, err) < 0)
		return cl_error_ret(err);
	for (ep = n->eps; ep->next; ep = ep->next)
		;
	if (c->status == CL_RUNNING && c->task) {
		char p[40];
		cleanup_close int netns = -1;

		snprintf(p, sizeof p, "/proc/%d/ns/net", (int)cl_task_pid(c->task));
		netns = open(p, O_RDONLY | O_CLOEXEC);
		if (netns < 0 || ep_up(n, ep, netns, index, NULL, err) < 0) {
			if (netns < 0)
				cl_fail(err, errno, "open `%s`", p);
			for (struct endpoint **q = &n->eps; *q; q = &(*q)->next)
				if (*q == ep) {
					*q = ep->next;
					free(ep);
					break;
				}
			return cl_error_ret(err);
		}
	}
	return 0;
}

static int op_disconnect(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	struct network *w;
	struct netc *n;

	(void)resp;
	if (cl_container_arg(req, "network.disconnect", &c, err) < 0 ||
	    net_arg(req, "network.disconnect", "network", &w, err) < 0 || !(n = netc_get(c, err)))
		return cl_error_ret(err);
	for (struct endpoint **p = &n->eps; *p; p = &(*p)->next)
		if ((*p)->net == w) {
			struct endpoint *ep = *p;
			struct cl_error ignored;

			/* the host end: its peer in the container goes with it */
			if (ep->ip)
				cl_nl_delete(ep->veth, &ignored);
			*p = ep->next;
			free(ep);
			return 0;
		}
	return cl_fail_plain(err, ENOENT, "container %s is not connected to network %s", c->id, w->name);
}

const struct cl_op cl_network_ops[] = {
	{ "network.create", op_create },
	{ "network.list", op_list },
	{ "network.remove", op_remove },
	{ "network.connect", op_connect },
	{ "network.disconnect", op_disconnect },
	{ NULL, NULL },
};
