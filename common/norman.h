/* SPDX-License-Identifier: MIT */
/* Rancher 2.x v3 ("Norman") API replies and request bodies for registry credentials
 * (protocols.md 6.2), as pure functions: the rancher2 sink does the HTTP.
 *
 * What is read: error objects {type:"error", status, code, message}, a project
 * ({type:"project", id, links:{dockerCredentials, namespacedDockerCredentials}}),
 * collections ({type:"collection", data:[...], pagination:{next}}) and credential
 * objects ({type:"dockerCredential"|"namespacedDockerCredential", id:"<ns>:<name>",
 * name, projectId, namespaceId, registries:{host:{username, email}}, labels,
 * annotations, links:{self, update, remove}}).  Passwords and "auth" are write-only:
 * replies never carry them, and nothing here keeps one from a reply.
 *
 * Every rejection of a reply is ECD_EPROTO with a message in the struct jsonutil_err
 * ("Rancher reply: data[2].registries: expected an object"); nothing here logs. */
#ifndef ECD_NORMAN_H
#define ECD_NORMAN_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"
#include "jsonutil.h"
#include "secret.h"
#include "status.h"

/* The label ecr-credd puts on credentials it creates (and on ones it adopts), so it
 * may later drop registries of its own that are no longer configured. */
#define NORMAN_MANAGED_LABEL "app.kubernetes.io/managed-by"
#define NORMAN_MANAGED_VALUE "ecr-credd"

/* Which credential type: project-scoped (Rancher copies it into every namespace of
 * the project) or one namespace's own. */
enum norman_kind {
    NORMAN_PROJECT,
    NORMAN_NAMESPACED,
};

/* The Norman type name and the project's collection link key ("dockerCredential",
 * "dockerCredentials"; "namespacedDockerCredential", ...). */
const char *norman_type_name(enum norman_kind kind);
const char *norman_collection_key(enum norman_kind kind);

/* Syntax checks for config values.  A project id is "<cluster>:<project>", each
 * part a DNS-1123 label ("c-abc12:p-xyz34", "local:p-qt6tq"); names are DNS-1123
 * subdomains (lower case, digits, '-' and '.', at most 253 characters); namespaces
 * DNS-1123 labels (at most 63).  Return 1 when valid. */
int norman_valid_project_id(const char *s);
int norman_valid_name(const char *s);
int norman_valid_namespace(const char *s);

/* An error object.  status is 0 and code/message NULL for what the body did not have. */
struct norman_error {
    long status;   /* the "status" member (a number or a numeric string) */
    char *code;    /* owned; "NotFound", "PermissionDenied", "InvalidBodyContent", ... */
    char *message; /* owned; control characters replaced by '?' */
};

/* Parse a body as an error object: ECD_OK when it is a JSON object whose "type" is
 * "error" (other members optional), ECD_EPROTO otherwise (out left empty). */
ECD_MUST_CHECK enum ecd_status norman_error_parse(const char *text, size_t len,
                                                  struct norman_error *out);
void norman_error_clear(struct norman_error *e);

/* The two credential collection URLs a project links to.  Absent links stay NULL
 * (the caller builds the documented path then).  The project's "id" must equal
 * project_id. */
struct norman_project {
    char *id;           /* owned */
    char *creds_url;    /* owned; links.dockerCredentials, or NULL */
    char *ns_creds_url; /* owned; links.namespacedDockerCredentials, or NULL */
};
ECD_MUST_CHECK enum ecd_status norman_project_parse(struct jsonutil_err *e, const char *text,
                                                    size_t len, const char *project_id,
                                                    struct norman_project *out);
void norman_project_clear(struct norman_project *p);

/* One registry entry as GET shows it (no password). */
struct norman_registry {
    char *host;     /* owned; the map key */
    char *username; /* owned; may be NULL */
};

/* A credential object. */
struct norman_cred {
    enum norman_kind kind;
    char *id;                           /* owned; "<namespace>:<name>" */
    char *name;                         /* owned */
    char *project_id;                   /* owned; may be NULL */
    char *namespace_id;                 /* owned; NULL for project-scoped ones */
    char *link_self;                    /* owned */
    char *link_update;                  /* owned; NULL when the caller may not update it */
    struct norman_registry *registries; /* owned */
    size_t n_registries;
    int managed; /* labels[NORMAN_MANAGED_LABEL] == NORMAN_MANAGED_VALUE */
    int is_copy; /* Rancher's copy of a project-scoped credential (never to be written) */
    cJSON *raw;  /* owned; the object as received, the base of a PUT */
};
void norman_cred_clear(struct norman_cred *c);

/* Parse one credential object (a POST/PUT reply).  It must be of `kind`'s type, with
 * an id, a name and links.self. */
ECD_MUST_CHECK enum ecd_status norman_cred_parse(struct jsonutil_err *e, const char *text,
                                                 size_t len, enum norman_kind kind,
                                                 struct norman_cred *out);

/* Look for the credential called `name` in a collection page.  For NORMAN_NAMESPACED
 * it must be in namespace_id; for NORMAN_PROJECT it must have no namespaceId.  Items
 * of other types, names or namespaces are skipped (servers may ignore the filters),
 * but each must still be an object.  Results:
 *   *found = 1 and *out filled: exactly one match (Rancher's copies count);
 *   *found = 0: none on this page; *next is the next page's URL (owned) or NULL.
 * Two matches are ECD_EPROTO ("... matches 2 objects"). */
ECD_MUST_CHECK enum ecd_status norman_collection_find(struct jsonutil_err *e, const char *text,
                                                      size_t len, enum norman_kind kind,
                                                      const char *name, const char *namespace_id,
                                                      int *found, struct norman_cred *out,
                                                      char **next);

/* One registry to store: password is the ECR password (user "AWS"), auth the docker
 * auth value base64("AWS:" password) exactly as ECR sent it.  Borrowed. */
struct norman_put {
    const char *host;
    const char *username;
    const struct secret *password;
    const struct secret *auth;
};

/* Whether an existing credential may be overwritten with `puts`: registries whose
 * passwords would be lost are the problem, since they are write-only.  ECD_OK when it
 * is managed by ecr-credd or every one of its registries is among puts; otherwise
 * ECD_ECONFIG with the first foreign host names in *foreign (owned, "a, b, +2 more"). */
ECD_MUST_CHECK enum ecd_status norman_check_foreign(const struct norman_cred *cur,
                                                    const struct norman_put *puts, size_t n,
                                                    char **foreign);

/* The JSON body of a create (POST to the collection): type, name, projectId,
 * namespaceId (namespaced only), the managed-by label, and registries with username,
 * password and auth for every put.  Appended to out; contains secrets: buf_wipe() it. */
ECD_MUST_CHECK enum ecd_status norman_render_create(enum norman_kind kind, const char *name,
                                                    const char *project_id,
                                                    const char *namespace_id,
                                                    const struct norman_put *puts, size_t n,
                                                    struct buf *out);
/* The JSON body of an update (PUT to links.self): cur->raw with "registries" replaced
 * by exactly the puts (every password resent, write-only fields never survive a GET)
 * and the managed-by label added; labels, annotations, description and the rest kept.
 * Contains secrets: buf_wipe() it. */
ECD_MUST_CHECK enum ecd_status norman_render_update(const struct norman_cred *cur,
                                                    const struct norman_put *puts, size_t n,
                                                    struct buf *out);

#endif
