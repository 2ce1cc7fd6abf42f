/* SPDX-License-Identifier: MIT */
/* What the health listener reports, kept by the scheduler (daemon.c) through a few
 * calls where fetches and pushes end: per fetch group its latest token's hosts and
 * expiry and whether its refresh is failing; per sink the expiry of what it holds for
 * each registry host and its last successful push; counters of refreshes and of
 * failures by kind.  No secret is ever stored: only host names, names and times.
 *
 * metrics_health() and metrics_render() are pure functions of that state and a
 * given time, so they are tested without a loop or a listener.  Not thread-safe
 * (the loop is single-threaded). */
#ifndef ECD_METRICS_H
#define ECD_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "status.h"
#include "token.h"

struct metrics;
struct plan;

ECD_MUST_CHECK enum ecd_status metrics_new(struct metrics **out);
void metrics_free(struct metrics *m); /* NULL is fine */

/* A plan came into use (start, reload): its groups and sinks, by index.  Sinks and
 * groups keep what they had under the same name or label (counters, holdings);
 * the rest is dropped.  Group tokens start unknown: call metrics_group_token()
 * for tokens the reload carried over. */
ECD_MUST_CHECK enum ecd_status metrics_set_plan(struct metrics *m, const struct plan *p);
/* A carried-over token of group i (reload), without counting a refresh. */
void metrics_group_token(struct metrics *m, size_t group, const struct token_set *ts, int failing);

/* A fetch of group i ended: st == ECD_OK with ts (borrowed), or a failure counted
 * under its kind (ECD_ECANCELED is not a failure and is ignored). */
void metrics_fetched(struct metrics *m, size_t group, enum ecd_status st,
                     const struct token_set *ts, double now);
/* A push to sink i ended: on ECD_OK the sink now holds sets[0..n) (borrowed). */
void metrics_pushed(struct metrics *m, size_t sink, enum ecd_status st,
                    struct token_set *const *sets, size_t n, double now);

/* Whether every group has credentials and every sink holds them for every registry
 * host, expiring later than now + stale_before_s.  Each problem is appended to out
 * as one line (without secrets), e.g.
 *   sink docker-0: 123456789012.dkr.ecr.us-east-1.amazonaws.com expires in 4m
 *   (refresh failing: throttled)
 * Returns 1 when healthy, 0 when not, -1 when out ran out of room. */
int metrics_health(const struct metrics *m, double now, double stale_before_s, struct buf *out);

/* The Prometheus text exposition (format 0.0.4) of everything above, at time now. */
ECD_MUST_CHECK enum ecd_status metrics_render(const struct metrics *m, double now,
                                              double stale_before_s, struct buf *out);

#endif
