/* SPDX-License-Identifier: MIT */
/* STS replies (query protocol, XML; protocols.md 3.4, 3.5) parsed with expat:
 * AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity results, and the
 * ErrorResponse document.  Pure: nothing is logged, no clock is read.
 *
 * Elements are matched by name and parent, whatever the namespace declaration, so
 * moto's <ErrorResponse><Errors><Error> and AWS's <ErrorResponse><Error> both work.
 * A DOCTYPE (and so any entity declaration) is refused outright.  Character data of
 * the secret fields goes through buffers that are wiped before they are freed. */
#ifndef ECD_STS_RESPONSE_H
#define ECD_STS_RESPONSE_H

#include <stddef.h>

#include "awscreds.h"
#include "status.h"

#define STS_RESPONSE_MAX_DEPTH 32          /* deeper documents are refused */
#define STS_RESPONSE_MAX_FIELD (64 * 1024) /* longest text of one element */

enum sts_response_kind {
    STS_RESPONSE_CREDENTIALS, /* a <Credentials> block: creds filled, arn if present */
    STS_RESPONSE_IDENTITY,    /* GetCallerIdentityResult: arn and account filled */
    STS_RESPONSE_ERROR,       /* ErrorResponse: error_code (never empty), error_message */
};

struct sts_response {
    enum sts_response_kind kind;
    /* AccessKeyId, SecretAccessKey, SessionToken, Expiration (all four required);
     * provider stays NULL for the caller to set.  Owned. */
    struct aws_credentials creds;
    char *arn;           /* owned; AssumedRoleUser/Arn or GetCallerIdentityResult/Arn; or NULL */
    char *account;       /* owned; GetCallerIdentityResult/Account; or NULL */
    char *error_code;    /* owned; Error/Code, e.g. "AccessDenied"; or NULL */
    char *error_message; /* owned; Error/Message; or NULL */
};

/* Parse body[0..len).  ECD_OK with out filled (see kind); ECD_EPROTO when the text is
 * not well-formed XML, has a DOCTYPE, nests deeper than STS_RESPONSE_MAX_DEPTH, has a
 * field longer than STS_RESPONSE_MAX_FIELD, or lacks what its kind needs (a credential
 * field, a parsable Expiration, an error Code): *reason (if not NULL) is then a static
 * sentence that quotes no input.  ECD_ENOMEM.  out is cleared first and left clear on
 * failure. */
ECD_MUST_CHECK enum ecd_status sts_response_parse(const char *body, size_t len,
                                                  struct sts_response *out, const char **reason);

/* Wipe and free what out holds; out is then reusable.  NULL is fine. */
void sts_response_clear(struct sts_response *r);

#endif
