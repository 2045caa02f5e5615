/* /hello: the only file in Dockyard's hello-world image. It prints what it
 * took to get here, then exits 0. Static i386 against musl (see Makefile). */
#include <errno.h>
#include <unistd.h>

static const char message[] =
	"\n"
	"Hello from Dockyard!\n"
	"\n"
	"If you can read this, containers work in this browser tab. Here is the\n"
	"path this message took:\n"
	"\n"
	"  - The \"hello-world\" image came from Dockyard's bundled registry: static\n"
	"    files served with the page, every one checked against its sha256\n"
	"    digest before use. Nothing was downloaded from Docker Hub.\n"
	"  - A container was created from it on the one Linux kernel that runs in\n"
	"    the x86 emulator inside your tab, with namespaces of its own for\n"
	"    processes, mounts, the network and more.\n"
	"  - /hello wrote these lines to its standard output, and Dockyard streamed\n"
	"    them back to your terminal.\n"
	"\n"
	"Next, try a shell inside a busybox container:\n"
	"\n"
	"  $ docker run -it busybox sh\n"
	"\n";

int main(void)
{
	const char *p = message;
	size_t left = sizeof message - 1;

	while (left > 0) {
		ssize_t n = write(STDOUT_FILENO, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}
