/* SPDX-License-Identifier: MIT */
/* What one GetAuthorizationToken call yields, ready for sinks: for each registry host
 * the docker "auth" value (base64 of "AWS:<password>", exactly as ECR sent it) and
 * the expiry.  One token set is shared by every sink it is pushed to. */
#ifndef ECD_TOKEN_H
#define ECD_TOKEN_H

#include <stddef.h>

#include "secret.h"
#include "status.h"

struct registry_auth {
    char *host;         /* owned; "123456789012.dkr.ecr.eu-west-1.amazonaws.com", no scheme */
    struct secret auth; /* owned; base64("AWS:" password) as received */
    double expires_at;  /* seconds since the epoch (wall clock) */
};

struct token_set {
    unsigned refs;               /* the loop is single-threaded: a plain counter */
    size_t n;                    /* entries in items */
    struct registry_auth *items; /* owned */
};

/* A set with n zeroed entries and one reference. */
ECD_MUST_CHECK enum ecd_status token_set_new(size_t n, struct token_set **out);
struct token_set *token_set_ref(struct token_set *ts);
/* Drop a reference; the last one wipes every secret and frees.  NULL is fine. */
void token_set_unref(struct token_set *ts);

/* Decode an auth value into its user name and password (split at the first ':').
 * ECD_EPROTO when it is not base64 or has no ':'. */
ECD_MUST_CHECK enum ecd_status registry_auth_decode(const struct registry_auth *ra, char **user,
                                                    struct secret *password);

#endif
