/* SPDX-License-Identifier: MIT */
/* Small cJSON helpers whose failures come with a message a user can act on:
 *   config.json:3:17: invalid JSON
 *   config.json: registries[1].region: expected a string
 *   config.json: refresh.jiter: unknown key (allowed: before_expiry, jitter, ...)
 * Nothing here logs: the message lands in a struct jsonutil_err and the caller logs
 * it (config) or hands it on (ECR replies), so each failure is reported once. */
#ifndef ECD_JSONUTIL_H
#define ECD_JSONUTIL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "status.h"

/* Room for a JSON path in messages ("registries[3].registry_ids[7]"); longer paths
 * are truncated, never overflowed. */
#define JSONUTIL_PATH_MAX 256

/* Where the helpers put their failure.  Initialise with jsonutil_err_init(). */
struct jsonutil_err {
    const char *name; /* borrowed; first part of every message ("config.json"); may be NULL */
    enum ecd_status fail_st; /* what a rejected input returns: ECD_ECONFIG, ECD_EPROTO, ... */
    char msg[512];           /* the last failure's message; "" while none */
};

void jsonutil_err_init(struct jsonutil_err *e, const char *name, enum ecd_status fail_st);

/* Record "<name>: <path>: <text>" in e->msg (the name and path parts are left out
 * when NULL or empty) and return e->fail_st, so a caller can write
 *     return jsonutil_fail(e, path, "expected 12 digits");
 * Control characters in the result become '?', so input cannot forge log lines. */
enum ecd_status jsonutil_fail(struct jsonutil_err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Paths for messages: "<parent>.<key>" ("<key>" when parent is empty) and
 * "<parent>[<i>]".  dst has n bytes (JSONUTIL_PATH_MAX is plenty); the key may come
 * from the input, so control characters become '?'. */
void jsonutil_path_key(char *dst, size_t n, const char *parent, const char *key);
void jsonutil_path_index(char *dst, size_t n, const char *parent, size_t i);

/* Parse text[0..len) (no NUL needed) into *out, which the caller frees with
 * cJSON_Delete() or jsonutil_delete_wiped().  Rejects, with e->fail_st:
 *   "<name>:<line>:<col>: invalid JSON"                (position from cJSON_GetErrorPtr)
 *   "<name>:<line>:<col>: invalid JSON: data after the value"
 *   "<name>:<line>:<col>: invalid JSON: NUL byte"         (len must not count a terminator)
 *   "<name>: empty document, expected JSON"
 * (without a name: "line <line>, column <col>: invalid JSON").  cJSON itself cannot
 * tell a syntax error from running out of memory; both read as invalid JSON. */
ECD_MUST_CHECK enum ecd_status jsonutil_parse(struct jsonutil_err *e, const char *text, size_t len,
                                              cJSON **out);

/* 1-based line and column of text[pos] (pos may equal the length: the end), columns
 * counting bytes, as jsonutil_parse() reports them; for callers with their own
 * messages (dockercfg). */
void jsonutil_line_col(const char *text, size_t pos, unsigned long *line, unsigned long *col);

/* Whether a member must be there. */
enum jsonutil_need {
    JSONUTIL_OPTIONAL,
    JSONUTIL_REQUIRED,
};

/* Typed getters for obj[key] (case-sensitive; with duplicate keys, the first).
 * `path` is obj's own path ("" for the root); messages name "<path>.<key>".
 *   - present with the right type: ECD_OK and *out set;
 *   - absent and optional: ECD_OK and *out left as it was (so preset the default);
 *   - absent and required: "<path>.<key>: missing, expected <what>";
 *   - present with another type (null included): "<path>.<key>: expected <what>".
 * Strings may be empty here; callers that need text check for "". */
ECD_MUST_CHECK enum ecd_status jsonutil_get_object(struct jsonutil_err *e, const cJSON *obj,
                                                   const char *path, const char *key,
                                                   enum jsonutil_need need, const cJSON **out);
ECD_MUST_CHECK enum ecd_status jsonutil_get_array(struct jsonutil_err *e, const cJSON *obj,
                                                  const char *path, const char *key,
                                                  enum jsonutil_need need, const cJSON **out);
ECD_MUST_CHECK enum ecd_status jsonutil_get_string(struct jsonutil_err *e, const cJSON *obj,
                                                   const char *path, const char *key,
                                                   enum jsonutil_need need, const char **out);
/* Any JSON number form (1420070400, 1.7385984915E9, 1e999 = inf): the caller
 * checks range and finiteness. */
ECD_MUST_CHECK enum ecd_status jsonutil_get_number(struct jsonutil_err *e, const cJSON *obj,
                                                   const char *path, const char *key,
                                                   enum jsonutil_need need, double *out);
ECD_MUST_CHECK enum ecd_status jsonutil_get_bool(struct jsonutil_err *e, const cJSON *obj,
                                                 const char *path, const char *key,
                                                 enum jsonutil_need need, int *out);

/* The node itself (an array element, the root) must be of this kind; "<path>: expected
 * <what>" otherwise.  `what` is one of the JSONUTIL_* names below. */
#define JSONUTIL_OBJECT "an object"
#define JSONUTIL_ARRAY  "an array"
#define JSONUTIL_STRING "a string"
#define JSONUTIL_NUMBER "a number"
#define JSONUTIL_BOOL   "true or false"
ECD_MUST_CHECK enum ecd_status jsonutil_expect(struct jsonutil_err *e, const cJSON *node,
                                               const char *path, const char *what);

/* Every key of obj must be in `allowed` (NULL-terminated, at most 64 names) and appear
 * once.  The first offender in document order fails:
 *   "<path>.<key>: unknown key (allowed: a, b, c)"
 *   "<path>.<key>: duplicate key"
 * ECD_EINVAL when allowed has more than 64 names. */
ECD_MUST_CHECK enum ecd_status jsonutil_check_keys(struct jsonutil_err *e, const cJSON *obj,
                                                   const char *path, const char *const *allowed);
/* Only the duplicate check, for objects whose keys another module validates; keys
 * are sorted, so a large object costs O(n log n).  ECD_ENOMEM possible. */
ECD_MUST_CHECK enum ecd_status jsonutil_check_unique(struct jsonutil_err *e, const cJSON *obj,
                                                     const char *path);

/* Overwrite every string value, raw value and (non-constant) key of the tree with
 * OPENSSL_cleanse, for trees that held secrets; then jsonutil_delete_wiped() frees.
 * References (cJSON_IsReference) belong to another tree and are skipped.  The tree
 * is unusable for lookups afterwards.  NULL is fine. */
void jsonutil_wipe(cJSON *node);
void jsonutil_delete_wiped(cJSON *node);

#endif
