/* SPDX-License-Identifier: MIT */
/* kubeconfig parsing and selection; see kubeconfig.h.  libyaml's document API gives
 * a node graph with marks (line numbers); the walk below visits only the keys a
 * client uses, at a fixed depth, so anchors and aliases cannot make it explode.
 * Unknown keys are ignored, as client-go does (preferences, extensions, ...). */
#include "kubeconfig.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base64.h"
#include "buf.h"

#define KC_PATH_MAX 256
/* Entries per list: far above any real kubeconfig, low enough that aliases cannot
 * make a list of lists expensive. */
#define KC_LIST_MAX 10000

struct walk {
    struct kubeconfig *kc;
    const char *file; /* borrowed from kc->files */
    char *dir;        /* owned: file's directory with a trailing '/', "" when none */
    yaml_document_t *doc;
    struct kubeconfig_err *e;
};

/* ---- messages ---------------------------------------------------------------------- */

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

__attribute__((format(printf, 5, 6))) static enum ecd_status
fail_at(struct kubeconfig_err *e, const char *file, unsigned long line, const char *path,
        const char *fmt, ...)
{
    char what[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (line)
        snprintf(e->msg, sizeof(e->msg), "%s:%lu: %s%s%s", file, line, path ? path : "",
                 path && *path ? ": " : "", what);
    else
        snprintf(e->msg, sizeof(e->msg), "%s: %s%s%s", file, path ? path : "",
                 path && *path ? ": " : "", what);
    sanitize(e->msg);
    return ECD_ECONFIG;
}

#define FAIL_NODE(w, node, path, ...)                                                              \
    fail_at((w)->e, (w)->file, (unsigned long)(node)->start_mark.line + 1, path, __VA_ARGS__)
#define FAIL_LOC(e, loc, ...) fail_at(e, (loc)->file, (loc)->line, (loc)->path, __VA_ARGS__)

/* Paths longer than KC_PATH_MAX end in "..." (only keys from the input are long). */
static void path_truncated(char *dst, int n)
{
    if (n < 0 || n >= KC_PATH_MAX)
        memcpy(dst + KC_PATH_MAX - 4, "...", 4);
}

static void path_key(char *dst, const char *parent, const char *key)
{
    path_truncated(dst, snprintf(dst, KC_PATH_MAX, "%s%s%s", parent, *parent ? "." : "", key));
}

static void path_index(char *dst, const char *parent, size_t i)
{
    path_truncated(dst, snprintf(dst, KC_PATH_MAX, "%s[%zu]", parent, i));
}

static enum ecd_status set_loc(struct walk *w, struct kubeconfig_loc *loc, const yaml_node_t *n,
                               const char *path)
{
    free(loc->path);
    loc->file = w->file;
    loc->line = (unsigned long)n->start_mark.line + 1;
    loc->path = strdup(path);
    return loc->path ? ECD_OK : ECD_ENOMEM;
}

static void loc_free(struct kubeconfig_loc *loc)
{
    free(loc->path);
    memset(loc, 0, sizeof(*loc));
}

/* ---- typed access to nodes --------------------------------------------------------- */

static yaml_node_t *node_at(struct walk *w, int idx)
{
    return yaml_document_get_node(w->doc, idx);
}

static int is_null(const yaml_node_t *n)
{
    const char *v;
    size_t len;

    if (!n)
        return 1;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    len = n->data.scalar.length;
    return len == 0 || (len == 1 && v[0] == '~') ||
           (len == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static const char *type_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a scalar";
    }
}

/* A string value: any non-null scalar (YAML numbers and booleans read as their text,
 * as sigs.k8s.io/yaml does for string fields).  NUL bytes are refused. */
static enum ecd_status get_str(struct walk *w, const yaml_node_t *n, const char *path, char **out)
{
    free(*out);
    *out = NULL;
    if (is_null(n))
        return ECD_OK;
    if (n->type != YAML_SCALAR_NODE)
        return FAIL_NODE(w, n, path, "expected a string, found %s", type_name(n));
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
        return FAIL_NODE(w, n, path, "expected a string without NUL characters");
    *out = strndup((const char *)n->data.scalar.value, n->data.scalar.length);
    return *out ? ECD_OK : ECD_ENOMEM;
}

static enum ecd_status get_secret(struct walk *w, const yaml_node_t *n, const char *path,
                                  struct secret *out)
{
    secret_wipe(out);
    if (is_null(n))
        return ECD_OK;
    if (n->type != YAML_SCALAR_NODE)
        return FAIL_NODE(w, n, path, "expected a string, found %s", type_name(n));
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
        return FAIL_NODE(w, n, path, "expected a string without NUL characters");
    return secret_set(out, (const char *)n->data.scalar.value, n->data.scalar.length);
}

static enum ecd_status get_bool(struct walk *w, const yaml_node_t *n, const char *path, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                      "on",   "On",   "ON",   "y",   "Y",   NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO",
                                     "off",   "Off",   "OFF",   "n",  "N",  NULL};
    const char *v;

    if (is_null(n)) {
        *out = 0;
        return ECD_OK;
    }
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        v = (const char *)n->data.scalar.value;
        for (int i = 0; yes[i]; i++)
            if (strlen(yes[i]) == n->data.scalar.length &&
                !memcmp(v, yes[i], n->data.scalar.length)) {
                *out = 1;
                return ECD_OK;
            }
        for (int i = 0; no[i]; i++)
            if (strlen(no[i]) == n->data.scalar.length &&
                !memcmp(v, no[i], n->data.scalar.length)) {
                *out = 0;
                return ECD_OK;
            }
    }
    return FAIL_NODE(w, n, path, "expected true or false");
}

/* A path: resolved against the file's directory when relative. */
static enum ecd_status get_path(struct walk *w, const yaml_node_t *n, const char *path, char **out)
{
    enum ecd_status st = get_str(w, n, path, out);
    char *abs;

    if (st || !*out || !**out || **out == '/' || !*w->dir)
        return st;
    if (asprintf(&abs, "%s%s", w->dir, *out) < 0)
        return ECD_ENOMEM;
    free(*out);
    *out = abs;
    return ECD_OK;
}

/* Base64 data: line breaks are skipped (Go's decoder does so), anything else must be
 * standard padded base64. */
static enum ecd_status get_data(struct walk *w, const yaml_node_t *n, const char *path,
                                struct buf *out)
{
    struct buf clean;
    enum ecd_status st;

    buf_wipe(out);
    if (is_null(n))
        return ECD_OK;
    if (n->type != YAML_SCALAR_NODE)
        return FAIL_NODE(w, n, path, "expected base64 data, found %s", type_name(n));
    buf_init(&clean, n->data.scalar.length + 1);
    for (size_t i = 0; i < n->data.scalar.length; i++) {
        char c = (char)n->data.scalar.value[i];

        if (c != '\n' && c != '\r' && (st = buf_append(&clean, &c, 1))) {
            buf_wipe(&clean);
            return st;
        }
    }
    if (!clean.len) {
        buf_wipe(&clean);
        return ECD_OK;
    }
    st = base64_decode(clean.ptr, clean.len, out);
    buf_wipe(&clean);
    if (st == ECD_EINVAL)
        return FAIL_NODE(w, n, path, "expected standard base64 (A-Z a-z 0-9 + / with = padding)");
    if (!st && memchr(out->ptr, '\0', out->len)) {
        buf_wipe(out);
        return FAIL_NODE(w, n, path, "expected base64 of PEM text, found NUL bytes");
    }
    return st;
}

static enum ecd_status get_data_str(struct walk *w, const yaml_node_t *n, const char *path,
                                    char **out)
{
    struct buf b;
    enum ecd_status st;

    free(*out);
    *out = NULL;
    buf_init(&b, 4 * 1024 * 1024);
    st = get_data(w, n, path, &b);
    if (!st && b.len)
        st = buf_steal(&b, out);
    buf_free(&b);
    return st;
}

static enum ecd_status get_data_secret(struct walk *w, const yaml_node_t *n, const char *path,
                                       struct secret *out)
{
    struct buf b;
    enum ecd_status st;
    char *s = NULL;
    size_t len;

    secret_wipe(out);
    buf_init(&b, 4 * 1024 * 1024);
    st = get_data(w, n, path, &b);
    len = b.len;
    if (!st && len && !(st = buf_steal(&b, &s)))
        secret_adopt(out, s, len);
    buf_wipe(&b);
    return st;
}

static enum ecd_status expect(struct walk *w, const yaml_node_t *n, const char *path,
                              yaml_node_type_t type)
{
    if (n->type == type)
        return ECD_OK;
    return FAIL_NODE(w, n, path, "expected %s, found %s",
                     type == YAML_MAPPING_NODE ? "a mapping" : "a list", type_name(n));
}

/* Walk a mapping: for each key in `keys` found, call fn(w, key_index, value, path,
 * ud).  A known key given twice is refused; unknown keys are ignored. */
typedef enum ecd_status map_fn(struct walk *w, int key, yaml_node_t *val, const char *path,
                               void *ud);

static enum ecd_status walk_map(struct walk *w, yaml_node_t *map, const char *path,
                                const char *const *keys, map_fn *fn, void *ud)
{
    unsigned long seen = 0;
    char sub[KC_PATH_MAX];
    enum ecd_status st;

    if ((st = expect(w, map, path, YAML_MAPPING_NODE)))
        return st;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(w, p->key), *v = node_at(w, p->value);

        if (!k || !v)
            continue;
        if (k->type != YAML_SCALAR_NODE)
            return FAIL_NODE(w, k, path, "expected string keys, found %s", type_name(k));
        for (int i = 0; keys[i]; i++) {
            if (strlen(keys[i]) != k->data.scalar.length ||
                memcmp(keys[i], k->data.scalar.value, k->data.scalar.length))
                continue;
            path_key(sub, path, keys[i]);
            if (seen & (1UL << i))
                return FAIL_NODE(w, k, sub, "duplicate key");
            seen |= 1UL << i;
            if ((st = fn(w, i, v, sub, ud)))
                return st;
            break;
        }
    }
    return ECD_OK;
}

static enum ecd_status get_str_list(struct walk *w, yaml_node_t *n, const char *path, char ***out,
                                    size_t *n_out)
{
    char sub[KC_PATH_MAX];
    size_t count;
    enum ecd_status st;

    if (is_null(n))
        return ECD_OK;
    if ((st = expect(w, n, path, YAML_SEQUENCE_NODE)))
        return st;
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > KC_LIST_MAX)
        return FAIL_NODE(w, n, path, "more than %d entries", KC_LIST_MAX);
    *out = calloc(count + 1, sizeof(**out));
    if (!*out)
        return ECD_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = node_at(w, n->data.sequence.items.start[i]);

        path_index(sub, path, i);
        if (!item)
            continue;
        if ((st = get_str(w, item, sub, &(*out)[*n_out])))
            return st;
        if (!(*out)[*n_out] && !((*out)[*n_out] = strdup("")))
            return ECD_ENOMEM;
        ++*n_out;
    }
    return ECD_OK;
}

/* ---- freeing ----------------------------------------------------------------------- */

static void str_list_free(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static void cluster_free(struct kubeconfig_cluster *c)
{
    free(c->name);
    free(c->server);
    free(c->ca_file);
    free(c->ca_data);
    free(c->tls_server_name);
    free(c->proxy_url);
    loc_free(&c->loc);
    loc_free(&c->server_loc);
    loc_free(&c->insecure_loc);
    loc_free(&c->tls_server_name_loc);
    loc_free(&c->proxy_url_loc);
    memset(c, 0, sizeof(*c));
}

static void exec_free(struct kubeconfig_exec *x)
{
    if (!x)
        return;
    free(x->command);
    str_list_free(x->args, x->n_args);
    for (size_t i = 0; i < x->n_env; i++) {
        free(x->env[i].name);
        if (x->env[i].value) {
            /* Plugins get secrets through env sometimes (AWS keys): wipe. */
            OPENSSL_cleanse(x->env[i].value, strlen(x->env[i].value));
            free(x->env[i].value);
        }
    }
    free(x->env);
    free(x->api_version);
    free(x->install_hint);
    loc_free(&x->loc);
    loc_free(&x->command_loc);
    loc_free(&x->api_version_loc);
    loc_free(&x->interactive_loc);
    loc_free(&x->env_loc);
    free(x);
}

static void user_free(struct kubeconfig_user *u)
{
    free(u->name);
    secret_wipe(&u->token);
    free(u->token_file);
    free(u->client_cert_file);
    free(u->client_cert_data);
    free(u->client_key_file);
    secret_wipe(&u->client_key_data);
    free(u->username);
    secret_wipe(&u->password);
    free(u->as);
    free(u->as_uid);
    str_list_free(u->as_groups, u->n_as_groups);
    free(u->auth_provider);
    exec_free(u->exec);
    loc_free(&u->loc);
    loc_free(&u->auth_provider_loc);
    loc_free(&u->as_user_extra_loc);
    memset(u, 0, sizeof(*u));
}

static void context_free(struct kubeconfig_context *c)
{
    free(c->name);
    free(c->cluster);
    free(c->user);
    free(c->namespace_);
    loc_free(&c->loc);
    memset(c, 0, sizeof(*c));
}

void kubeconfig_init(struct kubeconfig *kc)
{
    memset(kc, 0, sizeof(*kc));
}

void kubeconfig_clear(struct kubeconfig *kc)
{
    for (size_t i = 0; i < kc->n_clusters; i++)
        cluster_free(&kc->clusters[i]);
    for (size_t i = 0; i < kc->n_users; i++)
        user_free(&kc->users[i]);
    for (size_t i = 0; i < kc->n_contexts; i++)
        context_free(&kc->contexts[i]);
    free(kc->clusters);
    free(kc->users);
    free(kc->contexts);
    str_list_free(kc->files, kc->n_files);
    free(kc->current_context);
    loc_free(&kc->current_context_loc);
    kubeconfig_init(kc);
}

/* ---- clusters ---------------------------------------------------------------------- */

static const char *const cluster_keys[] = {"server",
                                           "certificate-authority",
                                           "certificate-authority-data",
                                           "insecure-skip-tls-verify",
                                           "tls-server-name",
                                           "proxy-url",
                                           NULL};

static enum ecd_status cluster_field(struct walk *w, int key, yaml_node_t *v, const char *path,
                                     void *ud)
{
    struct kubeconfig_cluster *c = ud;
    enum ecd_status st;

    switch (key) {
    case 0:
        if ((st = get_str(w, v, path, &c->server)))
            return st;
        return set_loc(w, &c->server_loc, v, path);
    case 1:
        return get_path(w, v, path, &c->ca_file);
    case 2:
        return get_data_str(w, v, path, &c->ca_data);
    case 3:
        if ((st = get_bool(w, v, path, &c->insecure)))
            return st;
        return set_loc(w, &c->insecure_loc, v, path);
    case 4:
        if ((st = get_str(w, v, path, &c->tls_server_name)))
            return st;
        return set_loc(w, &c->tls_server_name_loc, v, path);
    default:
        if ((st = get_str(w, v, path, &c->proxy_url)))
            return st;
        return set_loc(w, &c->proxy_url_loc, v, path);
    }
}

/* ---- users ------------------------------------------------------------------------- */

static enum ecd_status exec_env(struct walk *w, yaml_node_t *n, const char *path,
                                struct kubeconfig_exec *x)
{
    static const char *const keys[] = {"name", "value", NULL};
    char sub[KC_PATH_MAX];
    size_t count;
    enum ecd_status st;

    if (is_null(n))
        return ECD_OK;
    if ((st = expect(w, n, path, YAML_SEQUENCE_NODE)) || (st = set_loc(w, &x->env_loc, n, path)))
        return st;
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > KC_LIST_MAX)
        return FAIL_NODE(w, n, path, "more than %d entries", KC_LIST_MAX);
    x->env = calloc(count + 1, sizeof(*x->env));
    if (!x->env)
        return ECD_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = node_at(w, n->data.sequence.items.start[i]);
        struct kubeconfig_env *ev = &x->env[x->n_env++];

        path_index(sub, path, i);
        if (!item)
            continue;
        if ((st = expect(w, item, sub, YAML_MAPPING_NODE)))
            return st;
        for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = node_at(w, p->key), *v = node_at(w, p->value);
            char kp[KC_PATH_MAX];

            if (!k || !v || k->type != YAML_SCALAR_NODE)
                continue;
            for (int j = 0; keys[j]; j++) {
                if (strlen(keys[j]) != k->data.scalar.length ||
                    memcmp(keys[j], k->data.scalar.value, k->data.scalar.length))
                    continue;
                path_key(kp, sub, keys[j]);
                if ((st = get_str(w, v, kp, j ? &ev->value : &ev->name)))
                    return st;
            }
        }
        if (!ev->value && !(ev->value = strdup("")))
            return ECD_ENOMEM;
        if (!ev->name || !*ev->name)
            return FAIL_NODE(w, item, sub, "expected a non-empty name");
    }
    return ECD_OK;
}

static const char *const exec_keys[] = {"command",         "args",        "env",
                                        "apiVersion",      "installHint", "provideClusterInfo",
                                        "interactiveMode", NULL};

static enum ecd_status exec_field(struct walk *w, int key, yaml_node_t *v, const char *path,
                                  void *ud)
{
    struct kubeconfig_exec *x = ud;
    enum ecd_status st;
    char *mode = NULL;

    switch (key) {
    case 0:
        if ((st = get_str(w, v, path, &x->command)) || (st = set_loc(w, &x->command_loc, v, path)))
            return st;
        /* client-go resolves the command against the kubeconfig's directory only when
         * it is a relative path with a '/' in it; a bare name is looked up in PATH. */
        if (x->command && strchr(x->command, '/'))
            return get_path(w, v, path, &x->command);
        return ECD_OK;
    case 1:
        return get_str_list(w, v, path, &x->args, &x->n_args);
    case 2:
        return exec_env(w, v, path, x);
    case 3:
        if ((st = get_str(w, v, path, &x->api_version)))
            return st;
        return set_loc(w, &x->api_version_loc, v, path);
    case 4:
        return get_str(w, v, path, &x->install_hint);
    case 5:
        return get_bool(w, v, path, &x->provide_cluster_info);
    default:
        if ((st = get_str(w, v, path, &mode)) || (st = set_loc(w, &x->interactive_loc, v, path))) {
            free(mode);
            return st;
        }
        if (!mode || !*mode)
            x->interactive = KUBECONFIG_INTERACTIVE_UNSET;
        else if (!strcmp(mode, "Never"))
            x->interactive = KUBECONFIG_INTERACTIVE_NEVER;
        else if (!strcmp(mode, "IfAvailable"))
            x->interactive = KUBECONFIG_INTERACTIVE_IF_AVAILABLE;
        else if (!strcmp(mode, "Always"))
            x->interactive = KUBECONFIG_INTERACTIVE_ALWAYS;
        else
            x->interactive = KUBECONFIG_INTERACTIVE_BAD;
        free(mode);
        return ECD_OK;
    }
}

static enum ecd_status auth_provider_field(struct walk *w, int key, yaml_node_t *v,
                                           const char *path, void *ud)
{
    (void)key;
    return get_str(w, v, path, (char **)ud);
}

static const char *const user_keys[] = {"token",
                                        "tokenFile",
                                        "client-certificate",
                                        "client-certificate-data",
                                        "client-key",
                                        "client-key-data",
                                        "username",
                                        "password",
                                        "as",
                                        "as-uid",
                                        "as-groups",
                                        "auth-provider",
                                        "exec",
                                        "as-user-extra",
                                        NULL};

static enum ecd_status user_field(struct walk *w, int key, yaml_node_t *v, const char *path,
                                  void *ud)
{
    static const char *const ap_keys[] = {"name", NULL};
    struct kubeconfig_user *u = ud;
    enum ecd_status st;

    switch (key) {
    case 0:
        return get_secret(w, v, path, &u->token);
    case 1:
        return get_path(w, v, path, &u->token_file);
    case 2:
        return get_path(w, v, path, &u->client_cert_file);
    case 3:
        return get_data_str(w, v, path, &u->client_cert_data);
    case 4:
        return get_path(w, v, path, &u->client_key_file);
    case 5:
        return get_data_secret(w, v, path, &u->client_key_data);
    case 6:
        return get_str(w, v, path, &u->username);
    case 7:
        return get_secret(w, v, path, &u->password);
    case 8:
        return get_str(w, v, path, &u->as);
    case 9:
        return get_str(w, v, path, &u->as_uid);
    case 10:
        return get_str_list(w, v, path, &u->as_groups, &u->n_as_groups);
    case 11:
        if (is_null(v))
            return ECD_OK;
        free(u->auth_provider);
        if (!(u->auth_provider = strdup("")) || (st = set_loc(w, &u->auth_provider_loc, v, path)))
            return ECD_ENOMEM;
        return walk_map(w, v, path, ap_keys, auth_provider_field, &u->auth_provider);
    case 13:
        /* Impersonate-Extra-<key> headers: not implemented; refused when selected. */
        if (is_null(v))
            return ECD_OK;
        return set_loc(w, &u->as_user_extra_loc, v, path);
    default:
        if (is_null(v))
            return ECD_OK;
        exec_free(u->exec);
        if (!(u->exec = calloc(1, sizeof(*u->exec))))
            return ECD_ENOMEM;
        if ((st = set_loc(w, &u->exec->loc, v, path)))
            return st;
        return walk_map(w, v, path, exec_keys, exec_field, u->exec);
    }
}

/* ---- contexts ---------------------------------------------------------------------- */

static const char *const context_keys[] = {"cluster", "user", "namespace", NULL};

static enum ecd_status context_field(struct walk *w, int key, yaml_node_t *v, const char *path,
                                     void *ud)
{
    struct kubeconfig_context *c = ud;

    return get_str(w, v, path, key == 0 ? &c->cluster : key == 1 ? &c->user : &c->namespace_);
}

/* ---- named lists ------------------------------------------------------------------- */

enum kind {
    KIND_CLUSTER,
    KIND_USER,
    KIND_CONTEXT,
};

static const char *const kind_inner[] = {"cluster", "user", "context"};

struct entry {
    enum kind kind;
    char **name;
    struct kubeconfig_loc *loc;
    void *obj;
    int seen_inner;
};

static enum ecd_status entry_field(struct walk *w, int key, yaml_node_t *v, const char *path,
                                   void *ud)
{
    struct entry *en = ud;

    if (key == 0)
        return get_str(w, v, path, en->name);
    en->seen_inner = 1;
    if (is_null(v))
        return ECD_OK;
    switch (en->kind) {
    case KIND_CLUSTER:
        return walk_map(w, v, path, cluster_keys, cluster_field, en->obj);
    case KIND_USER:
        return walk_map(w, v, path, user_keys, user_field, en->obj);
    default:
        return walk_map(w, v, path, context_keys, context_field, en->obj);
    }
}

static int has_name(const struct kubeconfig *kc, enum kind kind, const char *name, const char *file,
                    const struct kubeconfig_loc **loc)
{
    size_t n = kind == KIND_CLUSTER ? kc->n_clusters
               : kind == KIND_USER  ? kc->n_users
                                    : kc->n_contexts;

    for (size_t i = 0; i < n; i++) {
        const char *other = kind == KIND_CLUSTER ? kc->clusters[i].name
                            : kind == KIND_USER  ? kc->users[i].name
                                                 : kc->contexts[i].name;
        const struct kubeconfig_loc *l = kind == KIND_CLUSTER ? &kc->clusters[i].loc
                                         : kind == KIND_USER  ? &kc->users[i].loc
                                                              : &kc->contexts[i].loc;

        if (!strcmp(other, name) && (!file || l->file == file)) {
            *loc = l;
            return 1;
        }
    }
    return 0;
}

static enum ecd_status named_list(struct walk *w, enum kind kind, yaml_node_t *n, const char *path)
{
    static const char *const keys[][3] = {
        {"name", "cluster", NULL}, {"name", "user", NULL}, {"name", "context", NULL}};
    struct kubeconfig *kc = w->kc;
    char sub[KC_PATH_MAX], np[KC_PATH_MAX];
    size_t count;
    enum ecd_status st;

    if (is_null(n))
        return ECD_OK;
    if ((st = expect(w, n, path, YAML_SEQUENCE_NODE)))
        return st;
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > KC_LIST_MAX)
        return FAIL_NODE(w, n, path, "more than %d entries", KC_LIST_MAX);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = node_at(w, n->data.sequence.items.start[i]);
        struct kubeconfig_cluster cl = {0};
        struct kubeconfig_user us = {0};
        struct kubeconfig_context cx = {0};
        struct entry en = {kind, NULL, NULL, NULL, 0};
        const struct kubeconfig_loc *prev;
        void *grown;
        int keep;

        if (!item)
            continue;
        path_index(sub, path, i);
        en.name = kind == KIND_CLUSTER ? &cl.name : kind == KIND_USER ? &us.name : &cx.name;
        en.loc = kind == KIND_CLUSTER ? &cl.loc : kind == KIND_USER ? &us.loc : &cx.loc;
        en.obj = kind == KIND_CLUSTER ? (void *)&cl : kind == KIND_USER ? (void *)&us : (void *)&cx;
        if ((st = set_loc(w, en.loc, item, sub)) ||
            (st = walk_map(w, item, sub, keys[kind], entry_field, &en)))
            goto drop;
        path_key(np, sub, "name");
        if (!*en.name || !**en.name) {
            st = FAIL_NODE(w, item, np, "missing, expected a non-empty name");
            goto drop;
        }
        if (!en.seen_inner) {
            char ip[KC_PATH_MAX];

            path_key(ip, sub, kind_inner[kind]);
            st = FAIL_NODE(w, item, ip, "missing, expected a mapping");
            goto drop;
        }
        /* client-go refuses a name twice in one file; across files the first wins. */
        if (has_name(kc, kind, *en.name, w->file, &prev)) {
            st = FAIL_NODE(w, item, np, "duplicate name \"%s\" (first at line %lu, %s)", *en.name,
                           prev->line, prev->path);
            goto drop;
        }
        keep = !has_name(kc, kind, *en.name, NULL, &prev);
        if (!keep)
            goto drop;
        if (kind == KIND_CLUSTER) {
            if (!(grown = realloc(kc->clusters, (kc->n_clusters + 1) * sizeof(cl))))
                goto nomem;
            kc->clusters = grown;
            kc->clusters[kc->n_clusters++] = cl;
        } else if (kind == KIND_USER) {
            if (!(grown = realloc(kc->users, (kc->n_users + 1) * sizeof(us))))
                goto nomem;
            kc->users = grown;
            kc->users[kc->n_users++] = us;
        } else {
            if (!(grown = realloc(kc->contexts, (kc->n_contexts + 1) * sizeof(cx))))
                goto nomem;
            kc->contexts = grown;
            kc->contexts[kc->n_contexts++] = cx;
        }
        continue;
    nomem:
        st = ECD_ENOMEM;
    drop:
        cluster_free(&cl);
        user_free(&us);
        context_free(&cx);
        if (st)
            return st;
    }
    return ECD_OK;
}

/* ---- top level --------------------------------------------------------------------- */

static const char *const top_keys[] = {"clusters", "users", "contexts", "current-context", NULL};

static enum ecd_status top_field(struct walk *w, int key, yaml_node_t *v, const char *path,
                                 void *ud)
{
    struct kubeconfig *kc = w->kc;
    char *cur = NULL;
    enum ecd_status st;

    (void)ud;
    if (key < 3)
        return named_list(w, (enum kind)key, v, path);
    if ((st = get_str(w, v, path, &cur)))
        return st;
    if (cur && *cur && !kc->current_context) {
        kc->current_context = cur;
        return set_loc(w, &kc->current_context_loc, v, path);
    }
    free(cur);
    return ECD_OK;
}

/* libyaml keeps copies of the input (its buffers) and of every scalar (the nodes):
 * tokens and keys pass through them, so both are overwritten before being freed. */
static void wipe_yaml(yaml_parser_t *p, yaml_document_t *doc)
{
    if (doc) {
        for (yaml_node_t *n = doc->nodes.start; n && n < doc->nodes.top; n++)
            if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
                OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
    }
    if (p->buffer.start)
        OPENSSL_cleanse(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start)
        OPENSSL_cleanse(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

enum ecd_status kubeconfig_parse(struct kubeconfig *kc, const char *file, const char *text,
                                 size_t len, struct kubeconfig_err *e)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct walk w = {kc, NULL, NULL, &doc, e};
    yaml_node_t *root;
    const char *slash;
    char **grown;
    enum ecd_status st = ECD_OK;
    int loaded = 0;

    e->msg[0] = '\0';
    grown = realloc(kc->files, (kc->n_files + 2) * sizeof(*grown));
    if (!grown)
        return ECD_ENOMEM;
    kc->files = grown;
    if (!(kc->files[kc->n_files] = strdup(file)))
        return ECD_ENOMEM;
    w.file = kc->files[kc->n_files++];
    kc->files[kc->n_files] = NULL;
    slash = strrchr(file, '/');
    w.dir = slash ? strndup(file, (size_t)(slash - file) + 1) : strdup("");
    if (!w.dir)
        return ECD_ENOMEM;
    if (memchr(text, '\0', len)) {
        free(w.dir);
        return fail_at(e, file, 0, NULL, "invalid YAML: NUL byte");
    }
    if (!yaml_parser_initialize(&parser)) {
        free(w.dir);
        return ECD_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (parser.error == YAML_MEMORY_ERROR)
            st = ECD_ENOMEM;
        else
            st = fail_at(e, file, (unsigned long)parser.problem_mark.line + 1, NULL,
                         "invalid YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
                         parser.context ? " " : "", parser.context ? parser.context : "");
        goto out;
    }
    loaded = 1;
    root = yaml_document_get_root_node(&doc);
    if (!root || is_null(root))
        goto out; /* an empty file is an empty configuration, as for client-go */
    if (root->type != YAML_MAPPING_NODE) {
        st = FAIL_NODE(&w, root, NULL,
                       "expected a kubeconfig mapping (apiVersion: v1, kind: "
                       "Config, clusters, users, contexts), found %s",
                       type_name(root));
        goto out;
    }
    st = walk_map(&w, root, "", top_keys, top_field, NULL);
out:
    wipe_yaml(&parser, loaded ? &doc : NULL);
    if (loaded)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(w.dir);
    return st;
}

/* ---- selection --------------------------------------------------------------------- */

void kubeconfig_files_str(const struct kubeconfig *kc, char *dst, size_t n)
{
    size_t used = 0;

    if (!n)
        return;
    dst[0] = '\0';
    for (size_t i = 0; i < kc->n_files && used < n; i++) {
        int w = snprintf(dst + used, n - used, "%s%s", i ? ", " : "", kc->files[i]);

        if (w < 0 || (size_t)w >= n - used) {
            if (n > 4)
                memcpy(dst + n - 4, "...", 4);
            return;
        }
        used += (size_t)w;
    }
    if (!kc->n_files)
        snprintf(dst, n, "(no kubeconfig file)");
}

static enum ecd_status check_exec(const struct kubeconfig_exec *x, struct kubeconfig_err *e)
{
    int v1;

    if (!x->command || !*x->command)
        return fail_at(e, x->loc.file, x->loc.line, x->loc.path,
                       "command: missing, expected the credential plugin to run");
    if (!x->api_version)
        return fail_at(e, x->loc.file, x->loc.line, x->loc.path,
                       "apiVersion: missing, expected " KUBECONFIG_EXEC_V1
                       " or " KUBECONFIG_EXEC_V1BETA1);
    v1 = !strcmp(x->api_version, KUBECONFIG_EXEC_V1);
    if (!v1 && strcmp(x->api_version, KUBECONFIG_EXEC_V1BETA1))
        return FAIL_LOC(e, &x->api_version_loc,
                        "expected " KUBECONFIG_EXEC_V1 " or " KUBECONFIG_EXEC_V1BETA1
                        " (v1alpha1 was removed in Kubernetes 1.24)");
    switch (x->interactive) {
    case KUBECONFIG_INTERACTIVE_UNSET:
        if (v1)
            return fail_at(e, x->loc.file, x->loc.line, x->loc.path,
                           "interactiveMode: missing, required with " KUBECONFIG_EXEC_V1
                           " (expected Never or IfAvailable)");
        break;
    case KUBECONFIG_INTERACTIVE_BAD:
        return FAIL_LOC(e, &x->interactive_loc, "expected Never, IfAvailable or Always");
    case KUBECONFIG_INTERACTIVE_ALWAYS:
        return FAIL_LOC(e, &x->interactive_loc,
                        "Always needs a terminal, and a daemon has none: the plugin must "
                        "work non-interactively (Never or IfAvailable)");
    default:
        break;
    }
    return ECD_OK;
}

static enum ecd_status check_user(const struct kubeconfig_user *u, struct kubeconfig_err *e)
{
    const struct kubeconfig_loc *l = &u->loc;
    int has_cert = u->client_cert_file || u->client_cert_data;
    int has_key = u->client_key_file || secret_is_set(&u->client_key_data);

    if (u->auth_provider)
        return FAIL_LOC(e, &u->auth_provider_loc,
                        "auth-provider%s%s is not supported (the legacy gcp/azure/oidc "
                        "providers were removed from client-go): use an exec credential plugin",
                        *u->auth_provider ? " " : "", u->auth_provider);
    if (u->as_user_extra_loc.path)
        return FAIL_LOC(e, &u->as_user_extra_loc,
                        "not supported (impersonation with extra fields); use as, as-groups "
                        "and as-uid only");
    if (has_cert && !has_key)
        return fail_at(e, l->file, l->line, l->path,
                       "user \"%s\": client certificate without client-key or client-key-data",
                       u->name);
    if (has_key && !has_cert)
        return fail_at(e, l->file, l->line, l->path,
                       "user \"%s\": client key without client-certificate or "
                       "client-certificate-data",
                       u->name);
    if ((secret_is_set(&u->token) || u->token_file) && (u->username || secret_is_set(&u->password)))
        return fail_at(e, l->file, l->line, l->path,
                       "user \"%s\": more than one authentication method (token and "
                       "username/password); only one is allowed",
                       u->name);
    if (secret_is_set(&u->password) && !u->username)
        return fail_at(e, l->file, l->line, l->path, "user \"%s\": password without username",
                       u->name);
    if ((u->as_uid || u->n_as_groups) && !u->as)
        return fail_at(e, l->file, l->line, l->path,
                       "user \"%s\": as-uid and as-groups need as (the user to impersonate)",
                       u->name);
    if (u->exec)
        return check_exec(u->exec, e);
    return ECD_OK;
}

static enum ecd_status check_cluster(const struct kubeconfig_cluster *c, struct kubeconfig_err *e)
{
    const struct kubeconfig_loc *l = &c->loc;

    if (!c->server || !*c->server)
        return fail_at(e, l->file, l->line, l->path,
                       "cluster \"%s\": server: missing, expected https://host[:port]", c->name);
    if (strncmp(c->server, "https://", 8) && strncmp(c->server, "http://", 7))
        return FAIL_LOC(e, &c->server_loc, "expected an https:// (or http://) URL");
    if (c->insecure && (c->ca_file || c->ca_data))
        return FAIL_LOC(e, &c->insecure_loc,
                        "insecure-skip-tls-verify cannot be combined with certificate-authority "
                        "or certificate-authority-data (client-go refuses it too): remove one");
    if (c->proxy_url && *c->proxy_url)
        return FAIL_LOC(e, &c->proxy_url_loc,
                        "not supported; use the HTTPS_PROXY environment variable instead");
    return ECD_OK;
}

static enum ecd_status select_inner(const struct kubeconfig *kc, const char *context,
                                    struct kubeconfig_sel *sel, struct kubeconfig_err *e)
{
    char files[256];
    const char *want = context;
    enum ecd_status st;

    memset(sel, 0, sizeof(*sel));
    e->msg[0] = '\0';
    kubeconfig_files_str(kc, files, sizeof(files));
    if (!want || !*want) {
        if (!kc->current_context) {
            snprintf(e->msg, sizeof(e->msg),
                     "%s: no current-context set and no context given (contexts: %zu)", files,
                     kc->n_contexts);
            sanitize(e->msg);
            return ECD_ECONFIG;
        }
        want = kc->current_context;
    }
    for (size_t i = 0; i < kc->n_contexts; i++)
        if (!strcmp(kc->contexts[i].name, want))
            sel->context = &kc->contexts[i];
    if (!sel->context) {
        if (context && *context)
            snprintf(e->msg, sizeof(e->msg), "%s: context \"%s\" not found", files, want);
        else
            snprintf(e->msg, sizeof(e->msg), "%s:%lu: current-context: context \"%s\" not found",
                     kc->current_context_loc.file, kc->current_context_loc.line, want);
        sanitize(e->msg);
        return ECD_ECONFIG;
    }
    if (!sel->context->cluster || !*sel->context->cluster)
        return FAIL_LOC(e, &sel->context->loc, "context \"%s\": cluster: missing",
                        sel->context->name);
    for (size_t i = 0; i < kc->n_clusters; i++)
        if (!strcmp(kc->clusters[i].name, sel->context->cluster))
            sel->cluster = &kc->clusters[i];
    if (!sel->cluster)
        return FAIL_LOC(e, &sel->context->loc, "context \"%s\": cluster \"%s\" not found in %s",
                        sel->context->name, sel->context->cluster, files);
    if (sel->context->user && *sel->context->user) {
        for (size_t i = 0; i < kc->n_users; i++)
            if (!strcmp(kc->users[i].name, sel->context->user))
                sel->user = &kc->users[i];
        if (!sel->user)
            return FAIL_LOC(e, &sel->context->loc, "context \"%s\": user \"%s\" not found in %s",
                            sel->context->name, sel->context->user, files);
    }
    if ((st = check_cluster(sel->cluster, e)) || (sel->user && (st = check_user(sel->user, e))))
        return st;
    return ECD_OK;
}

enum ecd_status kubeconfig_select(const struct kubeconfig *kc, const char *context,
                                  struct kubeconfig_sel *sel, struct kubeconfig_err *e)
{
    enum ecd_status st = select_inner(kc, context, sel, e);

    if (st)
        memset(sel, 0, sizeof(*sel));
    return st;
}
