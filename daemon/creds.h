/* SPDX-License-Identifier: MIT */
/* AWS credentials for one identity (a profile, or the default chain), resolved the
 * way the AWS CLI does (see common/awsconfig.h for the providers and their order).
 * The shared files are read again on every creds_chain_get(), on libuv's thread pool,
 * so keys rotated on disk are picked up by a long-running daemon.
 *
 * creds_chain_get() follows the async contract (STYLE 2.6). */
#ifndef ECD_CREDS_H
#define ECD_CREDS_H

#include <uv.h>

#include "awscreds.h"
#include "status.h"

struct creds_chain;

/* creds: borrowed for the call; NULL unless st is ECD_OK.  Failures were logged. */
typedef void creds_done_fn(enum ecd_status st, const struct aws_credentials *creds, void *ud);

/* Check the identity's configuration now (profile exists, files parse), so that
 * config errors surface at start-up; `profile` NULL means AWS_PROFILE/default. */
ECD_MUST_CHECK enum ecd_status creds_chain_new(uv_loop_t *loop, const char *profile,
                                               const char *(*getenv_fn)(const char *),
                                               struct creds_chain **out);
/* The region this identity's configuration names (AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's region); *out NULL when none. */
ECD_MUST_CHECK enum ecd_status creds_chain_region(struct creds_chain *c, char **out);
ECD_MUST_CHECK enum ecd_status creds_chain_get(struct creds_chain *c, creds_done_fn *done,
                                               void *ud);
/* Not while a get is pending. NULL is fine. */
void creds_chain_free(struct creds_chain *c);

#endif
