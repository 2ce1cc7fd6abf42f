/* SPDX-License-Identifier: MIT */
/* sd_notify wrappers; see notify.h.  Failures to notify are not errors for the
 * daemon's job: sd_notify's result is deliberately ignored, with a debug line. */
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

static char last_status[512];

static void notify_send(const char *msg)
{
    int rc = sd_notify(0, msg);

    if (rc < 0)
        log_debug("sd_notify: %s", strerror(-rc));
}

void notify_ready(const char *status)
{
    snprintf(last_status, sizeof(last_status), "%s", status);
    (void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_status(const char *status, int always)
{
    if (!always && !strcmp(status, last_status))
        return;
    snprintf(last_status, sizeof(last_status), "%s", status);
    (void)sd_notifyf(0, "STATUS=%s", status);
}

void notify_reloading(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    (void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
                     (unsigned long long)ts.tv_sec * 1000000ULL +
                         (unsigned long long)ts.tv_nsec / 1000ULL);
}

void notify_stopping(void)
{
    notify_send("STOPPING=1");
}

void notify_watchdog(void)
{
    notify_send("WATCHDOG=1");
}

int notify_watchdog_usec(uint64_t *usec)
{
    return sd_watchdog_enabled(0, usec) > 0;
}
