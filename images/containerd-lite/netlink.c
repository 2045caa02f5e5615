#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
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

/* Sends m and reads its ack; -errno of a refused request. */
static int talk(struct msg *m, const char *what, struct cl_error *err)
{
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t buf[1024] __attribute__((aligned(4)));
	ssize_t n;
	int len;

	if (fd < 0)
		return cl_fail(err, errno, "%s: netlink socket", what);
	m->h.nlmsg_seq = 1;
	if (sendto(fd, &m->h, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return cl_fail(err, errno, "%s: netlink send", what);
	for (;;) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cl_fail(err, errno, "%s: netlink receive", what);
		len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return cl_fail(err, -e->error, "%s", what);
				return 0;
			}
	}
}

static int ifindex(const char *name, struct cl_error *err)
{
	unsigned i = if_nametoindex(name);

	if (!i)
		return cl_fail(err, errno, "network interface `%s`", name);
	return (int)i;
}

static int link_up(int index, int master, const char *what, struct cl_error *err)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct msg m;

	start(&m, RTM_NEWLINK, 0, &i, sizeof i);
	if (master > 0)
		put(&m, IFLA_MASTER, &master, sizeof master);
	return talk(&m, what, err);
}

static int add_addr(int index, uint32_t ip, unsigned prefix, const char *what, struct cl_error *err)
{
	struct ifaddrmsg a = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix, .ifa_index = (unsigned)index };
	uint32_t local = htonl(ip), bcast = htonl(ip | (prefix ? 0xffffffffu >> prefix : 0xffffffffu));
	struct msg m;
	int ret;

	if (prefix >= 32)
		bcast = local;
	start(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &a, sizeof a);
	put(&m, IFA_LOCAL, &local, 4);
	put(&m, IFA_ADDRESS, &local, 4);
	put(&m, IFA_BROADCAST, &bcast, 4);
	ret = talk(&m, what, err);
	return ret == -EEXIST ? 0 : ret;
}

int cl_nl_bridge(const char *name, uint32_t ip, unsigned prefix, struct cl_error *err)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	struct rtattr *info;
	struct msg m;
	int ret, index;

	start(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &i, sizeof i);
	put(&m, IFLA_IFNAME, name, strlen(name) + 1);
	info = put(&m, IFLA_LINKINFO, NULL, 0);
	put(&m, IFLA_INFO_KIND, "bridge", 6);
	end_nest(&m, info);
	ret = talk(&m, "create bridge", err);
	if (ret < 0 && ret != -EEXIST)
		return cl_error_wrap(err, "%s", name);
	if ((index = ifindex(name, err)) < 0 || add_addr(index, ip, prefix, "bridge address", err) < 0 ||
	    link_up(index, 0, "bridge up", err) < 0)
		return cl_error_wrap(err, "%s", name);
	return 0;
}

int cl_nl_veth(const char *host, const char *master, const char *peer, const uint8_t mac[6], int netns_fd,
	       struct cl_error *err)
{
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *pinfo;
	struct msg m;
	int br, index;

	start(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &i, sizeof i);
	put(&m, IFLA_IFNAME, host, strlen(host) + 1);
	info = put(&m, IFLA_LINKINFO, NULL, 0);
	put(&m, IFLA_INFO_KIND, "veth", 4);
	data = put(&m, IFLA_INFO_DATA, NULL, 0);
	pinfo = put(&m, VETH_INFO_PEER, &i, sizeof i);
	put(&m, IFLA_IFNAME, peer, strlen(peer) + 1);
	put(&m, IFLA_ADDRESS, mac, 6);
	put(&m, IFLA_NET_NS_FD, &netns_fd, sizeof netns_fd);
	end_nest(&m, pinfo);
	end_nest(&m, data);
	end_nest(&m, info);
	if (talk(&m, "create veth", err) < 0)
		return cl_error_wrap(err, "%s", host);
	if ((br = ifindex(master, err)) < 0 || (index = ifindex(host, err)) < 0 ||
	    link_up(index, br, "veth up", err) < 0) {
		struct cl_error ignored;

		cl_nl_delete(host, &ignored);
		return cl_error_wrap(err, "%s", host);
	}
	return 0;
}

int cl_nl_configure(const char *ifname, uint32_t ip, unsigned prefix, uint32_t gw, struct cl_error *err)
{
	int index = ifindex(ifname, err);

	if (index < 0 || add_addr(index, ip, prefix, "address", err) < 0 || link_up(index, 0, "link up", err) < 0)
		return cl_error_wrap(err, "%s", ifname);
	if (gw) {
		struct rtmsg r = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
				   .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
		uint32_t via = htonl(gw);
		struct msg m;
		int ret;

		start(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r, sizeof r);
		put(&m, RTA_GATEWAY, &via, 4);
		put(&m, RTA_OIF, &index, sizeof index);
		ret = talk(&m, "default route", err);
		if (ret < 0 && ret != -EEXIST)
			return cl_error_wrap(err, "%s", ifname);
	}
	return 0;
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
