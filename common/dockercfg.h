/* SPDX-License-Identifier: MIT */
/* Write registry auths into a docker config.json (protocols.md section 4) without
 * disturbing anything else in it: read, merge into the generic JSON tree, render
 * tab-indented, replace atomically (atomicfile.h), and say which hosts docker will not
 * take from the file because a credential helper shadows them.  Pure code: no loop. */
#ifndef ECD_DOCKERCFG_H
#define ECD_DOCKERCFG_H

#include <stddef.h>

#include "buf.h"
#include "status.h"
#include "token.h"

/* Largest config.json we read, and largest text we render. */
#define DOCKERCFG_MAX_FILE   (4u * 1024 * 1024)
#define DOCKERCFG_MAX_RENDER (64u * 1024 * 1024)

enum dockercfg_shadow_kind {
    DOCKERCFG_SHADOW_CREDS_STORE = 1, /* "credsStore": "<helper>" applies to the host */
    DOCKERCFG_SHADOW_CRED_HELPER,     /* "credHelpers": {"<host>": "<helper>"} */
};

/* A host whose written "auth" docker will ignore, asking docker-credential-<helper>. */
struct dockercfg_shadow {
    char *host;   /* owned: the auths key we wrote */
    char *helper; /* owned: the helper suffix, e.g. "desktop", "ecr-login" */
    enum dockercfg_shadow_kind kind;
};

struct dockercfg_result {
    char *name;                        /* owned: the path (or name) for messages */
    int changed;                       /* merge: the text differs; update: the file was rewritten */
    size_t n_shadowed;                 /* entries in shadowed */
    struct dockercfg_shadow *shadowed; /* owned; one per shadowed item, in item order */
};

/* Release what a dockercfg call put in res and zero it.  Safe on a zeroed res. */
void dockercfg_result_deinit(struct dockercfg_result *res);

/* Log one warning per shadowed host, naming the file, the setting and the way out.
 * The caller decides how often (once per change of the result, not per refresh). */
void dockercfg_warn(const struct dockercfg_result *res);

/* Merge items into the config text[0..len) (not necessarily NUL-terminated) and
 * append the new text to out, which the caller wipes.  name is for messages only.
 * Rules:
 *   - len 0 or whitespace only: start from {}.
 *   - invalid JSON (with line:column), text after the value, a NUL byte, a top level
 *     that is not an object, a duplicate or non-object "auths" (null is taken as {}),
 *     or an entry for one of our hosts that is neither object nor null: ECD_ECONFIG,
 *     logged with name.
 *   - every key we do not write is kept, in order; values are re-rendered, so
 *     insignificant spelling may change (escapes, number formats: cJSON keeps doubles).
 *   - for each item, auths[host].auth = item->auth verbatim, and so for every other
 *     key in auths naming the same host ("https://host", "http://host/v2/", "host/",
 *     letters in another case): docker's ConvertToHostname (strip "http://" or
 *     "https://", cut at the first '/') with the host compared case-insensitively.
 *     In those entries "username", "password", "identitytoken" and "registrytoken"
 *     are removed: docker prefers identitytoken over auth, and stale leftovers would
 *     only mislead.  Other fields ("email", "serveraddress", unknown) stay.  item->host
 *     is normalised the same way; an empty host or an unset auth is ECD_EINVAL.
 *   - text rendered like cJSON_Print (tabs) plus a final newline.
 * res is overwritten (deinit it before reuse, and after, whatever the status);
 * res->changed is 1 when the new text differs from text[0..len).
 * Every string value of the tree and every buffer that held the text is wiped. */
ECD_MUST_CHECK enum ecd_status dockercfg_merge(const char *text, size_t len, const char *name,
                                               const struct registry_auth *items, size_t n,
                                               struct buf *out, struct dockercfg_result *res);

/* Read path (a missing file counts as {}; over DOCKERCFG_MAX_FILE is ECD_EIO), merge
 * items (dockercfg_merge), and when the text changed write it with
 * atomicfile_replace(), creating the missing directory with mode 0700 first.  A new
 * file gets mode 0600; an existing one keeps its mode and owner, and a symlink stays a
 * symlink.  On error the file is untouched.  res->changed is 1 only when the file was
 * rewritten.  Statuses: ECD_OK, ECD_ECONFIG (contents rejected), ECD_EIO, ECD_ENOMEM,
 * ECD_EINVAL; all logged here. */
ECD_MUST_CHECK enum ecd_status dockercfg_update(const char *path, const struct registry_auth *items,
                                                size_t n, struct dockercfg_result *res);

/* Where the docker CLI keeps its config: $DOCKER_CONFIG/config.json when DOCKER_CONFIG
 * is non-empty, else $HOME/.docker/config.json when HOME is non-empty and absolute,
 * else ECD_ECONFIG (logged).  getenv_fn NULL means getenv(3).  *out is malloc'ed. */
ECD_MUST_CHECK enum ecd_status dockercfg_default_path(const char *(*getenv_fn)(const char *),
                                                      char **out);

#endif
