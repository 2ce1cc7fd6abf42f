/* SPDX-License-Identifier: MIT */
/* Which namespaces the Kubernetes sink writes to: names and fnmatch(3) globs, glob
 * exclusions, and a label selector in the API server's syntax:
 *     env=prod, tier in (web, api), !legacy, team != ops
 * (comma = AND; =, ==, !=, in, notin, exists "key", does-not-exist "!key").  Pure
 * code: parsing reports through struct jsonutil_err ("file: sinks[0].exclude[2]:
 * ..."), matching takes a cJSON labels object (metadata.labels, may be NULL). */
#ifndef ECD_KUBE_SELECT_H
#define ECD_KUBE_SELECT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "jsonutil.h"
#include "status.h"

struct kube_selector;

/* Parse a label selector ("" and blanks select everything).  Errors go to e with
 * `path` (the config position) and say what was expected at which offset:
 *   "sinks[0].namespace_selector: at offset 4: expected a value after \"=\"". */
ECD_MUST_CHECK enum ecd_status kube_selector_parse(struct jsonutil_err *e, const char *path,
                                                   const char *text, struct kube_selector **out);
void kube_selector_free(struct kube_selector *s); /* NULL is fine */
/* 1 when labels (a cJSON object of string values, or NULL: no labels) satisfy every
 * requirement.  Non-string label values count as absent. */
int kube_selector_match(const struct kube_selector *s, const cJSON *labels);
/* Requirements in s (0 for the empty selector). */
size_t kube_selector_count(const struct kube_selector *s);

/* A namespace name (RFC 1123 label: 1-63 of [a-z0-9-], alphanumeric at both ends). */
int kube_name_valid(const char *name);
/* A name pattern: a name, or a glob of [a-z0-9-] with *, ? and [...] classes. */
int kube_glob_valid(const char *pattern);
/* 1 when the pattern has glob characters (so it needs a namespace listing). */
int kube_glob_is_pattern(const char *pattern);

/* The whole namespace choice of one sink. */
struct kube_nsfilter {
    char **include; /* owned; names or globs; n_include >= 1 */
    size_t n_include;
    char **exclude; /* owned; globs */
    size_t n_exclude;
    struct kube_selector *selector; /* owned; NULL: labels do not matter */
};

/* Fill f from the sink's JSON keys "namespaces", "exclude" and "namespace_selector"
 * of obj (at `path`).  Without "namespaces": ["*"] when a selector is given, else
 * [default_ns].  Errors name the key and element. */
ECD_MUST_CHECK enum ecd_status kube_nsfilter_parse(struct jsonutil_err *e, const cJSON *obj,
                                                   const char *path, const char *default_ns,
                                                   struct kube_nsfilter *f);
void kube_nsfilter_deinit(struct kube_nsfilter *f);
/* 1 when only literal names are given and no selector: the sink can write to them
 * without listing namespaces (no cluster-wide permission needed). */
int kube_nsfilter_is_literal(const struct kube_nsfilter *f);
/* 1 when the namespace is selected: some include matches, no exclude matches, and
 * the selector (if any) matches its labels. */
int kube_nsfilter_match(const struct kube_nsfilter *f, const char *name, const cJSON *labels);

#endif
