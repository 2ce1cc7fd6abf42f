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

/* The GetAuthorizationToken endpoint for a region and an identity's configuration
 * (cfg: its profile, files and environment; see awsconfig_endpoint()): the configured
 * endpoint for "ecr" or "ecr_public" (AWS_ENDPOINT_URL_ECR / _ECR_PUBLIC,
 * AWS_ENDPOINT_URL, the profile's services section, its endpoint_url; none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls is true), else
 * the partition's endpoint: FIPS and dual-stack when the registry host is spelled that
 * way (`fips`, `dualstack`) or when AWS_USE_FIPS_ENDPOINT / use_fips_endpoint,
 * AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint say so.  ECR Public is always
 * https://api.ecr-public.us-east-1.amazonaws.com unless configured otherwise (its auth
 * API lives only there; FIPS and dual-stack settings are not applied to it).  A
 * configured endpoint is used as is, FIPS and dual-stack settings notwithstanding (as
 * botocore 1.43 does; a notice says so).  *out is malloc'ed.  ECD_ECONFIG (logged) for
 * a bad region or services setting, a partition without dual-stack; ECD_ENOMEM. */
struct awsconfig;
ECD_MUST_CHECK enum ecd_status ecr_endpoint(const struct awsconfig *cfg, const char *region,
                                            int is_public, int fips, int dualstack, char **out);

#endif
