/* SPDX-License-Identifier: MIT */
/* The configuration a run uses, at start-up and on every reload: the file (or the
 * environment when there is none), completed with the instance's region from EC2
 * instance metadata for registry entries that name no region and whose profile and
 * environment give none (the last place in the documented region order). */
#ifndef ECD_RUNCONFIG_H
#define ECD_RUNCONFIG_H

#include "config.h"
#include "status.h"

/* path NULL: the environment (config_default).  The metadata lookup runs on a loop
 * of its own (at most the IMDS timeout, one attempt by default, as botocore's region
 * provider), only when needed; its answer is kept for later reloads, as an instance
 * does not move.  When it fails the entry keeps no region and plan_new reports it. */
ECD_MUST_CHECK enum ecd_status
runconfig_load(const char *path, const char *(*getenv_fn)(const char *), struct config **out);
/* Forget the remembered instance region (tests; the process end). */
void runconfig_forget_region(void);

#endif
