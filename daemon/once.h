/* SPDX-License-Identifier: MIT */
/* One refresh of everything (--once): every group's token is fetched (with the ECR
 * client's quick retries), then every token obtained goes to every sink.  A failed
 * fetch never reaches a sink, and a failing sink never holds up another. */
#ifndef ECD_ONCE_H
#define ECD_ONCE_H

#include <stddef.h>

#include "plan.h"
#include "status.h"

struct once_result {
    size_t groups_ok, groups_failed; /* token fetches */
    size_t sinks_ok, sinks_failed;   /* sink pushes (none when nothing was fetched) */
};

typedef void once_done_fn(const struct once_result *res, void *ud);

struct once;

/* Start the cycle on p (borrowed; must outlive it); done runs once, from the loop. */
ECD_MUST_CHECK enum ecd_status once_start(struct plan *p, once_done_fn *done, void *ud,
                                          struct once **out);
void once_free(struct once *o); /* after done ran; NULL is fine */

#endif
