/* SPDX-License-Identifier: MIT */
/* cJSON helpers with user-facing messages; see jsonutil.h. */
#include "jsonutil.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonutil_err_init(struct jsonutil_err *e, const char *name, enum ecd_status fail_st)
{
    e->name = name;
    e->fail_st = fail_st;
    e->msg[0] = '\0';
}

/* Input bytes end up in messages (unknown keys, names); a newline or escape
 * sequence there must not reach the log as such. */
static void defang(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

enum ecd_status jsonutil_fail(struct jsonutil_err *e, const char *path, const char *fmt, ...)
{
    size_t used = 0;
    va_list ap;
    int n;

    if (e->name && *e->name)
        n = snprintf(e->msg, sizeof(e->msg), "%s: ", e->name);
    else
        n = 0;
    if (n > 0)
        used = (size_t)n < sizeof(e->msg) ? (size_t)n : sizeof(e->msg) - 1;
    if (path && *path && used < sizeof(e->msg) - 1) {
        n = snprintf(e->msg + used, sizeof(e->msg) - used, "%s: ", path);
        if (n > 0)
            used += (size_t)n < sizeof(e->msg) - used ? (size_t)n : sizeof(e->msg) - used - 1;
    }
    if (used < sizeof(e->msg) - 1) {
        va_start(ap, fmt);
        vsnprintf(e->msg + used, sizeof(e->msg) - used, fmt, ap);
        va_end(ap);
    }
    defang(e->msg);
    return e->fail_st;
}

void jsonutil_path_key(char *dst, size_t n, const char *parent, const char *key)
{
    if (!n)
        return;
    if (parent && *parent)
        snprintf(dst, n, "%s.%s", parent, key ? key : "");
    else
        snprintf(dst, n, "%s", key ? key : "");
    defang(dst);
}

void jsonutil_path_index(char *dst, size_t n, const char *parent, size_t i)
{
    if (!n)
        return;
    snprintf(dst, n, "%s[%zu]", parent ? parent : "", i);
    defang(dst);
}

void jsonutil_line_col(const char *text, size_t pos, unsigned long *line, unsigned long *col)
{
    size_t bol = 0;

    *line = 1;
    for (size_t i = 0; i < pos; i++) {
        if (text[i] == '\n') {
            (*line)++;
            bol = i + 1;
        }
    }
    *col = (unsigned long)(pos - bol) + 1;
}

static enum ecd_status parse_fail_at(struct jsonutil_err *e, const char *text, size_t pos,
                                     const char *what)
{
    unsigned long line, col;

    jsonutil_line_col(text, pos, &line, &col);
    if (e->name && *e->name)
        snprintf(e->msg, sizeof(e->msg), "%s:%lu:%lu: %s", e->name, line, col, what);
    else
        snprintf(e->msg, sizeof(e->msg), "line %lu, column %lu: %s", line, col, what);
    defang(e->msg);
    return e->fail_st;
}

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum ecd_status jsonutil_parse(struct jsonutil_err *e, const char *text, size_t len, cJSON **out)
{
    const char *end = NULL, *err;
    size_t i;
    cJSON *root;

    *out = NULL;
    for (i = 0; i < len && is_json_space(text[i]); i++)
        ;
    if (i == len)
        return jsonutil_fail(e, NULL, "empty document, expected JSON");
    /* RFC 8259 has no place for a raw NUL, but cJSON would copy one into a string,
     * where C code would silently see the text end early. */
    err = memchr(text, '\0', len);
    if (err)
        return parse_fail_at(e, text, (size_t)(err - text), "invalid JSON: NUL byte");
    /* Not cJSON_ParseWithLength: it accepts trailing data after the value (and
     * insisting on a NUL terminator would need one inside len), so the remainder
     * is checked here. */
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t pos = len - 1;

        err = cJSON_GetErrorPtr();
        if (err && err >= text && err < text + len)
            pos = (size_t)(err - text);
        return parse_fail_at(e, text, pos, "invalid JSON");
    }
    if (end && end >= text && end <= text + len) {
        for (i = (size_t)(end - text); i < len && is_json_space(text[i]); i++)
            ;
        if (i < len) {
            cJSON_Delete(root);
            return parse_fail_at(e, text, i, "invalid JSON: data after the value");
        }
    }
    *out = root;
    return ECD_OK;
}

static int has_kind(const cJSON *node, const char *what)
{
    if (!node)
        return 0;
    if (!strcmp(what, JSONUTIL_OBJECT))
        return cJSON_IsObject(node);
    if (!strcmp(what, JSONUTIL_ARRAY))
        return cJSON_IsArray(node);
    if (!strcmp(what, JSONUTIL_STRING))
        return cJSON_IsString(node) && node->valuestring;
    if (!strcmp(what, JSONUTIL_NUMBER))
        return cJSON_IsNumber(node);
    if (!strcmp(what, JSONUTIL_BOOL))
        return cJSON_IsBool(node);
    return 0;
}

enum ecd_status jsonutil_expect(struct jsonutil_err *e, const cJSON *node, const char *path,
                                const char *what)
{
    if (!has_kind(node, what))
        return jsonutil_fail(e, path, "expected %s", what);
    return ECD_OK;
}

/* The shared part of the getters: *found is the member, or NULL when it is absent
 * and optional. */
static enum ecd_status get_member(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                  const char *key, enum jsonutil_need need, const char *what,
                                  const cJSON **found)
{
    char where[JSONUTIL_PATH_MAX];
    const cJSON *item;

    *found = NULL;
    item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item && need == JSONUTIL_OPTIONAL)
        return ECD_OK;
    jsonutil_path_key(where, sizeof(where), path, key);
    if (!item)
        return jsonutil_fail(e, where, "missing, expected %s", what);
    if (!has_kind(item, what))
        return jsonutil_fail(e, where, "expected %s", what);
    *found = item;
    return ECD_OK;
}

enum ecd_status jsonutil_get_object(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *key, enum jsonutil_need need, const cJSON **out)
{
    const cJSON *item;
    enum ecd_status st = get_member(e, obj, path, key, need, JSONUTIL_OBJECT, &item);

    if (!st && item)
        *out = item;
    return st;
}

enum ecd_status jsonutil_get_array(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                   const char *key, enum jsonutil_need need, const cJSON **out)
{
    const cJSON *item;
    enum ecd_status st = get_member(e, obj, path, key, need, JSONUTIL_ARRAY, &item);

    if (!st && item)
        *out = item;
    return st;
}

enum ecd_status jsonutil_get_string(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *key, enum jsonutil_need need, const char **out)
{
    const cJSON *item;
    enum ecd_status st = get_member(e, obj, path, key, need, JSONUTIL_STRING, &item);

    if (!st && item)
        *out = item->valuestring;
    return st;
}

enum ecd_status jsonutil_get_number(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *key, enum jsonutil_need need, double *out)
{
    const cJSON *item;
    enum ecd_status st = get_member(e, obj, path, key, need, JSONUTIL_NUMBER, &item);

    if (!st && item)
        *out = item->valuedouble;
    return st;
}

enum ecd_status jsonutil_get_bool(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                  const char *key, enum jsonutil_need need, int *out)
{
    const cJSON *item;
    enum ecd_status st = get_member(e, obj, path, key, need, JSONUTIL_BOOL, &item);

    if (!st && item)
        *out = cJSON_IsTrue(item) ? 1 : 0;
    return st;
}

enum ecd_status jsonutil_check_keys(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *const *allowed)
{
    char where[JSONUTIL_PATH_MAX], list[JSONUTIL_PATH_MAX];
    uint64_t seen = 0;
    size_t n_allowed = 0, used = 0;

    while (allowed[n_allowed])
        n_allowed++;
    if (n_allowed > 64)
        return ECD_EINVAL;
    for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next) {
        size_t j;

        for (j = 0; j < n_allowed; j++)
            if (it->string && !strcmp(it->string, allowed[j]))
                break;
        if (j < n_allowed && !(seen & ((uint64_t)1 << j))) {
            seen |= (uint64_t)1 << j;
            continue;
        }
        jsonutil_path_key(where, sizeof(where), path, it->string);
        if (j < n_allowed)
            return jsonutil_fail(e, where, "duplicate key");
        list[0] = '\0';
        for (size_t k = 0; k < n_allowed && used < sizeof(list) - 1; k++) {
            int w = snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", allowed[k]);

            if (w < 0)
                break;
            used += (size_t)w < sizeof(list) - used ? (size_t)w : sizeof(list) - used - 1;
        }
        return jsonutil_fail(e, where, "unknown key (allowed: %s)", list);
    }
    return ECD_OK;
}

struct key_pos {
    const char *key;
    size_t idx;
};

static int key_pos_cmp(const void *a, const void *b)
{
    const struct key_pos *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

enum ecd_status jsonutil_check_unique(struct jsonutil_err *e, const cJSON *obj, const char *path)
{
    char where[JSONUTIL_PATH_MAX];
    struct key_pos *keys;
    size_t n = 0, first = SIZE_MAX;
    const char *dup = NULL;

    for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
        n++;
    if (n < 2)
        return ECD_OK;
    keys = malloc(n * sizeof(*keys));
    if (!keys) {
        snprintf(e->msg, sizeof(e->msg), "out of memory");
        return ECD_ENOMEM;
    }
    n = 0;
    for (const cJSON *it = obj->child; it; it = it->next, n++) {
        keys[n].key = it->string ? it->string : "";
        keys[n].idx = n;
    }
    qsort(keys, n, sizeof(*keys), key_pos_cmp);
    /* Report the duplicate that comes first in the document: within a run of equal
     * keys the second entry is the first repetition. */
    for (size_t i = 1; i < n; i++) {
        if (!strcmp(keys[i].key, keys[i - 1].key) &&
            (i < 2 || strcmp(keys[i].key, keys[i - 2].key)) && keys[i].idx < first) {
            first = keys[i].idx;
            dup = keys[i].key;
        }
    }
    if (dup)
        jsonutil_path_key(where, sizeof(where), path, dup);
    free(keys);
    if (dup)
        return jsonutil_fail(e, where, "duplicate key");
    return ECD_OK;
}

static void wipe_node(cJSON *node)
{
    if (node->string && !(node->type & cJSON_StringIsConst))
        OPENSSL_cleanse(node->string, strlen(node->string));
    if (node->type & cJSON_IsReference)
        return;
    if (node->valuestring)
        OPENSSL_cleanse(node->valuestring, strlen(node->valuestring));
    /* Depth is bounded by cJSON's nesting limit (CJSON_NESTING_LIMIT, 1000). */
    for (cJSON *c = node->child; c; c = c->next)
        wipe_node(c);
}

void jsonutil_wipe(cJSON *node)
{
    if (node)
        wipe_node(node);
}

void jsonutil_delete_wiped(cJSON *node)
{
    jsonutil_wipe(node);
    cJSON_Delete(node);
}
