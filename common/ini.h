/* SPDX-License-Identifier: MIT */
/* The AWS shared config and credentials file format, read the way botocore reads it:
 * Python's configparser.RawConfigParser (strict mode, '=' and ':' delimiters, '#' and ';'
 * whole-line comments, indented continuation lines, [DEFAULT] as fallback for every
 * section) followed by botocore's raw_config_parse(), which turns a value that starts
 * with an empty first line into a nested block of "key = value" pairs:
 *
 *     [profile dev]
 *     region = eu-west-1
 *     s3 =
 *         addressing_style = path
 *
 * Every duplicate section or key in one file is an error, as in strict RawConfigParser,
 * and so is a line that is neither a comment, a "[section]" nor a "key = value".
 * Errors are logged once as "<name>:<line>: <what was expected>" and returned as
 * ECD_ECONFIG; values are never quoted in messages, since they may be secrets.
 * Every key and value is wiped when the tree is freed.
 *
 * Known differences from Python: keys are lower-cased for ASCII letters (and U+212A
 * KELVIN SIGN, the one non-ASCII letter that lower-cases to ASCII) only; a NUL byte
 * and a file larger than INI_MAX_SIZE are rejected. */
#ifndef ECD_INI_H
#define ECD_INI_H

#include <stddef.h>

#include "status.h"

#define INI_MAX_SIZE (1024 * 1024)

/* One "key = value" line of a nested block: both stripped, the key as written. */
struct ini_pair {
    char *key;     /* owned */
    char *value;   /* owned */
    unsigned line; /* 1-based */
};

struct ini_option {
    char *key;            /* owned; lower-cased */
    char *value;          /* owned; stripped, continuation lines joined with '\n' */
    struct ini_pair *sub; /* owned; the nested block when value starts with '\n', else NULL */
    size_t n_sub;         /* entries in sub; at least 1 when sub is set */
    unsigned line;        /* 1-based line of the key */
};

struct ini_section {
    char *name;              /* owned; the text between '[' and the last ']', not stripped */
    struct ini_option *opts; /* owned; in file order */
    size_t n_opts;
    unsigned line; /* 1-based line of the header (the first one, for [DEFAULT]) */
};

struct ini {
    char *name;                   /* owned; the file name used in messages */
    struct ini_section *sections; /* owned; in file order, without [DEFAULT] */
    size_t n_sections;
    /* All [DEFAULT] blocks; name NULL, n_opts 0 when absent.  A value here that starts
     * with '\n' but is no valid nested block has sub NULL: no section reaches it, since
     * botocore would reject the file if one did. */
    struct ini_section defaults;
};

/* Parse len bytes of text (need not be NUL-terminated); `name` is used in messages.
 * ECD_ECONFIG (logged) when the text is not valid, ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status ini_parse(const char *text, size_t len, const char *name,
                                         struct ini **out);

/* Read and parse the file at `path`.  As in botocore, a path that is not an existing
 * regular file yields ECD_OK with *out == NULL (no profiles), and so does a file that
 * exists but cannot be opened or read (botocore ignores it silently; we log a warning).
 * ECD_ECONFIG (logged) for a parse error or a file larger than INI_MAX_SIZE. */
ECD_MUST_CHECK enum ecd_status ini_load(const char *path, struct ini **out);

void ini_free(struct ini *ini); /* wipes every key and value; NULL is fine */

/* The section called `name` exactly ([DEFAULT] is never found), or NULL. */
const struct ini_section *ini_find_section(const struct ini *ini, const char *name);

/* Look `key` (lower-case) up the way RawConfigParser.get() does: in the section, then
 * in [DEFAULT].  NULL when absent or when sec is NULL. */
const struct ini_option *ini_lookup(const struct ini *ini, const struct ini_section *sec,
                                    const char *key);

/* For nested blocks: the value of `key` (as written) in opt->sub, or NULL. */
const char *ini_sub_get(const struct ini_option *opt, const char *key);

/* Expand a file path as botocore does: os.path.expandvars() ($NAME and ${NAME} for set
 * variables; unset ones stay as written), then os.path.expanduser() (~ from HOME, or from
 * the password database when HOME is unset; ~user from the password database; unknown
 * users stay as written).  getenv_fn reads the environment.  *out is malloc'ed. */
ECD_MUST_CHECK enum ecd_status ini_expand_path(const char *path,
                                               const char *(*getenv_fn)(const char *), char **out);

#endif
