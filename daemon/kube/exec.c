/* SPDX-License-Identifier: MIT */
/* client-go credential plugins; see exec.h.  The process handling follows
 * daemon/creds/process.c (credential_process): four handles (process, two pipes, a
 * timer) closed together, done called from the last close. */
#include "kube/exec.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "log.h"

extern char **environ;

struct kube_exec_run {
    uv_process_t proc; /* data = this; each handle below too */
    uv_pipe_t out, err;
    uv_timer_t timer;
    int open_handles;
    int exited, out_open, err_open, finished;
    int timed_out, overflow, canceled;
    int64_t exit_status;
    int term_signal;
    unsigned timeout_ms;
    char *label;         /* owned */
    char *cmd;           /* owned; the command, for messages */
    char *install_hint;  /* owned; NULL when none */
    char *api_version;   /* owned */
    struct buf out_buf;  /* owned; the credential: wiped */
    struct buf err_buf;  /* owned */
    char chunk[2][4096]; /* read buffers (stdout, stderr); wiped */
    enum ecd_status st;
    struct execcred cred; /* owned; wiped */
    kube_exec_done_fn *done;
    void *ud;
};

static void on_closed(uv_handle_t *h)
{
    struct kube_exec_run *r = h->data;

    if (--r->open_handles)
        return;
    r->done(r->st, r->st ? NULL : &r->cred, r->ud);
    execcred_clear(&r->cred);
    buf_wipe(&r->out_buf);
    buf_wipe(&r->err_buf);
    OPENSSL_cleanse(r->chunk, sizeof(r->chunk));
    free(r->label);
    free(r->cmd);
    free(r->install_hint);
    free(r->api_version);
    free(r);
}

static void close_all(struct kube_exec_run *r)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&r->proc, (uv_handle_t *)&r->out, (uv_handle_t *)&r->err,
                         (uv_handle_t *)&r->timer};

    r->open_handles = 4;
    for (int i = 0; i < 4; i++)
        uv_close(hs[i], on_closed);
}

/* stderr to the debug log, line by line, control characters replaced; returns the
 * first non-empty line (inside err_buf) for the error message. */
static const char *log_stderr(struct kube_exec_run *r)
{
    char *s = r->err_buf.ptr, *first = NULL;

    if (!s)
        return "(no output on stderr)";
    while (*s) {
        char *nl = strchr(s, '\n');

        if (nl)
            *nl = '\0';
        for (char *c = s; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
        if (*s) {
            log_debug("%s: exec plugin %s: stderr: %s", r->label, r->cmd, s);
            if (!first)
                first = s;
        }
        if (!nl)
            break;
        s = nl + 1;
    }
    return first ? first : "(no output on stderr)";
}

static void maybe_finish(struct kube_exec_run *r)
{
    const char *first;
    char why[512];

    if (r->finished || !r->exited || r->out_open || r->err_open)
        return;
    r->finished = 1;
    (void)uv_timer_stop(&r->timer); /* cannot fail */
    first = log_stderr(r);
    if (r->canceled) {
        r->st = ECD_ECANCELED;
    } else if (r->timed_out) {
        log_error("%s: exec plugin %s did not finish within %u ms and was killed: %s", r->label,
                  r->cmd, r->timeout_ms, first);
        r->st = ECD_EAUTH;
    } else if (r->overflow) {
        log_error("%s: exec plugin %s wrote more than %d bytes on stdout", r->label, r->cmd,
                  KUBE_EXEC_STDOUT_MAX);
        r->st = ECD_EAUTH;
    } else if (r->term_signal) {
        log_error("%s: exec plugin %s was killed by signal %d: %s", r->label, r->cmd,
                  r->term_signal, first);
        r->st = ECD_EAUTH;
    } else if (r->exit_status) {
        log_error("%s: exec plugin %s exited with status %lld: %s", r->label, r->cmd,
                  (long long)r->exit_status, first);
        r->st = ECD_EAUTH;
    } else if ((r->st = execcred_parse(buf_str(&r->out_buf), r->out_buf.len, r->api_version,
                                       &r->cred, why, sizeof(why))) != ECD_OK) {
        if (r->st != ECD_ENOMEM) {
            log_error("%s: exec plugin %s printed no valid ExecCredential: %s", r->label, r->cmd,
                      why);
            r->st = ECD_EAUTH;
        }
    } else {
        log_debug("%s: exec plugin %s gave a %s%s, %s", r->label, r->cmd,
                  secret_is_set(&r->cred.token) ? "token" : "client certificate",
                  secret_is_set(&r->cred.token) && r->cred.client_cert_pem
                      ? " and a client certificate"
                      : "",
                  r->cred.expires ? "with an expiry" : "without expiry");
    }
    close_all(r);
}

static void on_exit_cb(uv_process_t *h, int64_t exit_status, int term_signal)
{
    struct kube_exec_run *r = h->data;

    r->exited = 1;
    r->exit_status = exit_status;
    r->term_signal = r->timed_out || r->overflow || r->canceled ? 0 : term_signal;
    maybe_finish(r);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct kube_exec_run *r = h->data;
    int i = h == (uv_handle_t *)&r->out ? 0 : 1;

    (void)hint;
    *b = uv_buf_init(r->chunk[i], sizeof(r->chunk[i]));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct kube_exec_run *r = s->data;
    int is_out = s == (uv_stream_t *)&r->out;
    struct buf *dst = is_out ? &r->out_buf : &r->err_buf;

    if (n > 0) {
        size_t room = dst->max > dst->len + 1 ? dst->max - dst->len - 1 : 0;
        size_t take = (size_t)n < room ? (size_t)n : room;

        /* stderr is only logged: its tail may go; stdout must be whole. */
        if ((buf_append(dst, b->base, take) || (is_out && take < (size_t)n)) && is_out &&
            !r->overflow) {
            r->overflow = 1;
            (void)uv_process_kill(&r->proc, SIGKILL); /* it may have exited already */
        }
        OPENSSL_cleanse(b->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    (void)uv_read_stop(s); /* EOF or error: this stream is done */
    if (is_out)
        r->out_open = 0;
    else
        r->err_open = 0;
    maybe_finish(r);
}

static void on_timeout(uv_timer_t *t)
{
    struct kube_exec_run *r = t->data;

    r->timed_out = 1;
    (void)uv_process_kill(&r->proc, SIGKILL); /* it may have exited already */
}

void kube_exec_cancel(struct kube_exec_run *r)
{
    if (r->finished || r->canceled)
        return;
    r->canceled = 1;
    (void)uv_process_kill(&r->proc, SIGKILL); /* it may have exited already */
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
    char **argv = NULL, **env = NULL, *info = NULL;
    uv_stdio_container_t stdio[3];
    uv_process_options_t o;
    enum ecd_status st = ECD_ENOMEM;
    int rc;

    if (!r)
        return ECD_ENOMEM;
    if (!(r->label = strdup(label)) || !(r->cmd = strdup(x->command)) ||
        !(r->api_version = strdup(x->api_version)) ||
        (x->install_hint && !(r->install_hint = strdup(x->install_hint))))
        goto fail;
    if ((st = exec_info(x, cluster, &info)) || (st = build_env(x, info, &env)))
        goto fail;
    st = ECD_ENOMEM;
    if (!(argv = calloc(x->n_args + 2, sizeof(*argv))))
        goto fail;
    argv[0] = x->command;
    for (size_t i = 0; i < x->n_args; i++)
        argv[i + 1] = x->args[i];
    r->done = done;
    r->ud = ud;
    r->timeout_ms = timeout_ms ? timeout_ms : KUBE_EXEC_TIMEOUT_MS;
    buf_init(&r->out_buf, KUBE_EXEC_STDOUT_MAX + 1);
    buf_init(&r->err_buf, KUBE_EXEC_STDERR_KEEP + 1);
    r->proc.data = r->out.data = r->err.data = r->timer.data = r;
    /* Pipes and timer are set up before the spawn, so every path closes all four. */
    (void)uv_pipe_init(loop, &r->out, 0); /* cannot fail on Unix */
    (void)uv_pipe_init(loop, &r->err, 0); /* same */
    (void)uv_timer_init(loop, &r->timer); /* same */
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&r->out;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&r->err;
    memset(&o, 0, sizeof(o));
    o.exit_cb = on_exit_cb;
    o.file = x->command;
    o.args = argv;
    o.env = env;
    o.stdio_count = 3;
    o.stdio = stdio;
    rc = uv_spawn(loop, &r->proc, &o);
    free(argv);
    env_free(env);
    free(info);
    if (out)
        *out = r;
    if (rc < 0) {
        /* The handle needs closing all the same; done reports it from the close. */
        log_error("%s: cannot run exec plugin %s: %s%s%s", label, x->command, uv_strerror(rc),
                  r->install_hint ? "; " : "", r->install_hint ? r->install_hint : "");
        r->st = ECD_EAUTH;
        r->finished = 1;
        close_all(r);
        return ECD_OK;
    }
    r->out_open = r->err_open = 1;
    if ((rc = uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read)) < 0 ||
        (rc = uv_read_start((uv_stream_t *)&r->err, on_alloc, on_read)) < 0 ||
        (rc = uv_timer_start(&r->timer, on_timeout, r->timeout_ms, 0)) < 0) {
        log_error("%s: exec plugin %s: %s", label, x->command, uv_strerror(rc));
        (void)uv_process_kill(&r->proc, SIGKILL); /* may already be gone */
        r->st = ECD_EIO;
        r->finished = 1;
        close_all(r);
    }
    return ECD_OK;
fail:
    free(argv);
    env_free(env);
    free(info);
    free(r->label);
    free(r->cmd);
    free(r->api_version);
    free(r->install_hint);
    free(r);
    return st;
}
