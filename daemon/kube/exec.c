/* SPDX-License-Identifier: MIT */
/* client-go credential plugins; see exec.h.  The process itself is run by
 * daemon/childproc.c; here are its environment, the messages and the ExecCredential. */
#include "kube/exec.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "childproc.h"
#include "log.h"

extern char **environ;

struct kube_exec_run {
    struct childproc *child; /* owned by itself: ends by calling on_child_done */
    unsigned timeout_ms;
    char *label;          /* owned */
    char *cmd;            /* owned; the command, for messages */
    char *install_hint;   /* owned; NULL when none */
    char *api_version;    /* owned */
    struct execcred cred; /* owned; wiped */
    kube_exec_done_fn *done;
    void *ud;
};

static void run_free(struct kube_exec_run *r)
{
    execcred_clear(&r->cred);
    free(r->label);
    free(r->cmd);
    free(r->install_hint);
    free(r->api_version);
    free(r);
}

/* The outcome as a status, with its message; parses the ExecCredential into r->cred. */
static enum ecd_status judge(struct kube_exec_run *r, const struct childproc_result *res)
{
    enum ecd_status st;
    char why[512];

    switch (res->end) {
    case CHILDPROC_CANCELED:
        return ECD_ECANCELED;
    case CHILDPROC_NO_SPAWN:
        log_error("%s: cannot run exec plugin %s: %s%s%s", r->label, r->cmd,
                  uv_strerror(res->uv_error), r->install_hint ? "; " : "",
                  r->install_hint ? r->install_hint : "");
        return ECD_EAUTH;
    case CHILDPROC_NO_IO:
        log_error("%s: exec plugin %s: %s", r->label, r->cmd, uv_strerror(res->uv_error));
        return ECD_EIO;
    case CHILDPROC_TIMED_OUT:
        log_error("%s: exec plugin %s did not finish within %u ms and was killed: %s", r->label,
                  r->cmd, r->timeout_ms, res->err);
        return ECD_EAUTH;
    case CHILDPROC_OVERFLOW:
        log_error("%s: exec plugin %s wrote more than %d bytes on stdout", r->label, r->cmd,
                  KUBE_EXEC_STDOUT_MAX);
        return ECD_EAUTH;
    case CHILDPROC_EXITED:
        break;
    }
    if (res->term_signal) {
        log_error("%s: exec plugin %s was killed by signal %d: %s", r->label, r->cmd,
                  res->term_signal, res->err);
        return ECD_EAUTH;
    }
    if (res->exit_status) {
        log_error("%s: exec plugin %s exited with status %lld: %s", r->label, r->cmd,
                  (long long)res->exit_status, res->err);
        return ECD_EAUTH;
    }
    st = execcred_parse(res->out, res->out_len, r->api_version, &r->cred, why, sizeof(why));
    if (st == ECD_ENOMEM)
        return st;
    if (st) {
        log_error("%s: exec plugin %s printed no valid ExecCredential: %s", r->label, r->cmd, why);
        return ECD_EAUTH;
    }
    log_debug("%s: exec plugin %s gave a %s%s, %s", r->label, r->cmd,
              secret_is_set(&r->cred.token) ? "token" : "client certificate",
              secret_is_set(&r->cred.token) && r->cred.client_cert_pem ? " and a client certificate"
                                                                       : "",
              r->cred.expires ? "with an expiry" : "without expiry");
    return ECD_OK;
}

static void on_child_done(const struct childproc_result *res, void *ud)
{
    struct kube_exec_run *r = ud;
    enum ecd_status st = judge(r, res);

    r->done(st, st ? NULL : &r->cred, r->ud);
    run_free(r);
}

void kube_exec_cancel(struct kube_exec_run *r)
{
    childproc_cancel(r->child);
}

/* KUBERNETES_EXEC_INFO: the ExecCredential "spec" the plugin reads. */
static enum ecd_status exec_info(const struct kubeconfig_exec *x,
                                 const struct kube_exec_cluster *cl, char **out)
{
    cJSON *root = cJSON_CreateObject(), *spec, *c;
    struct buf ca;
    enum ecd_status st = ECD_ENOMEM;

    buf_init(&ca, 8 * 1024 * 1024);
    if (!root || !cJSON_AddStringToObject(root, "apiVersion", x->api_version) ||
        !cJSON_AddStringToObject(root, "kind", "ExecCredential") ||
        !(spec = cJSON_AddObjectToObject(root, "spec")) ||
        !cJSON_AddBoolToObject(spec, "interactive", 0))
        goto out;
    if (x->provide_cluster_info && cl) {
        if (!(c = cJSON_AddObjectToObject(spec, "cluster")) ||
            !cJSON_AddStringToObject(c, "server", cl->server ? cl->server : ""))
            goto out;
        if (cl->tls_server_name && *cl->tls_server_name &&
            !cJSON_AddStringToObject(c, "tls-server-name", cl->tls_server_name))
            goto out;
        if (cl->insecure && !cJSON_AddBoolToObject(c, "insecure-skip-tls-verify", 1))
            goto out;
        if (cl->ca_pem) {
            if ((st = base64_encode(cl->ca_pem, strlen(cl->ca_pem), &ca)))
                goto out;
            st = ECD_ENOMEM;
            if (!cJSON_AddStringToObject(c, "certificate-authority-data", buf_str(&ca)))
                goto out;
        }
    }
    *out = cJSON_PrintUnformatted(root);
    st = *out ? ECD_OK : ECD_ENOMEM;
out:
    buf_free(&ca);
    cJSON_Delete(root);
    return st;
}

static int same_name(const char *entry, const char *name)
{
    size_t n = strlen(name);

    return !strncmp(entry, name, n) && entry[n] == '=';
}

static void env_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++) {
        OPENSSL_cleanse(*p, strlen(*p)); /* kubeconfig env values can be secrets */
        free(*p);
    }
    free(env);
}

/* Our environment minus the names the kubeconfig sets, then the kubeconfig's entries
 * (a later one with the same name wins, as with Go's os/exec), then the exec info. */
static enum ecd_status build_env(const struct kubeconfig_exec *x, const char *info, char ***out)
{
    size_t n = 0, k = 0;
    char **env;

    for (char **p = environ; p && *p; p++)
        n++;
    env = calloc(n + x->n_env + 2, sizeof(*env));
    if (!env)
        return ECD_ENOMEM;
    for (char **p = environ; p && *p; p++) {
        int skip = same_name(*p, "KUBERNETES_EXEC_INFO");

        for (size_t i = 0; i < x->n_env && !skip; i++)
            skip = same_name(*p, x->env[i].name);
        if (!skip && !(env[k++] = strdup(*p)))
            goto nomem;
    }
    for (size_t i = 0; i < x->n_env; i++) {
        int later = 0;

        for (size_t j = i + 1; j < x->n_env && !later; j++)
            later = !strcmp(x->env[i].name, x->env[j].name);
        if (later || !strcmp(x->env[i].name, "KUBERNETES_EXEC_INFO"))
            continue;
        if (asprintf(&env[k++], "%s=%s", x->env[i].name, x->env[i].value) < 0) {
            env[--k] = NULL;
            goto nomem;
        }
    }
    if (asprintf(&env[k++], "KUBERNETES_EXEC_INFO=%s", info) < 0) {
        env[--k] = NULL;
        goto nomem;
    }
    *out = env;
    return ECD_OK;
nomem:
    env_free(env);
    return ECD_ENOMEM;
}

enum ecd_status kube_exec_start(uv_loop_t *loop, const struct kubeconfig_exec *x,
                                const struct kube_exec_cluster *cluster, const char *label,
                                unsigned timeout_ms, kube_exec_done_fn *done, void *ud,
                                struct kube_exec_run **out)
{
    struct kube_exec_run *r = calloc(1, sizeof(*r));
    char **argv = NULL, **env = NULL, *info = NULL, *prefix = NULL;
    struct childproc_opts o;
    enum ecd_status st = ECD_ENOMEM;

    if (!r)
        return ECD_ENOMEM;
    if (!(r->label = strdup(label)) || !(r->cmd = strdup(x->command)) ||
        !(r->api_version = strdup(x->api_version)) ||
        (x->install_hint && !(r->install_hint = strdup(x->install_hint))) ||
        asprintf(&prefix, "%s: exec plugin %s", label, x->command) < 0) {
        prefix = NULL; /* undefined after a failed asprintf */
        goto out;
    }
    if ((st = exec_info(x, cluster, &info)) || (st = build_env(x, info, &env)))
        goto out;
    st = ECD_ENOMEM;
    if (!(argv = calloc(x->n_args + 2, sizeof(*argv))))
        goto out;
    argv[0] = x->command;
    for (size_t i = 0; i < x->n_args; i++)
        argv[i + 1] = x->args[i];
    r->done = done;
    r->ud = ud;
    r->timeout_ms = timeout_ms ? timeout_ms : KUBE_EXEC_TIMEOUT_MS;
    memset(&o, 0, sizeof(o));
    o.file = x->command;
    o.args = argv;
    o.env = env;
    o.timeout_ms = r->timeout_ms;
    o.stdout_max = KUBE_EXEC_STDOUT_MAX;
    o.stderr_keep = KUBE_EXEC_STDERR_KEEP;
    o.stderr_log_prio = LOG_DEBUG;
    o.stderr_log_prefix = prefix;
    o.err_summary = CHILDPROC_ERR_FIRST_LINE;
    st = childproc_start(loop, &o, on_child_done, r, &r->child);
    if (!st && out)
        *out = r;
out:
    free(argv);
    env_free(env);
    free(info);
    free(prefix);
    if (st)
        run_free(r);
    return st;
}
