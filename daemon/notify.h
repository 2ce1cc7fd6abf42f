/* SPDX-License-Identifier: MIT */
/* The systemd notification protocol (sd_notify(3)) as the daemon uses it.  Every call
 * is a no-op when NOTIFY_SOCKET is unset, so the daemon runs the same way from a
 * shell, a container or a Type=notify unit. */
#ifndef ECD_NOTIFY_H
#define ECD_NOTIFY_H

#include <stdint.h>

void notify_ready(const char *status); /* READY=1 and STATUS= */
/* STATUS=, sent when the line changed or when `always` (after each refresh, so a
 * reader sees every one even when the line reads the same). */
void notify_status(const char *status, int always);
void notify_reloading(void); /* RELOADING=1 and MONOTONIC_USEC= */
void notify_stopping(void);  /* STOPPING=1 */
void notify_watchdog(void);  /* WATCHDOG=1 */
/* 1 and the interval when systemd expects watchdog pings for this process. */
int notify_watchdog_usec(uint64_t *usec);

#endif
