#include "uplink.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include "cleanup.h"
#include "netlink.h"
#include "rtnl.h"

int cl_uplink_isolate(uint32_t subnet, unsigned prefix, bool add, struct cl_error *err)
{
	return cl_nl_route(CL_UPLINK_TABLE, RTN_PROHIBIT, subnet, prefix, 0, NULL, add, err);
}

static int forwarding_on(struct cl_error *err)
{
	const char *path = "/proc/sys/net/ipv4/ip_forward";
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "1\n", 2) != 2)
		return cl_fail(err, errno, "`%s`", path);
	return 0;
}

bool cl_uplink_init(void)
{
	struct cl_error e = { 0 };
	unsigned index = if_nametoindex(CL_UPLINK_IFNAME);

	if (!index)
		return false; /* a VM without the NIC */
	/* the VM's own default route (and --network host's) in main; what it
	 * forwards for containers in CL_UPLINK_TABLE */
	if (cl_nl_configure((int)index, NULL, CL_UPLINK_SELF, CL_UPLINK_PREFIX, CL_UPLINK_HOST, &e) < 0 ||
	    cl_nl_route(CL_UPLINK_TABLE, RTN_UNICAST, 0, 0, CL_UPLINK_HOST, CL_UPLINK_IFNAME, true, &e) < 0 ||
	    cl_nl_rule(100, "lo", RT_TABLE_MAIN, &e) < 0 || cl_nl_rule(101, CL_UPLINK_IFNAME, RT_TABLE_MAIN, &e) < 0 ||
	    cl_nl_rule(102, NULL, CL_UPLINK_TABLE, &e) < 0 || forwarding_on(&e) < 0) {
		cl_log("uplink: %s", e.msg);
		return false;
	}
	return true;
}
