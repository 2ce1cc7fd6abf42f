/* SPDX-License-Identifier: MIT */
/* The JSON credential documents of three providers (protocols.md 3.7-3.9), parsed into
 * struct aws_credentials.  Pure: nothing is logged, no clock is read.
 *   CREDJSON_PROCESS    credential_process stdout: "Version" must be the integer 1;
 *                       AccessKeyId and SecretAccessKey required; SessionToken and
 *                       Expiration optional (no Expiration: static credentials).
 *   CREDJSON_CONTAINER  ECS / EKS Pod Identity: AccessKeyId, SecretAccessKey, Token and
 *                       Expiration required (the token field is "Token").
 *   CREDJSON_IMDS       EC2 instance role: as the container's, and a "Code" other than
 *                       "Success" is an error reply (ECD_EAUTH, its Code/Message quoted).
 * Every string of the parsed tree is wiped before the tree is freed. */
#ifndef ECD_CREDJSON_H
#define ECD_CREDJSON_H

#include <stddef.h>

#include "awscreds.h"
#include "status.h"

enum credjson_kind {
    CREDJSON_PROCESS,
    CREDJSON_CONTAINER,
    CREDJSON_IMDS,
};

/* Parse text[0..len) (no NUL needed).  ECD_OK: out filled (cleared first; provider is
 * left NULL for the caller).  ECD_EPROTO with why set ("expected a string at
 * AccessKeyId", "invalid JSON at line 1, column 3", "Version: expected 1"), which
 * quotes no secret; ECD_EAUTH for an IMDS reply whose Code is not Success; ECD_ENOMEM.
 * why has why_len bytes and is "" on success. */
ECD_MUST_CHECK enum ecd_status credjson_parse(enum credjson_kind kind, const char *text, size_t len,
                                              struct aws_credentials *out, char *why,
                                              size_t why_len);

#endif
