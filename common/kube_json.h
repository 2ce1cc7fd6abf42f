/* SPDX-License-Identifier: MIT */
/* Pure readers of what a Kubernetes API server sends: watch streams (newline-
 * delimited JSON events), list responses (items, resourceVersion, continue token),
 * Status objects (errors), and the metadata every object carries.  Nothing here
 * logs; failures land in a struct jsonutil_err naming the place, e.g.
 *   "watch event: object.metadata.resourceVersion: expected a string". */
#ifndef ECD_KUBE_JSON_H
#define ECD_KUBE_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"
#include "jsonutil.h"
#include "status.h"

/* Splits a watch stream into lines.  Chunks may end anywhere; a line longer than
 * max_line fails the feed with ECD_EPROTO.  Secret events hold secret data, so the
 * held bytes are wiped when consumed and at deinit. */
struct kube_lines {
    struct buf pending; /* owned; an incomplete line */
};

typedef enum ecd_status kube_line_fn(const char *line, size_t len, void *ud);

void kube_lines_init(struct kube_lines *l, size_t max_line);
/* Call fn for each complete, non-blank line (without its "\n" or "\r\n"); stops at
 * the first error fn returns and returns it. */
ECD_MUST_CHECK enum ecd_status kube_lines_feed(struct kube_lines *l, const char *data, size_t len,
                                               kube_line_fn *fn, void *ud);
void kube_lines_reset(struct kube_lines *l); /* drop a partial line (new connection) */
void kube_lines_deinit(struct kube_lines *l);

enum kube_event_type {
    KUBE_EV_ADDED,
    KUBE_EV_MODIFIED,
    KUBE_EV_DELETED,
    KUBE_EV_BOOKMARK,
    KUBE_EV_ERROR,
};

/* One watch event.  For ERROR, object is a Status (see kube_status_from_object). */
struct kube_event {
    enum kube_event_type type;
    cJSON *root;         /* owned; free with kube_event_deinit() */
    const cJSON *object; /* borrowed from root; an object */
    const char *rv;      /* borrowed; object.metadata.resourceVersion, NULL for ERROR */
};

/* Parse one event line: {"type": ..., "object": {...}}.  Every type but ERROR needs
 * object.metadata.resourceVersion (a non-empty string).  Unknown types fail. */
ECD_MUST_CHECK enum ecd_status kube_event_parse(struct jsonutil_err *e, const char *line,
                                                size_t len, struct kube_event *ev);
void kube_event_deinit(struct kube_event *ev); /* wipes (secret events) and frees */
const char *kube_event_type_name(enum kube_event_type t);

/* A Status object's interesting parts; strings are truncated and have control
 * characters replaced, so they are safe to log. */
struct kube_status {
    long code;         /* "code"; 0 when absent */
    char reason[64];   /* "reason": "Forbidden", "Expired", "Conflict", ...; "" when absent */
    char message[320]; /* "message"; "" when absent */
};

/* 1 and *out filled when obj is a Status ("kind": "Status"); 0 (and *out empty)
 * otherwise. */
int kube_status_from_object(const cJSON *obj, struct kube_status *out);
/* The same for a response body (any text: not JSON, or not a Status, gives 0). */
int kube_status_parse(const char *body, size_t len, struct kube_status *out);

/* A list response: {"kind": "...List", "metadata": {"resourceVersion", "continue"},
 * "items": [...]}.  items must be an array of objects (null reads as empty); the
 * resourceVersion must be a non-empty string. */
struct kube_list {
    cJSON *root;        /* owned; free with kube_list_deinit() */
    const cJSON *items; /* borrowed; an array (possibly empty) or NULL when null */
    const char *rv;     /* borrowed; metadata.resourceVersion */
    const char *cont;   /* borrowed; metadata.continue, NULL when absent or "" */
};

ECD_MUST_CHECK enum ecd_status kube_list_parse(struct jsonutil_err *e, const char *body, size_t len,
                                               struct kube_list *l);
void kube_list_deinit(struct kube_list *l); /* wipes (secret lists) and frees */

/* An object's metadata (all borrowed from obj). */
struct kube_meta {
    const char *name;         /* required, non-empty */
    const char *namespace_;   /* NULL for cluster-scoped objects */
    const char *rv;           /* resourceVersion; NULL when absent */
    const cJSON *labels;      /* an object, or NULL */
    const cJSON *annotations; /* an object, or NULL */
};

/* Read obj.metadata; `path` names obj in messages ("items[3]", "object"). */
ECD_MUST_CHECK enum ecd_status kube_meta_get(struct jsonutil_err *e, const cJSON *obj,
                                             const char *path, struct kube_meta *m);
/* A Namespace's status.phase ("Active", "Terminating"); "" when absent. */
const char *kube_namespace_phase(const cJSON *ns);

/* Append s to out, percent-encoded for a URL query value (RFC 3986 unreserved kept). */
ECD_MUST_CHECK enum ecd_status kube_url_escape(struct buf *out, const char *s);

#endif
