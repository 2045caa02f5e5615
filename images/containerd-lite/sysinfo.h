/* Facts about the running system, for HELLO and the `info` op. */
#ifndef CL_SYSINFO_H
#define CL_SYSINFO_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A field of /proc/meminfo ("MemAvailable"), in kB. */
int cl_sys_meminfo_kb(const char *field, uint64_t *kb, struct cl_error *err);

/* MemTotal of /proc/meminfo, in kB. */
int cl_sys_mem_total_kb(uint64_t *kb, struct cl_error *err);

/* PRETTY_NAME of /etc/os-release (or /usr/lib/os-release), unquoted;
 * "Linux" when neither file names one, as os-release(5) prescribes. */
void cl_sys_os_pretty_name(char *buf, size_t size);

/* Time since boot (CLOCK_BOOTTIME), in milliseconds. */
int cl_sys_uptime_ms(uint64_t *ms, struct cl_error *err);

/* Online CPUs (at least 1). */
long cl_sys_ncpu(void);

#endif
