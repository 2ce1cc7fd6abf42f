/* SPDX-License-Identifier: MIT */
/* Apply the pull secret in one namespace: create it when missing, merge-patch it
 * conditionally on its resourceVersion when ours and stale (a 409 re-reads it and
 * tries again, at most 5 times), leave a foreign one alone (another type, another
 * manager, immutable) unless taking over, and never delete and re-create an
 * own secret (only a taken-over one whose type cannot change).  Writes carry
 * fieldManager=ecr-credd; dry_run adds dryRun=All, so nothing is stored.
 *
 * Async contract (STYLE 2.6): kube_apply_start() either fails and done is never
 * called, or done is called exactly once, from the loop. */
#ifndef ECD_KUBE_SECRETS_H
#define ECD_KUBE_SECRETS_H

#include "kube/client.h"
#include "kube_secret.h"
#include "status.h"

/* The wanted content, shared by every namespace's apply of one push (refcounted:
 * a newer push replaces the sink's reference while older applies still run). */
struct kube_want {
    unsigned refs;
    struct kube_secret_want w;
};

ECD_MUST_CHECK enum ecd_status kube_want_new(struct token_set *const *sets, size_t n,
                                             struct kube_want **out);
struct kube_want *kube_want_ref(struct kube_want *w);
void kube_want_unref(struct kube_want *w); /* the last one wipes; NULL is fine */

enum kube_apply_outcome {
    KUBE_APPLY_UNCHANGED, /* already right (found so after a re-read) */
    KUBE_APPLY_CREATED,
    KUBE_APPLY_UPDATED,
    KUBE_APPLY_REPLACED,     /* a taken-over secret of another type: deleted, created */
    KUBE_APPLY_FOREIGN,      /* not ours and not taken over: left alone (msg says why) */
    KUBE_APPLY_TERMINATING,  /* the namespace is being deleted: skipped */
    KUBE_APPLY_NO_NAMESPACE, /* the namespace does not exist */
    KUBE_APPLY_FAILED,       /* st and msg say why */
};

struct kube_apply_result {
    enum kube_apply_outcome outcome;
    enum ecd_status st; /* ECD_OK unless FAILED (ECD_ECANCELED when canceled) */
    char msg[640];      /* FAILED: "cannot patch secrets in namespace a: ..."; FOREIGN: why */
    struct kube_secret_seen seen; /* what the namespace holds now, as far as known */
    int seen_valid;               /* seen describes the secret after this apply */
};

struct kube_apply_opts {
    const char *ns;         /* copied */
    const char *name;       /* copied; the secret's name */
    struct kube_want *want; /* a reference is taken */
    /* What the caller's cache says: known 0: read it first; known 1 and present 0:
     * absent (create first); present 1: seen is the secret. */
    int known, present;
    const struct kube_secret_seen *seen;
    int take_over;
    int dry_run;
};

struct kube_apply;
typedef void kube_apply_fn(const struct kube_apply_result *r, void *ud);

ECD_MUST_CHECK enum ecd_status kube_apply_start(struct kube_client *c,
                                                const struct kube_apply_opts *o,
                                                kube_apply_fn *done, void *ud,
                                                struct kube_apply **out);
/* Ends it early: done runs (from the loop) with FAILED and ECD_ECANCELED. */
void kube_apply_cancel(struct kube_apply *a);

#endif
