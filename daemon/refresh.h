/* SPDX-License-Identifier: MIT */
/* One refresh cycle: resolve each identity's credentials, fetch one token per
 * (identity, region) group, then push every token obtained to every sink.  A failed
 * fetch never reaches a sink (good credentials already there stay), and a failing
 * sink never holds up another.  --once runs one cycle; the daemon will schedule them. */
#ifndef ECD_REFRESH_H
#define ECD_REFRESH_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "status.h"

struct http_client;
struct refresh;

struct refresh_result {
    size_t groups_ok, groups_failed; /* token fetches */
    size_t sinks_ok, sinks_failed;   /* sink pushes (0 when nothing was fetched) */
};

typedef void refresh_done_fn(const struct refresh_result *res, void *ud);

/* Build identities, fetch groups and sinks from cfg (borrowed; must outlive r).
 * Configuration problems are logged and give ECD_ECONFIG. */
ECD_MUST_CHECK enum ecd_status refresh_new(uv_loop_t *loop, struct http_client *http,
                                           const struct config *cfg,
                                           const char *(*getenv_fn)(const char *),
                                           struct refresh **out);
/* One cycle; done runs once from the loop. */
ECD_MUST_CHECK enum ecd_status refresh_run(struct refresh *r, refresh_done_fn *done, void *ud);
/* Print what a cycle would do (identities, endpoints, sinks) to stdout. */
void refresh_describe(const struct refresh *r);
void refresh_free(struct refresh *r); /* not while a cycle runs; NULL is fine */

#endif
