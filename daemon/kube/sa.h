/* SPDX-License-Identifier: MIT */
/* Add the pull secret to one ServiceAccount's imagePullSecrets: read it, and when the
 * secret is not listed, append it with a JSON patch whose first op tests the
 * resourceVersion just read (a conflict re-reads, at most 5 times).  Other entries
 * are never removed; a listed secret means no write.  dry_run adds dryRun=All.
 *
 * Async contract (STYLE 2.6) as in secrets.h. */
#ifndef ECD_KUBE_SA_H
#define ECD_KUBE_SA_H

#include "kube/client.h"
#include "status.h"

enum kube_sa_outcome {
    KUBE_SA_UNCHANGED, /* already listed */
    KUBE_SA_ADDED,
    KUBE_SA_MISSING, /* no such ServiceAccount (yet) */
    KUBE_SA_FAILED,  /* st and msg say why */
};

struct kube_sa_result {
    enum kube_sa_outcome outcome;
    enum ecd_status st;
    char msg[640];
};

struct kube_sa_op;
typedef void kube_sa_fn(const struct kube_sa_result *r, void *ud);

/* ns, sa and secret are copied. */
ECD_MUST_CHECK enum ecd_status kube_sa_start(struct kube_client *c, const char *ns, const char *sa,
                                             const char *secret, int dry_run, kube_sa_fn *done,
                                             void *ud, struct kube_sa_op **out);
void kube_sa_cancel(struct kube_sa_op *op); /* done runs with FAILED, ECD_ECANCELED */

#endif
