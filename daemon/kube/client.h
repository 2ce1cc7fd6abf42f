/* SPDX-License-Identifier: MIT */
/* A Kubernetes API client on the event loop: where the API server is and how to
 * authenticate (in-cluster service account, or a kubeconfig with its context, CA,
 * client certificate, token, token file or exec credential plugin), and requests that
 * carry that authentication.  Tokens from files are re-read at most every minute and
 * at once after a 401; exec credentials are re-run when they expire or after a 401.
 * The caller never sees a token.
 *
 * Async contract (STYLE 2.6): kube_request() either returns an error and `done` is
 * never called, or returns ECD_OK and `done` is called exactly once, later, from the
 * loop (ECD_ECANCELED after kube_cancel() or kube_client_free()). */
#ifndef ECD_KUBE_CLIENT_H
#define ECD_KUBE_CLIENT_H

#include <stddef.h>
#include <uv.h>

#include "http.h"
#include "status.h"

struct kube_client;
struct kube_req;

/* Where the connection comes from (the sink's config keys). */
struct kube_client_opts {
    const char *kubeconfig; /* path; NULL: $KUBECONFIG (':'-separated, merged), then
                             * in-cluster when KUBERNETES_SERVICE_HOST is set, then
                             * ~/.kube/config */
    const char *context;    /* NULL: the kubeconfig's current-context */
    int in_cluster;         /* 1: only the in-cluster service account, never a kubeconfig */
    const char *where;      /* "file: sinks[2]" for messages */
    const char *(*getenv_fn)(const char *name);
};

/* Build a client (reads and checks the kubeconfig or the in-cluster files now; errors
 * are logged with the file, the YAML path and what was expected: ECD_ECONFIG). */
ECD_MUST_CHECK enum ecd_status kube_client_new(uv_loop_t *loop, struct http_client *http,
                                               const struct kube_client_opts *opts,
                                               struct kube_client **out);
/* Cancels pending requests (their done runs with ECD_ECANCELED, from the loop). */
void kube_client_free(struct kube_client *c);
/* "https://10.0.0.1:443 (in-cluster)" or "https://... (kubeconfig ~/.kube/config, context x)" */
const char *kube_client_describe(const struct kube_client *c);
/* The namespace of the context or of the in-cluster service account ("default" if none). */
const char *kube_client_namespace(const struct kube_client *c);
/* The loop the client runs on (borrowed). */
uv_loop_t *kube_client_loop(const struct kube_client *c);

struct kube_request_opts {
    const char *method;       /* GET, POST, PUT, PATCH, DELETE */
    const char *path;         /* "/api/v1/namespaces?limit=500": appended to the server URL */
    const char *content_type; /* for the body: "application/json",
                               * "application/apply-patch+yaml", ... ; NULL: none */
    const void *body;         /* copied; may hold secrets (wiped) */
    size_t body_len;
    long timeout_ms; /* 0: 30 s; < 0: none (watches) */
    size_t max_body; /* 0: 8 MiB */
    /* Watches: 2xx body chunks as they arrive (see http.h). */
    enum ecd_status (*on_data)(const char *data, size_t len, void *ud);
};

/* resp is borrowed for the call; resp->status 401 has already been retried once with a
 * fresh token.  st is ECD_OK for any HTTP status: the caller reads resp->status. */
typedef void kube_done_fn(enum ecd_status st, const struct http_response *resp, void *ud);

ECD_MUST_CHECK enum ecd_status kube_request(struct kube_client *c,
                                            const struct kube_request_opts *opts,
                                            kube_done_fn *done, void *ud, struct kube_req **out);
/* End a pending request; its done runs with ECD_ECANCELED from the loop. */
void kube_cancel(struct kube_req *r);

#endif
