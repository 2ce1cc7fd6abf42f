/* SPDX-License-Identifier: MIT */
/* The pull secret the Kubernetes sink keeps, as pure code: the content it wants
 * (a kubernetes.io/dockerconfigjson secret with every registry of the pushed token
 * sets), what an existing secret holds (type, owner, a digest of the data), the
 * request bodies that create or update it, and the JSON patch that adds it to a
 * ServiceAccount's imagePullSecrets.  Every buffer that holds secret data is capped
 * and wiped by its owner (buf_wipe). */
#ifndef ECD_KUBE_SECRET_H
#define ECD_KUBE_SECRET_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"
#include "jsonutil.h"
#include "status.h"
#include "token.h"

#define KUBE_MANAGED_BY_LABEL   "app.kubernetes.io/managed-by"
#define KUBE_MANAGED_BY_VALUE   "ecr-credd"
#define KUBE_EXPIRES_ANNOTATION "ecr-credd/expires-at"
#define KUBE_DOCKERCONFIG_TYPE  "kubernetes.io/dockerconfigjson"
#define KUBE_DOCKERCONFIG_KEY   ".dockerconfigjson"
#define KUBE_SECRET_MAX         (1024 * 1024) /* the API server's limit for a secret */

/* What the sink wants every selected namespace to hold. */
struct kube_secret_want {
    struct buf data_b64;      /* owned, wiped: base64 of {"auths": {...}} */
    unsigned char digest[32]; /* SHA-256 of data_b64 */
    char expires[32];         /* the earliest expiry, RFC 3339 UTC ("2026-11-28T11:00:00Z") */
    size_t n_hosts;           /* registries in it (duplicates across sets counted once) */
};

/* Build from sets[0..n): for each registry host (the first entry wins when a host
 * repeats) {"username", "password", "auth"} as `kubectl create secret
 * docker-registry` writes them.  ECD_EPROTO when an auth value does not decode. */
ECD_MUST_CHECK enum ecd_status kube_secret_want_build(struct token_set *const *sets, size_t n,
                                                      struct kube_secret_want *w);
void kube_secret_want_deinit(struct kube_secret_want *w);

/* What an existing secret is, as far as the sink cares. */
struct kube_secret_seen {
    char rv[128];             /* metadata.resourceVersion ("" when absent) */
    int type_ok;              /* type is kubernetes.io/dockerconfigjson */
    int managed;              /* labelled app.kubernetes.io/managed-by=ecr-credd */
    int immutable;            /* "immutable": true (data cannot change) */
    int has_data;             /* data[".dockerconfigjson"] is a string */
    unsigned char digest[32]; /* SHA-256 of that string, when has_data */
};

/* Decode obj (a Secret) at `path`; the name and namespace come from kube_meta_get(). */
ECD_MUST_CHECK enum ecd_status kube_secret_seen_decode(struct jsonutil_err *e, const cJSON *obj,
                                                       const char *path,
                                                       struct kube_secret_seen *s);
/* 1 when the secret holds exactly what w wants, with our label and type. */
int kube_secret_up_to_date(const struct kube_secret_seen *s, const struct kube_secret_want *w);

/* What to do about a secret in one namespace. */
enum kube_secret_action {
    KUBE_SECRET_KEEP,    /* ours and up to date: nothing */
    KUBE_SECRET_FOREIGN, /* not ours (other manager or type, or immutable): leave it */
    KUBE_SECRET_PATCH,   /* ours (or taken over) with other content: merge patch */
    KUBE_SECRET_REPLACE, /* taken over but its type or immutability forbid a patch:
                          * delete (with a resourceVersion precondition), then create */
};

/* Decide for an existing secret (an absent one is simply created). */
enum kube_secret_action kube_secret_decide(const struct kube_secret_seen *s,
                                           const struct kube_secret_want *w, int take_over);

/* POST body of a new secret. */
ECD_MUST_CHECK enum ecd_status kube_secret_create_body(const char *name, const char *ns,
                                                       const struct kube_secret_want *w,
                                                       struct buf *out);
/* JSON merge patch (RFC 7386) that sets our label, annotation, type and data, made
 * conditional on resourceVersion rv (409 Conflict when the secret changed since);
 * other labels, annotations and data keys are kept. */
ECD_MUST_CHECK enum ecd_status
kube_secret_patch_body(const char *rv, const struct kube_secret_want *w, struct buf *out);

/* A ServiceAccount's imagePullSecrets as far as adding one entry goes. */
struct kube_sa_seen {
    char rv[128];   /* metadata.resourceVersion */
    int has_list;   /* imagePullSecrets is present (an array) */
    int has_secret; /* ... and names the secret already */
};

ECD_MUST_CHECK enum ecd_status kube_sa_decode(struct jsonutil_err *e, const cJSON *obj,
                                              const char *secret, struct kube_sa_seen *s);
/* JSON patch (RFC 6902): test the resourceVersion, then add {"name": secret} to the
 * end of imagePullSecrets (creating the list when absent). */
ECD_MUST_CHECK enum ecd_status kube_sa_patch_body(const struct kube_sa_seen *s, const char *secret,
                                                  struct buf *out);

/* Format t (seconds since the epoch) as RFC 3339 UTC with seconds; n >= 21. */
void kube_rfc3339(double t, char *out, size_t n);

#endif
