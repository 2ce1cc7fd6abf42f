/* SPDX-License-Identifier: MIT */
/* --check: print what the plan would do, then resolve every identity's credentials
 * and ask STS whose they are (GetCallerIdentity): provider, access key id and caller
 * ARN, never a secret; and let every sink that can do a dry run prove it can reach
 * and write its destination (Kubernetes: dryRun=All).  Nothing is fetched from ECR
 * and nothing is written. */
#ifndef ECD_CHECK_H
#define ECD_CHECK_H

#include "plan.h"
#include "status.h"

/* done gets the number of identities and sinks that failed their check. */
typedef void check_done_fn(size_t failed, void *ud);

/* Async (STYLE 2.6); p is borrowed and must outlive the check. */
ECD_MUST_CHECK enum ecd_status check_start(struct plan *p, check_done_fn *done, void *ud);

#endif
