/* SPDX-License-Identifier: MIT */
/* The ECR client: one GetAuthorizationToken call (AWS JSON 1.1, SigV4-signed), with
 * a few quick retries for throttling, server errors and dropped connections, and one
 * re-signed retry when AWS reports clock skew.  Works for ECR private (optional
 * registryIds) and ECR Public.  Failures are logged here, once, with the label. */
#ifndef ECD_ECR_H
#define ECD_ECR_H

#include <stddef.h>
#include <uv.h>

#include "awscreds.h"
#include "status.h"
#include "token.h"

struct http_client;
struct ecr_fetch;

struct ecr_fetch_opts {
    const char *label;               /* for messages: "registries[0]" */
    const char *region;              /* signing region (ECR Public: us-east-1) */
    const char *endpoint;            /* full URL, e.g. https://api.ecr.eu-west-1.amazonaws.com */
    int is_public;                   /* ECR Public (SpencerFrontendService, single object) */
    const char *public_host;         /* ECR Public: the host to write ("public.ecr.aws") */
    const char *const *registry_ids; /* at most 10 (the API's limit) */
    size_t n_registry_ids;
    const struct aws_credentials *creds; /* copied */
    const char *ca_bundle;               /* NULL: system CAs */
    int max_attempts;                    /* 0: 3 */
    long timeout_ms;                     /* per attempt; 0: 15000 */
    int fail_prio;                       /* log priority of the final failure; 0: LOG_ERR */
};

/* ts: a new reference for the callee on success, NULL on failure. */
typedef void ecr_done_fn(enum ecd_status st, struct token_set *ts, void *ud);

ECD_MUST_CHECK enum ecd_status ecr_fetch_start(uv_loop_t *loop, struct http_client *http,
                                               const struct ecr_fetch_opts *opts, ecr_done_fn *done,
                                               void *ud, struct ecr_fetch **out);
/* End a pending fetch; done then runs with ECD_ECANCELED. */
void ecr_fetch_cancel(struct ecr_fetch *f);

/* The endpoint for a region, from the environment's overrides
 * (AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL_ECR_PUBLIC, then AWS_ENDPOINT_URL, unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true) or the partition's rules, FIPS and
 * dual-stack when asked (`fips`, `dualstack`: a registry host spelled that way) or set
 * in the environment (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT).  *out is
 * malloc'ed. */
ECD_MUST_CHECK enum ecd_status ecr_endpoint(const char *(*getenv_fn)(const char *),
                                            const char *region, int is_public, int fips,
                                            int dualstack, char **out);

#endif
