/* SPDX-License-Identifier: MIT */
/* Namespace selection for the Kubernetes sink; see kube_select.h.  The label
 * selector grammar follows k8s.io/apimachinery/pkg/labels (the set-based form):
 * requirements separated by commas, keys [prefix/]name, values of at most 63
 * characters.  The numeric "<" and ">" operators are rejected with a message. */
#include "kube_select.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

enum kube_op {
    KUBE_OP_EXISTS,
    KUBE_OP_NOT_EXISTS,
    KUBE_OP_EQ,
    KUBE_OP_NE,
    KUBE_OP_IN,
    KUBE_OP_NOTIN,
};

struct kube_req {
    enum kube_op op;
    char *key;     /* owned */
    char **values; /* owned; one for EQ/NE, one or more for IN/NOTIN */
    size_t n_values;
};

struct kube_selector {
    struct kube_req *reqs; /* owned */
    size_t n;
};

#define SEL_MAX_REQS   64
#define SEL_MAX_VALUES 64

static void req_deinit(struct kube_req *r)
{
    free(r->key);
    for (size_t i = 0; i < r->n_values; i++)
        free(r->values[i]);
    free(r->values);
}

void kube_selector_free(struct kube_selector *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        req_deinit(&s->reqs[i]);
    free(s->reqs);
    free(s);
}

size_t kube_selector_count(const struct kube_selector *s)
{
    return s ? s->n : 0;
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A label name or value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends;
 * the empty string only where allow_empty (values). */
static int label_part_valid(const char *s, size_t len, int allow_empty)
{
    if (len == 0)
        return allow_empty;
    if (len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

/* A DNS subdomain (label key prefix): at most 253 of [a-z0-9-.], labels between dots
 * alphanumeric at both ends. */
static int subdomain_valid(const char *s, size_t len)
{
    size_t start = 0;

    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            size_t n = i - start;

            if (n == 0 || n > 63 || !isalnum((unsigned char)s[start]) ||
                !isalnum((unsigned char)s[i - 1]))
                return 0;
            start = i + 1;
        } else if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

static int label_key_valid(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);

    if (!slash)
        return label_part_valid(s, len, 0);
    return subdomain_valid(s, (size_t)(slash - s)) &&
           label_part_valid(slash + 1, len - (size_t)(slash - s) - 1, 0);
}

struct sel_parser {
    struct jsonutil_err *e;
    const char *path;
    const char *text;
    size_t pos;
};

static enum ecd_status sel_fail(struct sel_parser *p, const char *what)
{
    return jsonutil_fail(p->e, p->path, "at offset %zu: %s", p->pos, what);
}

static void skip_space(struct sel_parser *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
        p->pos++;
}

/* Characters that may appear in a key or value token. */
static int tok_char(char c)
{
    return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
}

static size_t token_len(const struct sel_parser *p)
{
    size_t n = 0;

    while (tok_char(p->text[p->pos + n]))
        n++;
    return n;
}

static enum ecd_status take_value(struct sel_parser *p, struct kube_req *r)
{
    size_t n;
    char **grown;

    skip_space(p);
    n = token_len(p);
    if (!label_part_valid(p->text + p->pos, n, 1))
        return sel_fail(p, "expected a label value (at most 63 of A-Z a-z 0-9 - _ ., "
                           "alphanumeric at both ends)");
    if (r->n_values >= SEL_MAX_VALUES)
        return sel_fail(p, "too many values (at most 64)");
    grown = realloc(r->values, (r->n_values + 1) * sizeof(*grown));
    if (!grown)
        return ECD_ENOMEM;
    r->values = grown;
    r->values[r->n_values] = strndup(p->text + p->pos, n);
    if (!r->values[r->n_values])
        return ECD_ENOMEM;
    r->n_values++;
    p->pos += n;
    return ECD_OK;
}

/* "in (a, b)" / "notin (a)": p->pos is just after the word. */
static enum ecd_status take_set(struct sel_parser *p, struct kube_req *r)
{
    enum ecd_status st;

    skip_space(p);
    if (p->text[p->pos] != '(')
        return sel_fail(p, r->op == KUBE_OP_IN ? "expected \"(\" after \"in\""
                                               : "expected \"(\" after \"notin\"");
    p->pos++;
    skip_space(p);
    if (p->text[p->pos] == ')')
        return sel_fail(p, "expected at least one value in the parentheses");
    for (;;) {
        st = take_value(p, r);
        if (st)
            return st;
        skip_space(p);
        if (p->text[p->pos] == ')') {
            p->pos++;
            return ECD_OK;
        }
        if (p->text[p->pos] != ',')
            return sel_fail(p, "expected \",\" or \")\" in the value list");
        p->pos++;
    }
}

static int word_at(const struct sel_parser *p, const char *w)
{
    size_t n = strlen(w);
    char after;

    if (strncmp(p->text + p->pos, w, n))
        return 0;
    after = p->text[p->pos + n];
    return after == ' ' || after == '\t' || after == '(' || after == '\0';
}

static enum ecd_status take_req(struct sel_parser *p, struct kube_req *r)
{
    size_t n;

    skip_space(p);
    r->op = KUBE_OP_EXISTS;
    if (p->text[p->pos] == '!') {
        r->op = KUBE_OP_NOT_EXISTS;
        p->pos++;
        skip_space(p);
    }
    n = token_len(p);
    if (!label_key_valid(p->text + p->pos, n))
        return sel_fail(p, "expected a label key ([prefix/]name, the name at most 63 of "
                           "A-Z a-z 0-9 - _ ., the prefix a DNS subdomain)");
    r->key = strndup(p->text + p->pos, n);
    if (!r->key)
        return ECD_ENOMEM;
    p->pos += n;
    skip_space(p);
    if (r->op == KUBE_OP_NOT_EXISTS || p->text[p->pos] == ',' || p->text[p->pos] == '\0')
        return ECD_OK;
    if (!strncmp(p->text + p->pos, "==", 2) || !strncmp(p->text + p->pos, "!=", 2)) {
        r->op = p->text[p->pos] == '!' ? KUBE_OP_NE : KUBE_OP_EQ;
        p->pos += 2;
        return take_value(p, r);
    }
    if (p->text[p->pos] == '=') {
        r->op = KUBE_OP_EQ;
        p->pos++;
        return take_value(p, r);
    }
    if (word_at(p, "in")) {
        r->op = KUBE_OP_IN;
        p->pos += 2;
        return take_set(p, r);
    }
    if (word_at(p, "notin")) {
        r->op = KUBE_OP_NOTIN;
        p->pos += 5;
        return take_set(p, r);
    }
    if (p->text[p->pos] == '<' || p->text[p->pos] == '>')
        return sel_fail(p, "the numeric operators < and > are not supported");
    return sel_fail(p, "expected =, ==, !=, in, notin, \",\" or the end after the key");
}

enum ecd_status kube_selector_parse(struct jsonutil_err *e, const char *path, const char *text,
                                    struct kube_selector **out)
{
    struct sel_parser p = {.e = e, .path = path, .text = text};
    struct kube_selector *s = calloc(1, sizeof(*s));
    enum ecd_status st = ECD_OK;

    if (!s)
        return ECD_ENOMEM;
    skip_space(&p);
    while (text[p.pos] != '\0') {
        struct kube_req *grown;

        if (s->n >= SEL_MAX_REQS) {
            st = sel_fail(&p, "too many requirements (at most 64)");
            break;
        }
        grown = realloc(s->reqs, (s->n + 1) * sizeof(*grown));
        if (!grown) {
            st = ECD_ENOMEM;
            break;
        }
        s->reqs = grown;
        memset(&s->reqs[s->n], 0, sizeof(s->reqs[s->n]));
        s->n++;
        st = take_req(&p, &s->reqs[s->n - 1]);
        if (st)
            break;
        skip_space(&p);
        if (text[p.pos] == ',') {
            p.pos++;
            skip_space(&p);
            if (text[p.pos] == '\0') {
                st = sel_fail(&p, "expected a requirement after \",\"");
                break;
            }
        } else if (text[p.pos] != '\0') {
            st = sel_fail(&p, "expected \",\" or the end after a requirement");
            break;
        }
    }
    if (st) {
        kube_selector_free(s);
        return st;
    }
    *out = s;
    return ECD_OK;
}

static const char *label_value(const cJSON *labels, const char *key)
{
    const cJSON *v = labels ? cJSON_GetObjectItemCaseSensitive(labels, key) : NULL;

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int in_values(const struct kube_req *r, const char *v)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (!strcmp(r->values[i], v))
            return 1;
    return 0;
}

int kube_selector_match(const struct kube_selector *s, const cJSON *labels)
{
    if (!s)
        return 1;
    if (labels && !cJSON_IsObject(labels))
        labels = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct kube_req *r = &s->reqs[i];
        const char *v = label_value(labels, r->key);
        int ok = 0;

        switch (r->op) {
        case KUBE_OP_EXISTS:
            ok = v != NULL;
            break;
        case KUBE_OP_NOT_EXISTS:
            ok = v == NULL;
            break;
        case KUBE_OP_EQ:
        case KUBE_OP_IN:
            ok = v != NULL && in_values(r, v);
            break;
        case KUBE_OP_NE:
        case KUBE_OP_NOTIN:
            /* As the API server does: an absent label satisfies != and notin. */
            ok = v == NULL || !in_values(r, v);
            break;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

int kube_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 63)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return name[0] != '-' && name[len - 1] != '-';
}

int kube_glob_is_pattern(const char *pattern)
{
    return strpbrk(pattern, "*?[") != NULL;
}

int kube_glob_valid(const char *pattern)
{
    size_t len = strlen(pattern);
    int in_class = 0;

    if (!kube_glob_is_pattern(pattern))
        return kube_name_valid(pattern);
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];

        if (in_class) {
            if (c == ']')
                in_class = 0;
            else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                       (c == '!' && pattern[i - 1] == '[')))
                return 0;
        } else if (c == '[') {
            in_class = 1;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*' ||
                     c == '?')) {
            return 0;
        }
    }
    return !in_class;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void kube_nsfilter_deinit(struct kube_nsfilter *f)
{
    strv_free(f->include, f->n_include);
    strv_free(f->exclude, f->n_exclude);
    kube_selector_free(f->selector);
    memset(f, 0, sizeof(*f));
}

/* obj[key]: an array of namespace names or globs (absent: *present = 0). */
static enum ecd_status get_patterns(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *key, char ***out, size_t *n_out, int *present)
{
    const cJSON *arr = NULL, *it;
    char where[JSONUTIL_PATH_MAX], elem[JSONUTIL_PATH_MAX];
    size_t n = 0, i = 0;
    enum ecd_status st;
    char **v;

    *present = 0;
    st = jsonutil_get_array(e, obj, path, key, JSONUTIL_OPTIONAL, &arr);
    if (st || !arr)
        return st;
    *present = 1;
    jsonutil_path_key(where, sizeof(where), path, key);
    n = (size_t)cJSON_GetArraySize(arr);
    v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return ECD_ENOMEM;
    cJSON_ArrayForEach(it, arr)
    {
        jsonutil_path_index(elem, sizeof(elem), where, i);
        st = jsonutil_expect(e, it, elem, JSONUTIL_STRING);
        if (!st && !kube_glob_valid(it->valuestring))
            st = jsonutil_fail(e, elem,
                               "expected a namespace name or glob (a-z 0-9 - with * ? [...]), "
                               "got \"%s\"",
                               it->valuestring);
        if (!st && !(v[i] = strdup(it->valuestring)))
            st = ECD_ENOMEM;
        if (st) {
            strv_free(v, i);
            return st;
        }
        i++;
    }
    *out = v;
    *n_out = n;
    return ECD_OK;
}

enum ecd_status kube_nsfilter_parse(struct jsonutil_err *e, const cJSON *obj, const char *path,
                                    const char *default_ns, struct kube_nsfilter *f)
{
    const char *sel = NULL;
    char where[JSONUTIL_PATH_MAX];
    enum ecd_status st;
    int present;

    memset(f, 0, sizeof(*f));
    st = jsonutil_get_string(e, obj, path, "namespace_selector", JSONUTIL_OPTIONAL, &sel);
    if (!st && sel) {
        jsonutil_path_key(where, sizeof(where), path, "namespace_selector");
        st = kube_selector_parse(e, where, sel, &f->selector);
    }
    if (!st)
        st = get_patterns(e, obj, path, "namespaces", &f->include, &f->n_include, &present);
    if (!st && present && f->n_include == 0) {
        jsonutil_path_key(where, sizeof(where), path, "namespaces");
        st = jsonutil_fail(e, where, "expected at least one namespace name or glob");
    }
    if (!st && !present) {
        const char *dflt = f->selector ? "*" : default_ns;

        f->include = calloc(1, sizeof(*f->include));
        if (!f->include || !(f->include[0] = strdup(dflt)))
            st = ECD_ENOMEM;
        else
            f->n_include = 1;
    }
    if (!st)
        st = get_patterns(e, obj, path, "exclude", &f->exclude, &f->n_exclude, &present);
    if (st)
        kube_nsfilter_deinit(f);
    return st;
}

int kube_nsfilter_is_literal(const struct kube_nsfilter *f)
{
    if (f->selector)
        return 0;
    for (size_t i = 0; i < f->n_include; i++)
        if (kube_glob_is_pattern(f->include[i]))
            return 0;
    return 1;
}

int kube_nsfilter_match(const struct kube_nsfilter *f, const char *name, const cJSON *labels)
{
    int in = 0;

    for (size_t i = 0; i < f->n_include && !in; i++)
        in = fnmatch(f->include[i], name, 0) == 0;
    if (!in)
        return 0;
    for (size_t i = 0; i < f->n_exclude; i++)
        if (fnmatch(f->exclude[i], name, 0) == 0)
            return 0;
    return kube_selector_match(f->selector, labels);
}
