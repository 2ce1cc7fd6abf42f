/* SPDX-License-Identifier: MIT */
/* AWS credentials for one identity (a profile, or the default chain, optionally
 * assuming a role the configuration names), resolved the way botocore 1.43 does
 * (protocols.md section 3), in its order:
 *
 *   env -> assume-role (role_arn with source_profile or credential_source) ->
 *   assume-role-with-web-identity -> (sso, login: refused, "not supported") ->
 *   shared-credentials-file -> custom-process (credential_process) -> config-file ->
 *   container-role (ECS / EKS Pod Identity) -> iam-role (EC2 instance metadata)
 *
 * Errors botocore treats as fatal (partial keys, a missing profile, a source_profile
 * cycle, a container endpoint on a forbidden host, a failing credential_process, STS
 * refusing) stop the chain; instance metadata that cannot be reached ends it with
 * "no credentials".
 *
 * The shared files are read again for every resolution, on libuv's thread pool, so
 * keys rotated on disk are used.  Credentials that expire are cached: a get returns
 * them until 15 min before expiry (advisory window); inside it a refresh is attempted
 * and, if it fails, the current ones are still returned (with a warning) until 10 min
 * before expiry (mandatory window), after which a failure is an error.  Concurrent
 * gets share one refresh.  Instance-role credentials get botocore's static stability:
 * a failed refresh keeps them a few more minutes.  The chain keeps its IMDSv2 session
 * token between fetches (asked for with a 6 h TTL, renewed 5 min before it ends, or
 * after a 401), and wipes it when freed.
 *
 * Every function taking `done` follows the async contract (STYLE 2.6): an error return
 * means done is never called; ECD_OK means done is called exactly once, from a loop
 * callback, never from inside the call. */
#ifndef ECD_CREDS_H
#define ECD_CREDS_H

#include <time.h>
#include <uv.h>

#include "awscreds.h"
#include "status.h"

struct creds_chain;
struct http_client;

/* creds: borrowed for the call; NULL unless st is ECD_OK.  Failures were logged. */
typedef void creds_done_fn(enum ecd_status st, const struct aws_credentials *creds, void *ud);

struct creds_options {
    const char *profile; /* NULL: AWS_DEFAULT_PROFILE, AWS_PROFILE, default */
    /* NULL: the process environment.  Borrowed: must outlive the chain. */
    const char *(*getenv_fn)(const char *);
    /* A registry's own identity (config "role_arn", "external_id", "role_session_name"):
     * AssumeRole with the profile's (or default chain's) credentials as the source.
     * NULL: none.  Copied. */
    const char *role_arn;
    const char *external_id;
    const char *role_session_name;
    /* The region STS calls use (config "region"); NULL: creds_chain_region()'s answer,
     * none at all meaning the global endpoint, as botocore.  Copied. */
    const char *region;
    struct http_client *http; /* borrowed; NULL: the chain makes and owns one */
    /* The refresh windows in seconds before expiry; 0: 900 and 600 (tests shrink them). */
    long advisory_s;
    long mandatory_s;
};

/* Check the identity's configuration now (profile exists, files parse), so that
 * config errors surface at start-up.  ECD_ECONFIG (logged) also for a role_arn or
 * external_id that breaks STS's rules, ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status
creds_chain_new_opts(uv_loop_t *loop, const struct creds_options *opts, struct creds_chain **out);
/* The same with only a profile and an environment: the original entry point. */
ECD_MUST_CHECK enum ecd_status creds_chain_new(uv_loop_t *loop, const char *profile,
                                               const char *(*getenv_fn)(const char *),
                                               struct creds_chain **out);
/* The region this identity's configuration names (options region, AWS_REGION,
 * AWS_DEFAULT_REGION, the profile's region); *out NULL when none.  Instances can then
 * ask the metadata service with creds_chain_imds_region(). */
ECD_MUST_CHECK enum ecd_status creds_chain_region(struct creds_chain *c, char **out);
ECD_MUST_CHECK enum ecd_status creds_chain_get(struct creds_chain *c, creds_done_fn *done,
                                               void *ud);

/* The identity's shared-file configuration as read when the chain was made (its
 * profile, files and environment), for the settings other clients of the identity
 * follow, like the ECR endpoint (awsconfig_endpoint()).  Borrowed: lives as long as
 * the chain. */
struct awsconfig;
const struct awsconfig *creds_chain_config(const struct creds_chain *c);

/* The instance's region from EC2 instance metadata (placement/region), for instance
 * users whose configuration names none: the last step of the documented order.
 * region is borrowed for the call; NULL unless st is ECD_OK.  ECD_EAUTH (no callback)
 * when AWS_EC2_METADATA_DISABLED is true. */
typedef void creds_region_fn(enum ecd_status st, const char *region, void *ud);
ECD_MUST_CHECK enum ecd_status creds_chain_imds_region(struct creds_chain *c, creds_region_fn *done,
                                                       void *ud);

/* What --check prints for an identity: never a secret. */
struct creds_identity {
    const char *provider;      /* botocore's method name: "env", "assume-role", ... */
    const char *access_key_id; /* not secret */
    time_t expiration;         /* 0: does not expire */
    const char *arn;           /* sts:GetCallerIdentity Arn */
    const char *account;       /* and Account (may be NULL) */
};
typedef void creds_describe_fn(enum ecd_status st, const struct creds_identity *id, void *ud);
/* Resolve the credentials, then ask STS who they belong to (GetCallerIdentity, signed,
 * at the identity's STS endpoint).  id is borrowed for the call; NULL unless ECD_OK. */
ECD_MUST_CHECK enum ecd_status creds_chain_describe(struct creds_chain *c, creds_describe_fn *done,
                                                    void *ud);

/* Pending gets end with ECD_ECANCELED, from the loop (a running credential_process is
 * killed; a request on a borrowed HTTP client first runs to its end or timeout); a pending describe
 * must not be left behind.  A chain that made its own HTTP client closes it: run the loop
 * afterwards until it drains.  NULL is fine. */
void creds_chain_free(struct creds_chain *c);

#endif
