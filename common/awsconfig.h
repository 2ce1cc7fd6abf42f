/* SPDX-License-Identifier: MIT */
/* The part of the AWS credential chain that lives in the environment and the shared
 * files, resolved exactly as botocore 1.43 does (docs: protocols.md section 3):
 * profile selection, file locations, the merged settings of a profile, the static-key
 * providers ("env", "shared-credentials-file", "config-file"), and which provider of
 * the chain a profile selects when it needs more than static keys (assume role, web
 * identity, SSO, login, credential_process), so that those providers can slot in.
 *
 * Profile name: the caller's override, else AWS_DEFAULT_PROFILE, else AWS_PROFILE (set
 * but empty counts as set), else "default".  As in botocore, an override (like
 * `aws --profile` or boto3.Session(profile_name=)) switches the environment-variable
 * credentials off, and a profile named explicitly (override or variable, even
 * "default") must exist in one of the files.
 *
 * Files: AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (default
 * ~/.aws/credentials), with ~ and $VARS expanded; set but empty means no file.  In the
 * config file a profile is [default] or [profile NAME] (NAME may be quoted: [profile "a
 * b"]; the later of two sections naming one profile wins whole); a bare [NAME] there is
 * not a profile.  In the credentials file every [NAME] is profile NAME.  A profile's
 * settings are the credentials-file section merged over the config-file one.
 *
 * Nothing here logs a secret.  The environment is read through getenv_fn whenever a
 * function below needs it, so getenv_fn must stay valid for the object's lifetime. */
#ifndef ECD_AWSCONFIG_H
#define ECD_AWSCONFIG_H

#include <time.h>

#include "awscreds.h"
#include "ini.h"
#include "status.h"

typedef const char *awsconfig_getenv_fn(const char *name);

/* Where the chain, as far as this module walks it, gets credentials from.  In botocore's
 * order: env, assume-role, assume-role-with-web-identity, sso, shared-credentials-file,
 * login, custom-process, config-file.  (botocore then tries the legacy AWS_CREDENTIAL_FILE
 * and boto2 config files, which ecr-credd does not support, then container and IMDS.) */
enum awsconfig_source {
    AWSCONFIG_NONE = 0,     /* nothing here: the caller goes on to container, then IMDS */
    AWSCONFIG_STATIC,       /* keys from env or a file: the credentials are filled in */
    AWSCONFIG_ASSUME_ROLE,  /* profile has role_arn and no web_identity_token_file */
    AWSCONFIG_WEB_IDENTITY, /* AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file */
    AWSCONFIG_SSO,          /* profile has sso_account_id or sso_role_name */
    AWSCONFIG_LOGIN,        /* profile has login_session */
    AWSCONFIG_PROCESS,      /* profile has credential_process */
    AWSCONFIG_SOURCE_COUNT_
};

/* Flags for awsconfig_credentials(). */
#define AWSCONFIG_NO_ENV         1u /* skip env credentials and env web identity settings */
#define AWSCONFIG_NO_ASSUME_ROLE 2u /* skip the assume-role step */
/* Only the environment keys, even after a profile override: what botocore's
 * credential_source = Environment reads.  profile must be NULL. */
#define AWSCONFIG_ENV_ONLY 4u

struct awsconfig;

/* Select the profile, locate and parse both files, and check that an explicitly named
 * profile exists.  getenv_fn NULL: the process environment.  profile_override NULL: no
 * override.  Errors (logged): ECD_ECONFIG for a file botocore would fail to parse
 * (ConfigParseError) or a named profile that is missing (ProfileNotFound), ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status awsconfig_load(awsconfig_getenv_fn *getenv_fn,
                                              const char *profile_override, struct awsconfig **out);
void awsconfig_free(struct awsconfig *cfg); /* NULL is fine */

/* The selected profile name (botocore's session profile; "default" when none was named),
 * and the expanded file paths (NULL when the variable is set but empty).  Borrowed. */
const char *awsconfig_profile(const struct awsconfig *cfg);
const char *awsconfig_config_file(const struct awsconfig *cfg);
const char *awsconfig_credentials_file(const struct awsconfig *cfg);

/* 1 when `profile` exists in either file (after the naming rules above). */
int awsconfig_has_profile(const struct awsconfig *cfg, const char *profile);

/* A setting of a profile (NULL: the selected one) with the credentials file's value over
 * the config file's; `key` in lower case.  awsconfig_lookup() returns the option (NULL
 * when absent), which shows nested blocks; awsconfig_get() returns its value, or NULL
 * when absent or a nested block.  Borrowed from cfg. */
const struct ini_option *awsconfig_lookup(const struct awsconfig *cfg, const char *profile,
                                          const char *key);
const char *awsconfig_get(const struct awsconfig *cfg, const char *profile, const char *key);

/* Walk the chain in botocore's order for `profile` (NULL: the selected one, with env
 * credentials unless a profile override was given; a name: that profile with env
 * switched off, as botocore resolves a source_profile).  On ECD_OK, *source says what was
 * found; only for AWSCONFIG_STATIC is *out filled (provider "env",
 * "shared-credentials-file" or "config-file"; out is cleared first).  Errors (logged),
 * which like botocore's stop the chain rather than fall through: ECD_ECONFIG for partial
 * credentials (a key id without a secret, in env or a file), a bad
 * AWS_CREDENTIAL_EXPIRATION or a nested block where a key belongs; ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status awsconfig_credentials(const struct awsconfig *cfg,
                                                     const char *profile, unsigned flags,
                                                     struct aws_credentials *out,
                                                     enum awsconfig_source *source);

/* What this build can use: awsconfig_credentials() for the selected profile, where any
 * source other than static keys is an error (logged): ECD_ECONFIG naming the setting
 * that needs an unsupported provider, ECD_EAUTH when nothing was found. */
ECD_MUST_CHECK enum ecd_status awsconfig_static_credentials(const struct awsconfig *cfg,
                                                            struct aws_credentials *out);

/* The default region: AWS_REGION, then AWS_DEFAULT_REGION, then the selected profile's
 * `region`; empty values are skipped.  (botocore ignores AWS_REGION and returns an empty
 * AWS_DEFAULT_REGION as is; this order is that of the AWS CLI v2 and the other SDKs.)
 * *out is malloc'ed, or NULL with ECD_OK when none is set.  ECD_ECONFIG (logged) when
 * `region` is a nested block. */
ECD_MUST_CHECK enum ecd_status awsconfig_region(const struct awsconfig *cfg, char **out);

/* A setting botocore reads from an environment variable, else from the selected
 * profile (its session profile, as get_scoped_config() names it): the variable when
 * set, even empty; else the profile's value, NULL when absent or a nested block.
 * Borrowed (from the environment or cfg). */
const char *awsconfig_setting(const struct awsconfig *cfg, const char *env, const char *key);

/* A boolean setting the same way: 1 when the value is "true" in any case (botocore's
 * ensure_boolean()), else 0; an empty variable is false and hides the profile. */
int awsconfig_setting_true(const struct awsconfig *cfg, const char *env, const char *key);

/* A service's configured endpoint, as botocore 1.43's ConfiguredEndpointProvider finds
 * it for a client of the selected profile, and the endpoint variant flags.  service_id
 * is botocore's snake-case service id: "sts", "ecr", "ecr_public" ("ecr-public" too;
 * any other is ECD_EINVAL).  In order, the first
 * non-empty of:
 *   1. AWS_ENDPOINT_URL_<SERVICE_ID> (upper case: AWS_ENDPOINT_URL_ECR_PUBLIC);
 *   2. AWS_ENDPOINT_URL;
 *   3. the profile's `services = NAME`: in the config file's [services NAME] section
 *      (named like [profile NAME]; the later of two wins whole), the nested block
 *      `<service_id> =` and its `endpoint_url = URL`;
 *   4. the profile's own `endpoint_url`;
 * none of them when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's
 * ignore_configured_endpoint_urls) is true.  Step 3 is only looked at when 1 and 2
 * give nothing, and then, as in botocore, a `services` setting naming a section that
 * does not exist (or has no settings) is an error, and so is a service entry there that
 * is a single value rather than a nested block.
 *
 * fips and dualstack: AWS_USE_FIPS_ENDPOINT / use_fips_endpoint and
 * AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint (awsconfig_setting_true()).
 * Composing the partition's endpoint from them, and refusing them next to a configured
 * URL, is the caller's part (each service has its own rules).
 *
 * On ECD_OK, out->url is malloc'ed (NULL: nothing configured) and out->from says where
 * it came from, for messages.  Errors (logged, naming the file, line and profile):
 * ECD_ECONFIG as above and for an endpoint_url or services setting that is a nested
 * block; ECD_ENOMEM.  Clear out with awsconfig_endpoint_clear() either way. */
struct awsconfig_endpoint {
    char *url;      /* owned; NULL: none configured */
    char from[256]; /* "AWS_ENDPOINT_URL_ECR", "[services corp] in /root/.aws/config", ... */
    int fips;
    int dualstack;
};
ECD_MUST_CHECK enum ecd_status awsconfig_endpoint(const struct awsconfig *cfg,
                                                  const char *service_id,
                                                  struct awsconfig_endpoint *out);
void awsconfig_endpoint_clear(struct awsconfig_endpoint *e);

/* An expiry time as AWS writes it (AWS_CREDENTIAL_EXPIRATION, STS <Expiration>, the
 * container, IMDS and credential_process "Expiration"): ISO 8601 with a zone,
 * YYYY-MM-DD[T ]HH:MM[:SS[.frac]] then Z or +-HH[:MM] or +-HHMM.  1 and *out set on
 * success, 0 for anything else.  Pure; nothing is logged. */
int awsconfig_parse_time(const char *s, time_t *out);

/* botocore's METHOD name of a source ("env" for static keys is in out->provider):
 * "assume-role", "assume-role-with-web-identity", "sso", "login", "custom-process";
 * "none" and "static" for the other two. */
const char *awsconfig_source_name(enum awsconfig_source source);

#endif
