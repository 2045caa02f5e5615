#include <stdio.h>
#include <stdlib.h>

#include "t.h"

int t_failures;
const char *t_daemon;
static int passed, failed;

/* Suites not (yet) declared in t.h. */
void suite_sha256(void);
void suite_runtime(void);
void suite_mounts(void);
void suite_fsutil(void);
void suite_containers(void);
void suite_layertar(void);

void t_run(const char *name, void (*fn)(void))
{
	t_failures = 0;
	fn();
	if (t_failures) {
		failed++;
		fprintf(stderr, "FAIL %s\n", name);
	} else {
		passed++;
		printf("ok   %s\n", name);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	t_daemon = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	suite_crc32();
	suite_frame();
	suite_attrs();
	suite_reasm();
	suite_channel();
	suite_e2e();
	suite_sha256();
	suite_runtime();
	suite_mounts();
	suite_fsutil();
	suite_containers();
	suite_layertar();
	suite_dns();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
