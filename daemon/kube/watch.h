/* SPDX-License-Identifier: MIT */
/* List, then watch, one collection of a Kubernetes API server (client-go's
 * reflector, small): the list is read in pages (limit/continue; an expired continue
 * token restarts it), then a watch resumes from the list's resourceVersion with
 * bookmarks, follows the newest resourceVersion seen, reconnects from it when the
 * stream ends or breaks, lists again when the server says the version is too old
 * (HTTP 410 or an ERROR event with code 410), and backs off (0.5 s doubling to 30 s,
 * jittered) after failures.  With `once`, it lists one time and stops.
 *
 * Callbacks run from the loop.  kube_watch_stop() may be called from inside any of
 * them; no callback runs after it. */
#ifndef ECD_KUBE_WATCH_H
#define ECD_KUBE_WATCH_H

#include <cjson/cJSON.h>
#include <uv.h>

#include "kube/client.h"
#include "kube_json.h"
#include "status.h"

struct kube_watch;

struct kube_watch_cbs {
    /* A full list starts: what follows (ADDED objects, then synced) replaces what the
     * consumer knew. */
    void (*list_begin)(void *ud);
    /* One object, borrowed for the call: list items come as KUBE_EV_ADDED, then the
     * watch's ADDED, MODIFIED and DELETED. */
    void (*object)(enum kube_event_type type, const cJSON *obj, void *ud);
    /* The list is complete. */
    void (*synced)(void *ud);
    /* Listing failed (logged, and kept for kube_watch_last_error()); without `once`
     * a new list follows after the backoff. */
    void (*failed)(enum ecd_status st, void *ud);
};

struct kube_watch_opts {
    const char *path;     /* collection: "/api/v1/namespaces", "/api/v1/secrets" */
    const char *query;    /* extra query parameters ("fieldSelector=..."), or NULL */
    const char *resource; /* for messages: "namespaces", "secrets" */
    const char *ns;       /* for messages: the collection's namespace, NULL: cluster */
    const char *label;    /* for messages: "sink k8s" */
    int once;             /* 1: one list, no watch, no retry */
};

/* Start (the first list request goes out now).  opts strings are copied. */
ECD_MUST_CHECK enum ecd_status kube_watch_start(struct kube_client *c, uv_loop_t *loop,
                                                const struct kube_watch_opts *opts,
                                                const struct kube_watch_cbs *cbs, void *ud,
                                                struct kube_watch **out);
/* Stop: cancels what is in flight; the memory goes once the loop has delivered the
 * cancellations.  NULL is fine. */
void kube_watch_stop(struct kube_watch *w);
/* The last list failure's description ("" when the last list succeeded). */
const char *kube_watch_last_error(const struct kube_watch *w);
/* 1 once a list has completed (and the watch is running or reconnecting). */
int kube_watch_synced(const struct kube_watch *w);

#endif
