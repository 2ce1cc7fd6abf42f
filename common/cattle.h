/* SPDX-License-Identifier: MIT */
/* The Rancher 1.6 (Cattle) API's JSON, as pure functions: collections
 * ({type:"collection", data:[...], pagination:{next}}), registry and
 * registryCredential resources (id, state, links.self, actions), error bodies
 * ({type:"error", status, code, message, detail}) and the request bodies the
 * rancher1 sink sends.  protocols.md 6.1.  Nothing here touches the network. */
#ifndef ECD_CATTLE_H
#define ECD_CATTLE_H

#include <stddef.h>

#include "buf.h"
#include "jsonutil.h"
#include "secret.h"
#include "status.h"

#define CATTLE_TYPE_REGISTRY   "registry"
#define CATTLE_TYPE_CREDENTIAL "registryCredential"
/* Longest registry host the sink compares (DNS names are at most 253 octets). */
#define CATTLE_HOST_MAX 256

/* One resource.  All strings owned; NULL when the response left them out. */
struct cattle_object {
    char *id;             /* required: "1sp5" */
    char *type;           /* required: "registry", "registryCredential" */
    char *state;          /* "active", "activating", "updating-active", ... */
    char *self;           /* links.self: where PUT and DELETE go */
    char *activate;       /* actions.activate, when offered */
    char *server_address; /* registry: serverAddress */
    char *registry_id;    /* registryCredential: registryId */
    char *public_value;   /* registryCredential: publicValue (the user name) */
};

/* One page of a collection. */
struct cattle_list {
    struct cattle_object *items; /* owned */
    size_t n;
    char *next; /* owned; pagination.next, NULL on the last page */
};

/* An error body.  Text fields are cut to size and stripped of control characters,
 * so they can go into a log line; "" when absent. */
struct cattle_error {
    long status;
    char code[64];
    char message[256];
    char detail[256];
};

/* How a resource's state bears on an update. */
enum cattle_state_kind {
    CATTLE_STATE_READY, /* active, inactive, or no state at all: PUT may go ahead */
    CATTLE_STATE_WAIT,  /* activating, updating-active, ...: wait, then look again */
    CATTLE_STATE_GONE,  /* removing, removed, purging, purged: as if absent */
};

/* Parse one page of a collection of `want_type` resources.  Failures (ECD_EPROTO, or
 * ECD_ENOMEM) are described in e ("<name>: data[2].id: expected a string"); *out is
 * then empty.  Free with cattle_list_clear(). */
ECD_MUST_CHECK enum ecd_status cattle_list_parse(struct jsonutil_err *e, const char *text,
                                                 size_t len, const char *want_type,
                                                 struct cattle_list *out);
/* Append src's items to dst (src is left empty, its `next` is dropped). */
ECD_MUST_CHECK enum ecd_status cattle_list_take(struct cattle_list *dst, struct cattle_list *src);
void cattle_list_clear(struct cattle_list *l);

/* Parse a single resource of `want_type` (a POST or PUT reply, or GET links.self). */
ECD_MUST_CHECK enum ecd_status cattle_object_parse(struct jsonutil_err *e, const char *text,
                                                   size_t len, const char *want_type,
                                                   struct cattle_object *out);
void cattle_object_clear(struct cattle_object *o);

/* 1 and *out filled when text is a Cattle error object; 0 (and *out zeroed) for
 * anything else. */
int cattle_error_parse(const char *text, size_t len, struct cattle_error *out);

/* The error means "try again once the resource settles": InvalidState, or a
 * message saying the state is not updatable. */
int cattle_error_is_state(const struct cattle_error *err);

enum cattle_state_kind cattle_state_kind(const char *state);

/* The registry host of a serverAddress, as the sink compares it: scheme, path and
 * trailing slashes dropped, lower case ("https://ABC.dkr.ecr.x.amazonaws.com/" ->
 * "abc.dkr.ecr.x.amazonaws.com").  0 on success; -1 when nothing is left or it
 * does not fit in n bytes. */
int cattle_host_normalize(const char *server_address, char *out, size_t n);

/* The path-and-query part of an absolute or root-relative URL ("/v1/registries/1sp5"),
 * borrowed from url; NULL when url has no such part. */
const char *cattle_url_path(const char *url);

/* Split a base URL (http(s)://host[:port]/path) into its origin
 * ("http://host:port") and the API path, which must end with a /v1 or /v2-beta
 * segment, optionally followed by /projects/<id>.  *origin is malloc'ed.
 * ECD_ECONFIG with *why set for a URL of another shape. */
ECD_MUST_CHECK enum ecd_status cattle_base_check(const char *url, char **origin, const char **why);

/* Request bodies.  Secrets pass through out, which the caller wipes (buf_wipe). */
ECD_MUST_CHECK enum ecd_status cattle_registry_body(const char *host, struct buf *out);
/* registry_id NULL: an update (PUT) body; else a create (POST) body. */
ECD_MUST_CHECK enum ecd_status cattle_credential_body(const char *registry_id,
                                                      const char *public_value,
                                                      const struct secret *secret_value,
                                                      const char *email, struct buf *out);

/* Resource ids go into query strings: letters, digits, '.', '_' and '-', 1..64. */
int cattle_id_ok(const char *id);

#endif
