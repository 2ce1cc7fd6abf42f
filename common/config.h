/* SPDX-License-Identifier: MIT */
/* The configuration: a JSON file (see config/ecr-credd.conf.example and the man page)
 * or the zero-config default.  Parsing checks shape and values and reports every
 * problem with the file name, the JSON path and what was expected, e.g.
 *   /etc/ecr-credd/config.json: registries[1].region: expected a string
 * Sink objects are kept as JSON: each sink module validates its own keys. */
#ifndef ECD_CONFIG_H
#define ECD_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "ecr_host.h"
#include "status.h"

struct config_refresh {
    int64_t before_expiry_ms; /* 0: half the token's lifetime */
    int64_t jitter_ms;        /* default 10 min */
    int64_t retry_min_ms;     /* default 5 s */
    int64_t retry_max_ms;     /* default 5 min */
};

struct config_registry {
    char *where;         /* owned; "registries[0]" (for messages) */
    char *region;        /* owned; NULL: from the AWS environment/profile */
    char **registry_ids; /* owned; 12-digit account ids; may be empty: caller's own */
    size_t n_registry_ids;
    char *profile; /* owned; NULL: AWS_PROFILE/default chain */
    /* The registry's own identity: AssumeRole into role_arn with the profile's (or the
     * default chain's) credentials as the source.  All owned; NULL when not given;
     * external_id and role_session_name only come with role_arn. */
    char *role_arn;
    char *external_id;
    char *role_session_name;
    /* "hosts": registry hosts as written in image references, parsed with
     * ecr_host_parse() (account, region, partition, FIPS and dual-stack from the name).
     * Owned; never ECR Public hosts; not together with registry_ids. */
    struct ecr_host *hosts;
    size_t n_hosts;
    int is_public; /* "public": true: ECR Public (public.ecr.aws), token from us-east-1 */
};

struct config_sink {
    const char *file; /* borrowed from config.path, or "default configuration": for messages */
    char *where;      /* owned; "sinks[0]" */
    char *type;       /* owned; "docker", ... */
    char *name;       /* owned; "name" key, or "<type>-<index>" */
    cJSON *node;      /* owned; the sink's whole object */
};

/* "health": the optional HTTP listener for /healthz and /metrics (daemon only). */
#define CONFIG_HEALTH_STALE_BEFORE_MS_DEFAULT ((int64_t)60 * 60 * 1000) /* 1 h */
struct config_health {
    char *listen;  /* owned; as written ("9100", "127.0.0.1:9100", "[::1]:9100"); NULL: off */
    char *host;    /* owned; numeric IPv4/IPv6 address to bind; NULL: every address */
    unsigned port; /* 1..65535 */
    int64_t stale_before_ms; /* unhealthy when credentials expire within this */
};

struct config {
    char *path; /* owned; NULL for the zero-config default */
    struct config_refresh refresh;
    struct config_health health;
    struct config_registry *registries; /* owned */
    size_t n_registries;
    struct config_sink *sinks; /* owned */
    size_t n_sinks;
};

/* Parse text (len bytes; need not be NUL-terminated); `name` is used in messages.
 * Errors are logged (log.h) and returned as ECD_ECONFIG. */
ECD_MUST_CHECK enum ecd_status config_parse(const char *text, size_t len, const char *name,
                                            struct config **out);
/* Read and parse a file (missing or unreadable: ECD_ECONFIG with the OS reason). */
ECD_MUST_CHECK enum ecd_status config_load_file(const char *path, struct config **out);
/* The configuration from environment variables when no file is used (config_env.c; see
 * config_env.h): with none of them set, one registry (the caller's own) and one
 * docker sink with no path ($DOCKER_CONFIG or $HOME/.docker).  c->path is NULL.
 * `getenv_fn` is injectable for tests. */
ECD_MUST_CHECK enum ecd_status config_default(const char *(*getenv_fn)(const char *),
                                              struct config **out);
void config_free(struct config *c); /* NULL is fine */

/* The checks config_parse() applies, for other front ends (config_env.c) that want
 * to name their own source in the message: 12 digits; a region name (letters,
 * digits, '-', at most 64: it goes into host names); arn:PARTITION:iam::ID:role/NAME. */
int config_is_account_id(const char *s, size_t len);
int config_is_region(const char *s);
int config_is_role_arn(const char *s);

/* Defaults of "health" (no listener, stale_before 1 h), for code that builds a
 * struct config without config_parse() (the env-only mode). */
void config_health_defaults(struct config_health *h);
/* Set h->listen, h->host and h->port from "PORT", "HOST:PORT" (numeric IPv4) or
 * "[IPV6]:PORT".  On failure returns ECD_ECONFIG, points *why at a static phrase
 * ("expected ...") and leaves h untouched; ECD_ENOMEM possible. */
ECD_MUST_CHECK enum ecd_status config_health_listen(struct config_health *h, const char *text,
                                                    const char **why);

#endif
