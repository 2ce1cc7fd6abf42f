/* SPDX-License-Identifier: MIT */
/* The optional HTTP listener ("health" in the configuration): GET or HEAD of
 * /healthz (200 "ok" while every sink holds fresh credentials for every registry,
 * else 503 with one line per problem) and /metrics (Prometheus text format 0.0.4).
 * Other paths get 404, other methods 405; libmicrohttpd parses HTTP and answers
 * malformed or oversized requests with 4xx itself.  It runs on the daemon's libuv
 * loop without threads.  Built only with the meson feature `health`; without it,
 * health_apply() refuses a configured listener. */
#ifndef ECD_HEALTH_H
#define ECD_HEALTH_H

#include <uv.h>

#include "config.h"
#include "metrics.h"
#include "status.h"

struct health;

/* Make *hp serve cfg: start a listener (*hp NULL), keep the running one when the
 * listen address is the same (only stale_before changes), bind the new address and
 * close the old one when it differs, close it when cfg->listen is NULL.  m is
 * borrowed and must outlive the listener.  Failures are logged; on failure *hp is
 * what it was (ECD_EIO: cannot bind; ECD_ECONFIG: built without health support). */
ECD_MUST_CHECK enum ecd_status health_apply(struct health **hp, uv_loop_t *loop, struct metrics *m,
                                            const struct config_health *cfg);
/* Stop listening at once (open connections are dropped); the memory goes in the
 * loop's close callbacks, so run the loop afterwards.  NULL is fine. */
void health_close(struct health *h);

#endif
