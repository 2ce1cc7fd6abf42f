/* SPDX-License-Identifier: MIT */
/* Leader election over a coordination.k8s.io/v1 Lease, client-go style: create the
 * Lease when absent, renew it while holding it, take it over only after it went
 * unrenewed for leaseDurationSeconds as observed locally (never trusting the other
 * holder's clock), and step down when a renewal has not succeeded within the renew
 * deadline.  Only the holder may write; the callback says when that changes. */
#ifndef ECD_KUBE_LEASE_H
#define ECD_KUBE_LEASE_H

#include "kube/client.h"
#include "status.h"

struct kube_lease;

struct kube_lease_opts {
    const char *namespace_; /* where the Lease lives (the daemon's own namespace) */
    const char *name;       /* "ecr-credd" */
    const char *identity;   /* this replica: hostname (the pod name) + "_" + random */
    int duration_s;         /* leaseDurationSeconds, default 15 */
    int renew_deadline_s;   /* default 10 */
    int retry_period_s;     /* default 2 */
};

/* leading: 1 when this replica became the holder, 0 when it lost or gave up the lease. */
typedef void kube_lease_fn(int leading, void *ud);

/* Start campaigning (the first attempt runs from the loop).  Errors in the Lease
 * requests are logged and retried every retry_period; a 403 names the missing RBAC. */
ECD_MUST_CHECK enum ecd_status kube_lease_start(struct kube_client *c,
                                                const struct kube_lease_opts *opts,
                                                kube_lease_fn *cb, void *ud,
                                                struct kube_lease **out);
int kube_lease_leading(const struct kube_lease *l);
/* Stop; when holding, release the Lease (holderIdentity cleared) as a best effort
 * that does not delay shutdown.  The callback is not called again.  NULL is fine. */
void kube_lease_stop(struct kube_lease *l);
/* The same, and `stopped` runs once, from the loop, when the release has gone out
 * (or failed, or was not needed: at most 2 s), so that a stopping daemon can keep
 * its HTTP client until then and the next replica takes over at once. */
void kube_lease_stop_notify(struct kube_lease *l, void (*stopped)(void *ud), void *ud);

#endif
