/* SPDX-License-Identifier: MIT */
/* One set of AWS credentials, as a provider hands it out: key id (not secret, may be
 * logged), secret key and optional session token (secrets), optional expiry, and
 * the name of the provider that supplied them (for --check and logs). */
#ifndef ECD_AWSCREDS_H
#define ECD_AWSCREDS_H

#include <time.h>

#include "secret.h"
#include "status.h"

struct aws_credentials {
    char *access_key_id;         /* owned */
    struct secret secret_key;    /* owned */
    struct secret session_token; /* owned; unset for long-term keys */
    time_t expiration;           /* 0: does not expire */
    char *provider;              /* owned; "env", "shared-credentials-file", ... */
};

void aws_credentials_clear(struct aws_credentials *c); /* wipes; c reusable */
ECD_MUST_CHECK enum ecd_status aws_credentials_copy(struct aws_credentials *dst,
                                                    const struct aws_credentials *src);

#endif
