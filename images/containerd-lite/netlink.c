#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "rtnl.h"

#define MSG_MAX 1024

struct msg {
	struct nlmsghdr h;
	uint8_t body[MSG_MAX];
} __attribute__((aligned(4)));

static void *tail(struct msg *m)
{
	return (uint8_t *)&m->h + NLMSG_ALIGN(m->h.nlmsg_len);
}

static void start(struct msg *m, uint16_t type, uint16_t flags, const void *hdr, size_t hlen)
{
	memset(m, 0, sizeof *m);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	m->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hlen);
	memcpy(NLMSG_DATA(&m->h), hdr, hlen);
}

/* Appends an attribute (a nest when data is NULL and len 0: close it with
 * end_nest). The buffer is sized for every request made here. */
static struct rtattr *put(struct msg *m, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = tail(m);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void end_nest(struct msg *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((uint8_t *)tail(m) - (uint8_t *)nest);
}

/* Sends the n requests ms[] in one datagram (the kernel handles them in
 * order) and reads every ack: one socket and one round trip for a whole
 * setup. A request refused with its ok_errno counts as done; the first other
 * refusal is the error (-errno). */
struct req {
	struct msg *m;
	const char *what;
	int ok_errno;
};

static int talk_n(const struct req *rs, size_t n, struct cl_error *err)
{
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t out[4 * sizeof(struct msg)] __attribute__((aligned(4)));
	uint8_t buf[4096] __attribute__((aligned(4)));
	size_t used = 0, acked = 0;
	int ret = 0;

	if (fd < 0)
		return cl_fail(err, errno, "%s: netlink socket", rs[0].what);
	for (size_t i = 0; i < n; i++) {
		size_t len = NLMSG_ALIGN(rs[i].m->h.nlmsg_len);

		if (used + len > sizeof out)
			return cl_fail_plain(err, E2BIG, "%s: netlink batch too long", rs[i].what);
		rs[i].m->h.nlmsg_seq = (uint32_t)(i + 1);
		memcpy(out + used, &rs[i].m->h, len);
		used += len;
	}
	if (sendto(fd, out, used, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return cl_fail(err, errno, "%s: netlink send", rs[0].what);
	while (acked < n) {
		ssize_t got = recv(fd, buf, sizeof buf, 0);
		int len;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cl_fail(err, errno, "%s: netlink receive", rs[0].what);
		len = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			size_t i = h->nlmsg_seq - 1;

			if (h->nlmsg_type != NLMSG_ERROR || i >= n)
				continue;
			acked++;
			if (e->error && -e->error != rs[i].ok_errno && ret == 0)
				ret = cl_fail(err, -e->error, "%s", rs[i].what);
		}
	}
	return ret;
}

/* Sends m and reads its ack; -errno of a refused request. */
static int talk(struct msg *m, const char *what, struct cl_error *err)
{
	struct req r = { m, what, 0 };

	return talk_n(&r, 1, err);
}

static int ifindex(const char *name, struct cl_error *err)
{
	unsigned i = if_nametoindex(name);

	if (!i)
		return cl_fail(err, errno, "network interface `%s`", name);
	return (int)i;
}

/* RTM_NEWLINK for index (or, index 0, the link named name): up or down,
 * enslaved to master (> 0), MAC mac (non-NULL). */
static void msg_link(struct msg *m, int index, const char *name, bool up, int master, const uint8_t *mac)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = up ? IFF_UP : 0,
			       .ifi_change = IFF_UP };

	start(m, RTM_NEWLINK, 0, &i, sizeof i);
	if (!index)
		put(m, IFLA_IFNAME, name, strlen(name) + 1);
	if (master > 0)
		put(m, IFLA_MASTER, &master, sizeof master);
	if (mac)
		put(m, IFLA_ADDRESS, mac, 6);
}

/* RTM_NEWADDR (EEXIST is the caller's to accept) or RTM_DELADDR. */
static void msg_addr(struct msg *m, uint16_t type, int index, uint32_t ip, unsigned prefix)
{
	struct ifaddrmsg a = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix, .ifa_index = (unsigned)index };
	uint32_t local = htonl(ip), bcast = htonl(ip | (prefix ? 0xffffffffu >> prefix : 0xffffffffu));

	if (prefix >= 32)
		bcast = local;
	start(m, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, &a, sizeof a);
	put(m, IFA_LOCAL, &local, 4);
	put(m, IFA_ADDRESS, &local, 4);
	if (type == RTM_NEWADDR)
		put(m, IFA_BROADCAST, &bcast, 4);
}

int cl_nl_bridge(const char *name, uint32_t ip, unsigned prefix, const uint8_t mac[6], struct cl_error *err)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	struct rtattr *info;
	struct msg m[3];
	int ret, index;

	start(&m[0], RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &i, sizeof i);
	put(&m[0], IFLA_IFNAME, name, strlen(name) + 1);
	info = put(&m[0], IFLA_LINKINFO, NULL, 0);
	put(&m[0], IFLA_INFO_KIND, "bridge", 6);
	end_nest(&m[0], info);
	ret = talk(&m[0], "create bridge", err);
	if (ret < 0 && ret != -EEXIST)
		return cl_error_wrap(err, "%s", name);
	if ((index = ifindex(name, err)) < 0)
		return cl_error_wrap(err, "%s", name);
	msg_addr(&m[1], RTM_NEWADDR, index, ip, prefix);
	/* A MAC of its own, set as `ip link set address` does (the bridge then
	 * knows it as its own): else it takes its ports' lowest, and the
	 * gateway's MAC changes under the containers as ports come and go. */
	msg_link(&m[2], index, NULL, true, 0, mac);
	if (talk_n((struct req[]){ { &m[1], "bridge address", EEXIST }, { &m[2], "bridge up", 0 } }, 2, err) < 0)
		return cl_error_wrap(err, "%s", name);
	return 0;
}

int cl_nl_veth(const char *host, int master, const char *peer, const uint8_t mac[6], int netns_fd,
	       struct cl_error *err)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *pinfo;
	struct msg m[2];

	start(&m[0], RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &i, sizeof i);
	put(&m[0], IFLA_IFNAME, host, strlen(host) + 1);
	info = put(&m[0], IFLA_LINKINFO, NULL, 0);
	put(&m[0], IFLA_INFO_KIND, "veth", 4);
	data = put(&m[0], IFLA_INFO_DATA, NULL, 0);
	pinfo = put(&m[0], VETH_INFO_PEER, &i, sizeof i);
	put(&m[0], IFLA_IFNAME, peer, strlen(peer) + 1);
	if (mac)
		put(&m[0], IFLA_ADDRESS, mac, 6);
	put(&m[0], IFLA_NET_NS_FD, &netns_fd, sizeof netns_fd);
	end_nest(&m[0], pinfo);
	end_nest(&m[0], data);
	end_nest(&m[0], info);
	msg_link(&m[1], 0, host, true, master, NULL);
	if (talk_n((struct req[]){ { &m[0], "create veth", 0 }, { &m[1], "veth up", 0 } }, 2, err) < 0) {
		struct cl_error ignored;

		cl_nl_delete(host, &ignored);
		return cl_error_wrap(err, "%s", host);
	}
	return 0;
}

int cl_nl_index(const char *name, struct cl_error *err)
{
	return ifindex(name, err);
}

int cl_nl_configure(int index, const uint8_t mac[6], uint32_t ip, unsigned prefix, uint32_t gw, struct cl_error *err)
{
	struct rtmsg r = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
			   .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
	uint32_t via = htonl(gw);
	struct msg m[3];
	struct req rs[3] = { { &m[0], "link up", 0 }, { &m[1], "address", EEXIST }, { &m[2], "default route", EEXIST } };

	/* up first: a route through gw needs the link up and the address's subnet */
	msg_link(&m[0], index, NULL, true, 0, mac);
	msg_addr(&m[1], RTM_NEWADDR, index, ip, prefix);
	start(&m[2], RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r, sizeof r);
	put(&m[2], RTA_GATEWAY, &via, 4);
	put(&m[2], RTA_OIF, &index, sizeof index);
	return talk_n(rs, gw ? 3 : 2, err);
}

int cl_nl_unconfigure(int index, uint32_t ip, unsigned prefix, struct cl_error *err)
{
	struct msg m[2];

	/* down: the kernel drops the routes through it and its neighbours */
	msg_addr(&m[0], RTM_DELADDR, index, ip, prefix);
	msg_link(&m[1], index, NULL, false, 0, NULL);
	return talk_n((struct req[]){ { &m[0], "delete address", 0 }, { &m[1], "link down", 0 } }, 2, err);
}

int cl_nl_delete(const char *ifname, struct cl_error *err)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	struct msg m;
	int index = ifindex(ifname, err);

	if (index < 0)
		return cl_error_ret(err);
	i.ifi_index = index;
	start(&m, RTM_DELLINK, 0, &i, sizeof i);
	return talk(&m, "delete link", err);
}

int cl_nl_route(uint32_t table, unsigned char type, uint32_t dst, unsigned prefix, uint32_t gw, const char *ifname,
		bool add, struct cl_error *err)
{
	struct rtmsg r = { .rtm_family = AF_INET, .rtm_dst_len = (unsigned char)prefix,
			   .rtm_table = table < 256 ? (unsigned char)table : 0, .rtm_protocol = RTPROT_BOOT,
			   .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = type };
	uint32_t to = htonl(dst), via = htonl(gw);
	struct msg m;
	int ret, index;

	start(&m, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &r, sizeof r);
	put(&m, RTA_TABLE, &table, sizeof table);
	if (prefix)
		put(&m, RTA_DST, &to, 4);
	if (gw)
		put(&m, RTA_GATEWAY, &via, 4);
	if (ifname) {
		if ((index = ifindex(ifname, err)) < 0)
			return cl_error_ret(err);
		put(&m, RTA_OIF, &index, sizeof index);
	}
	ret = talk(&m, add ? "add route" : "delete route", err);
	return add && ret == -EEXIST ? 0 : ret;
}

int cl_nl_rule(uint32_t priority, const char *iif, uint32_t table, struct cl_error *err)
{
	struct fib_rule_hdr h = { .family = AF_INET, .table = table < 256 ? (uint8_t)table : 0, .action = FR_ACT_TO_TBL };
	struct msg m;
	int ret;

	start(&m, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &h, sizeof h);
	put(&m, FRA_PRIORITY, &priority, sizeof priority);
	put(&m, FRA_TABLE, &table, sizeof table);
	if (iif)
		put(&m, FRA_IIFNAME, iif, strlen(iif) + 1);
	ret = talk(&m, "add rule", err);
	return ret == -EEXIST ? 0 : ret;
}
