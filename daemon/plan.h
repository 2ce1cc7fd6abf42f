/* SPDX-License-Identifier: MIT */
/* The plan built from a configuration: the identities (credential chains), the fetch
 * groups (one GetAuthorizationToken per identity and region, listing every registry
 * id of that pair, at most 10 per call) and the configured sinks.  Building a plan
 * checks everything a configuration can get wrong, so a reload can build one aside
 * and swap it in only when it is valid.
 *
 * plan_fetch_start() runs one group's fetch: credentials, then the ECR call.  It
 * follows the async contract (STYLE 2.6). */
#ifndef ECD_PLAN_H
#define ECD_PLAN_H

#include <stddef.h>
#include <time.h>
#include <uv.h>

#include "buf.h"
#include "config.h"
#include "sink.h"
#include "status.h"
#include "token.h"

#define PLAN_MAX_IDS_PER_CALL 10 /* the API's limit on registryIds */

struct creds_chain;
struct http_client;
struct plan_fetch;

struct plan_identity {
    char *profile;             /* owned; NULL: AWS_PROFILE/default */
    char *role_arn;            /* owned; NULL: the profile's own identity */
    char *external_id;         /* owned; may be NULL */
    char *role_session_name;   /* owned; may be NULL */
    struct creds_chain *chain; /* owned */
};

struct plan_group {
    size_t ident;     /* index into plan.idents */
    struct buf label; /* owned: "registries[0]" or "registries[0], registries[2]" */
    char *region;     /* owned */
    char *endpoint;   /* owned */
    const char *ids[PLAN_MAX_IDS_PER_CALL]; /* borrowed from plan.cfg */
    size_t n_ids;                           /* 0: the caller's own registry */
    int is_public; /* ECR Public: its own endpoint and response, host public.ecr.aws */
    int fips;      /* registry hosts spelled dkr.ecr-fips: the FIPS API endpoint */
    int dualstack; /* registry hosts spelled dkr-ecr...on.aws: the dual-stack endpoint */
    /* Registry hosts configured under a spelling ECR's proxyEndpoint does not use (FIPS,
     * dual-stack): written with the same token as their account's entry.  Owned. */
    char *extra_hosts[PLAN_MAX_IDS_PER_CALL];
    size_t n_extra_hosts;
};

struct plan {
    uv_loop_t *loop;          /* borrowed */
    struct http_client *http; /* borrowed */
    struct config *cfg;       /* owned */
    const char *(*getenv_fn)(const char *);
    struct sink_env env;          /* sinks borrow it */
    struct plan_identity *idents; /* owned */
    size_t n_idents;
    struct plan_group *groups; /* owned */
    size_t n_groups;
    struct sink **sinks; /* owned */
    size_t n_sinks;
};

/* Build a plan; takes cfg (freed on failure too).  Problems are logged; ECD_ECONFIG
 * for anything the user must fix. */
ECD_MUST_CHECK enum ecd_status plan_new(uv_loop_t *loop, struct http_client *http,
                                        struct config *cfg, const char *(*getenv_fn)(const char *),
                                        enum sink_mode mode, struct plan **out);
/* Not while a fetch or a sink push of this plan is pending.  NULL is fine. */
void plan_free(struct plan *p);
/* Whether two identities (of two plans, say) are the same profile and role settings. */
int plan_identity_same(const struct plan_identity *a, const struct plan_identity *b);
/* Print what the plan would do to stdout (for --check). */
void plan_describe(const struct plan *p);

/* One group's fetch finished: ts is a new reference for the callee (NULL on failure);
 * creds_expiration is when the AWS credentials used expire (0: they do not). */
typedef void plan_fetch_done_fn(enum ecd_status st, struct token_set *ts, time_t creds_expiration,
                                void *ud);

struct plan_fetch_opts {
    int fail_prio;    /* log priority of a final failure (0: LOG_ERR) */
    int max_attempts; /* quick retries inside the fetch (0: the ECR client's default) */
};

ECD_MUST_CHECK enum ecd_status plan_fetch_start(struct plan *p, size_t group,
                                                const struct plan_fetch_opts *opts,
                                                plan_fetch_done_fn *done, void *ud,
                                                struct plan_fetch **out);
/* End a pending fetch; its done then runs with ECD_ECANCELED. */
void plan_fetch_cancel(struct plan_fetch *f);

#endif
