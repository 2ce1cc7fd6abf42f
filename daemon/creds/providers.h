/* SPDX-License-Identifier: MIT */
/* The credential providers that need the loop (protocols.md 3.4-3.9), one file each:
 * sts.c (AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity), process.c
 * (credential_process), container.c (ECS task roles, EKS Pod Identity) and imds.c (EC2
 * instance roles).  daemon/creds.c strings them together in botocore's order.
 *
 * Async contract (STYLE 2.6), for every *_start() below: an error return means `done`
 * is never called; ECD_OK means `done` is called exactly once, from a loop callback,
 * never from inside *_start().  Failures are logged where they are detected, once,
 * never with a secret; `label` ("profile 'prod'") starts those messages. */
#ifndef ECD_CREDS_PROVIDERS_H
#define ECD_CREDS_PROVIDERS_H

#include <stdint.h>
#include <uv.h>

#include "awsconfig.h"
#include "awscreds.h"
#include "http.h"
#include "status.h"

/* creds is NULL unless st is ECD_OK; it is the provider's until done returns, and done
 * may take its content (copy the struct, then zero the original).  creds->provider is
 * botocore's method name ("assume-role", "container-role", "iam-role", ...). */
typedef void provider_done_fn(enum ecd_status st, struct aws_credentials *creds, void *ud);

/* ---- sts.c ----------------------------------------------------------------------- */

/* Where STS calls go.  url is used verbatim; signing_region signs AssumeRole. */
struct sts_endpoint {
    char *url;            /* owned */
    char *signing_region; /* owned */
};

/* Looks a key up in the identity's profile (may return NULL). */
typedef const char *sts_profile_get_fn(const char *key, void *ud);

/* A setting from the environment variable env, else the profile's key (profile_get may
 * be NULL); NULL when neither has it.  Borrowed. */
const char *creds_setting(const char *(*getenv_fn)(const char *), const char *env,
                          sts_profile_get_fn *profile_get, void *pud, const char *key);

/* The STS endpoint for region (NULL: none configured), as botocore 1.43 picks it
 * (protocols.md 3.11, 1.5): the configured endpoint of awsconfig_endpoint(cfg, "sts")
 * (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's services section, its
 * endpoint_url; none when configured endpoints are ignored); else, with no region, the
 * global https://sts.amazonaws.com signed for us-east-1; else sts[-fips].<region>.<suffix>
 * (dual-stack suffix with AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint; in
 * aws-us-gov the plain name is the FIPS one), or the global endpoint for the legacy
 * global regions when AWS_STS_REGIONAL_ENDPOINTS / sts_regional_endpoints is "legacy".
 * A configured endpoint is used as is: FIPS and dual-stack settings do not apply to it
 * (botocore 1.43).  ECD_ECONFIG (logged) for a bad setting (a services section that
 * does not exist, an unknown sts_regional_endpoints, ...), ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status sts_endpoint_resolve(const struct awsconfig *cfg, const char *region,
                                                    struct sts_endpoint *out);
void sts_endpoint_clear(struct sts_endpoint *e);

struct sts_assume_params {
    const char *label;    /* for messages */
    const char *endpoint; /* URL */
    const char *signing_region;
    const char *ca_bundle; /* NULL: system CAs */
    const char *role_arn;
    const char *session_name; /* NULL: botocore-session-<unix seconds> */
    const char *external_id;  /* NULL: not sent */
    long duration_s;          /* 0: not sent (STS default, 3600) */
    /* AssumeRole: the source credentials that sign the call (borrowed for the call). */
    const struct aws_credentials *source;
    /* AssumeRoleWithWebIdentity (then source is NULL): the token file, read now (it
     * rotates); surrounding whitespace is trimmed; the call is unsigned. */
    const char *token_file;
};
ECD_MUST_CHECK enum ecd_status sts_assume_start(struct http_client *http,
                                                const struct sts_assume_params *p,
                                                provider_done_fn *done, void *ud);

/* GetCallerIdentity signed with creds: done gets the caller's ARN and account. */
typedef void sts_identity_done_fn(enum ecd_status st, const char *arn, const char *account,
                                  void *ud);
ECD_MUST_CHECK enum ecd_status sts_identity_start(struct http_client *http, const char *endpoint,
                                                  const char *signing_region, const char *ca_bundle,
                                                  const struct aws_credentials *creds,
                                                  sts_identity_done_fn *done, void *ud);

/* ---- process.c ------------------------------------------------------------------- */

#define PROCESS_TIMEOUT_MS  60000       /* a credential_process that takes longer is killed */
#define PROCESS_STDOUT_MAX  (64 * 1024) /* more output than this is an error */
#define PROCESS_STDERR_SHOW 512         /* bytes of stderr quoted in the error */

/* Split command shell-style (POSIX shlex: quotes, backslashes; no variables, globs or
 * pipes) and run it without a shell; its stdout must be a credential_process JSON
 * document (common/credjson.h).  A non-zero exit, a signal or the timeout is an error
 * that quotes the start of its stderr.  ECD_ECONFIG (logged) for a command that does not
 * split (unclosed quote) or is empty. */
struct process_run;
ECD_MUST_CHECK enum ecd_status process_start(uv_loop_t *loop, const char *label,
                                             const char *command, unsigned timeout_ms,
                                             provider_done_fn *done, void *ud,
                                             struct process_run **out);
/* Kill a running credential_process (SIGKILL): done then gets ECD_ECANCELED.  *out of
 * process_start() is valid until done is called; calling this after that is a bug. */
void process_cancel(struct process_run *p);

/* Split s as Python's shlex.split(s) (POSIX mode, no comments).  *argv_out is a
 * NULL-terminated malloc'ed array of malloc'ed words, freed with process_argv_free().
 * ECD_ECONFIG for an unclosed quote or a trailing backslash (*why set), ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status process_split(const char *s, char ***argv_out, const char **why);
void process_argv_free(char **argv);

/* ---- container.c ----------------------------------------------------------------- */

/* AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2<uri>) or, when only it is
 * set, AWS_CONTAINER_CREDENTIALS_FULL_URI (any https:// URL; http:// only to a loopback
 * address or 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost).  Authorization:
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call) else
 * AWS_CONTAINER_AUTHORIZATION_TOKEN, refused when it holds CR or LF.  2 s timeout, 3
 * attempts 1 s apart, as botocore.  ECD_ECONFIG (logged, no callback) for a forbidden
 * host or a bad token; failures later are ECD_EAUTH/ECD_ETRANSPORT/ECD_EPROTO. */
int container_configured(const char *(*getenv_fn)(const char *));
ECD_MUST_CHECK enum ecd_status container_start(struct http_client *http,
                                               const char *(*getenv_fn)(const char *),
                                               provider_done_fn *done, void *ud);

/* ---- imds.c ---------------------------------------------------------------------- */

struct imds_settings {
    int disabled;    /* AWS_EC2_METADATA_DISABLED=true */
    char *endpoint;  /* owned; base URL with a trailing '/' */
    int v1_disabled; /* AWS_EC2_METADATA_V1_DISABLED / ec2_metadata_v1_disabled */
    long timeout_ms; /* AWS_METADATA_SERVICE_TIMEOUT (seconds), default 1 s */
    int attempts;    /* AWS_METADATA_SERVICE_NUM_ATTEMPTS, default 1 */
};

/* From the environment and the profile (profile_get as for sts_endpoint_resolve):
 * AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT /
 * ec2_metadata_service_endpoint, ..._ENDPOINT_MODE / ec2_metadata_service_endpoint_mode
 * (IPv4: http://169.254.169.254/, IPv6: http://[fd00:ec2::254]/), and the rest above.
 * ECD_ECONFIG (logged) for a bad mode or number, ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status imds_settings_load(const char *(*getenv_fn)(const char *),
                                                  sts_profile_get_fn *profile_get, void *pud,
                                                  struct imds_settings *out);
void imds_settings_clear(struct imds_settings *s);

/* The IMDSv2 session token between fetches, for one endpoint: a token is asked for
 * with a TTL of IMDS_TOKEN_TTL_S and reused until IMDS_TOKEN_EARLY_S before that TTL
 * ends; a GET answered 401 drops it and gets a new one, once.  The owner (the
 * credential chain) keeps it alive while a fetch that uses it runs, and clears it
 * (the token is wiped) when done with it. */
#define IMDS_TOKEN_TTL_S   21600    /* what botocore and the SDKs ask for: 6 h */
#define IMDS_TOKEN_EARLY_S (5 * 60) /* get a new one this long before the TTL ends */
struct imds_token_cache {
    char *endpoint;         /* owned; the endpoint that gave the token; NULL: empty */
    struct secret token;    /* owned; wiped */
    uint64_t good_until_ms; /* CLOCK_MONOTONIC ms: reuse the token until then */
};
void imds_token_cache_clear(struct imds_token_cache *c);

/* IMDSv2 (token PUT, TTL 21600, or the cached token), falling back to v1 per
 * protocols.md 3.9 unless v1 is disabled; role discovery; the role's credentials.
 * Credentials that expire within 15 min get botocore's static-stability extension
 * (15 min + 2..10 min from now).  Any failure is ECD_EAUTH ("no credentials from
 * instance metadata", botocore returns None there): the chain ends with a clear error,
 * not a hang.  cache: borrowed, must outlive the fetch; NULL: a token per fetch. */
ECD_MUST_CHECK enum ecd_status imds_creds_start(struct http_client *http,
                                                const struct imds_settings *s,
                                                struct imds_token_cache *cache,
                                                provider_done_fn *done, void *ud);

/* The instance's region (GET /latest/meta-data/placement/region, same token rules).
 * region is borrowed for the call; NULL unless st is ECD_OK. */
typedef void imds_region_done_fn(enum ecd_status st, const char *region, void *ud);
ECD_MUST_CHECK enum ecd_status imds_region_start(struct http_client *http,
                                                 const struct imds_settings *s,
                                                 struct imds_token_cache *cache,
                                                 imds_region_done_fn *done, void *ud);

#endif
