/* SPDX-License-Identifier: MIT */
/* credential_process (protocols.md 3.7): the command line split as Python's shlex does,
 * run by daemon/childproc.c (no shell, stdout capped and wiped, killed after a timeout),
 * its stdout parsed by common/credjson.c and its stderr quoted when it fails. */
#include <stdlib.h>
#include <string.h>

#include "childproc.h"
#include "credjson.h"
#include "log.h"
#include "providers.h"

/* ---- shlex.split, POSIX mode -------------------------------------------------------- */

void process_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

static enum ecd_status push_word(char ***argv, size_t *n, struct buf *w)
{
    char **grown = realloc(*argv, (*n + 2) * sizeof(**argv));
    enum ecd_status st;

    if (!grown)
        return ECD_ENOMEM;
    *argv = grown;
    st = buf_steal(w, &grown[*n]);
    if (st)
        return st;
    grown[++*n] = NULL;
    return ECD_OK;
}

enum ecd_status process_split(const char *s, char ***argv_out, const char **why)
{
    char **argv = calloc(1, sizeof(*argv));
    char state = ' ', esc_from = ' ';
    int in_word = 0;
    size_t n = 0;
    struct buf w;
    enum ecd_status st = ECD_OK;

    *argv_out = NULL;
    *why = NULL;
    if (!argv)
        return ECD_ENOMEM;
    buf_init(&w, 64 * 1024);
    for (;; s++) {
        char c = *s;

        if (state == '\'' || state == '"') {
            if (!c) {
                *why = "no closing quotation";
                st = ECD_ECONFIG;
                break;
            }
            if (c == state)
                state = 'a';
            else if (c == '\\' && state == '"' && (s[1] == '\\' || s[1] == '"'))
                st = buf_append(&w, ++s, 1);
            else
                st = buf_append(&w, &c, 1);
        } else if (state == '\\') {
            if (!c) {
                *why = "no escaped character";
                st = ECD_ECONFIG;
                break;
            }
            st = buf_append(&w, &c, 1);
            state = esc_from;
        } else if (!c || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word)
                st = push_word(&argv, &n, &w);
            in_word = 0;
            state = ' ';
            if (!c)
                break;
        } else {
            in_word = 1;
            if (c == '\'' || c == '"') {
                state = c;
            } else if (c == '\\') {
                esc_from = 'a';
                state = '\\';
            } else {
                state = 'a';
                st = buf_append(&w, &c, 1);
            }
        }
        if (st)
            break;
    }
    buf_free(&w);
    if (st) {
        process_argv_free(argv);
        return st;
    }
    *argv_out = argv;
    return ECD_OK;
}

/* ---- running it ------------------------------------------------------------------- */

struct process_run {
    struct childproc *child;      /* owned by itself: ends by calling on_child_done */
    char *label;                  /* owned */
    char *cmd0;                   /* owned; argv[0], for messages */
    struct aws_credentials creds; /* owned; wiped */
    provider_done_fn *done;
    void *ud;
};

/* The outcome as a status, with its message; parses the credentials into p->creds. */
static enum ecd_status judge(struct process_run *p, const struct childproc_result *res)
{
    enum ecd_status st;
    char why[256];

    switch (res->end) {
    case CHILDPROC_CANCELED:
        return ECD_ECANCELED;
    case CHILDPROC_NO_SPAWN:
        log_error("%s: cannot run credential_process %s: %s", p->label, p->cmd0,
                  uv_strerror(res->uv_error));
        return ECD_ECONFIG;
    case CHILDPROC_NO_IO:
        log_error("%s: credential_process %s: %s", p->label, p->cmd0, uv_strerror(res->uv_error));
        return ECD_EIO;
    case CHILDPROC_TIMED_OUT:
        log_error("%s: credential_process %s did not finish in time and was killed: %s", p->label,
                  p->cmd0, res->err);
        return ECD_ETRANSPORT;
    case CHILDPROC_OVERFLOW:
        log_error("%s: credential_process %s wrote more than %d bytes", p->label, p->cmd0,
                  PROCESS_STDOUT_MAX);
        return ECD_EPROTO;
    case CHILDPROC_EXITED:
        break;
    }
    if (res->term_signal) {
        log_error("%s: credential_process %s was killed by signal %d: %s", p->label, p->cmd0,
                  res->term_signal, res->err);
        return ECD_EAUTH;
    }
    if (res->exit_status) {
        log_error("%s: credential_process %s exited with status %lld: %s", p->label, p->cmd0,
                  (long long)res->exit_status, res->err);
        return ECD_EAUTH;
    }
    st = credjson_parse(CREDJSON_PROCESS, res->out, res->out_len, &p->creds, why, sizeof(why));
    if (st) {
        log_error("%s: credential_process %s: bad output: %s", p->label, p->cmd0, why);
        return st == ECD_ENOMEM ? ECD_ENOMEM : ECD_EPROTO;
    }
    if (!(p->creds.provider = strdup("custom-process")))
        return ECD_ENOMEM;
    return ECD_OK;
}

static void run_free(struct process_run *p)
{
    aws_credentials_clear(&p->creds);
    free(p->label);
    free(p->cmd0);
    free(p);
}

static void on_child_done(const struct childproc_result *res, void *ud)
{
    struct process_run *p = ud;
    enum ecd_status st = judge(p, res);

    p->done(st, st ? NULL : &p->creds, p->ud);
    run_free(p);
}

void process_cancel(struct process_run *p)
{
    childproc_cancel(p->child);
}

enum ecd_status process_start(uv_loop_t *loop, const char *label, const char *command,
                              unsigned timeout_ms, provider_done_fn *done, void *ud,
                              struct process_run **out)
{
    struct process_run *p;
    char **argv = NULL;
    const char *why;
    enum ecd_status st = process_split(command, &argv, &why);
    struct childproc_opts o;

    if (st == ECD_ECONFIG || (!st && !argv[0])) {
        log_error("%s: credential_process cannot be split into words: %s", label,
                  why ? why : "it is empty");
        process_argv_free(argv);
        return ECD_ECONFIG;
    }
    if (st)
        return st;
    st = ECD_ENOMEM;
    if (!(p = calloc(1, sizeof(*p))))
        goto out;
    p->done = done;
    p->ud = ud;
    if (!(p->label = strdup(label)) || !(p->cmd0 = strdup(argv[0])))
        goto out;
    memset(&o, 0, sizeof(o));
    o.file = argv[0];
    o.args = argv;
    o.timeout_ms = timeout_ms ? timeout_ms : PROCESS_TIMEOUT_MS;
    o.stdout_max = PROCESS_STDOUT_MAX;
    o.stderr_keep = PROCESS_STDERR_SHOW;
    o.stderr_log_prio = -1; /* only quoted in the error */
    o.err_summary = CHILDPROC_ERR_ALL;
    st = childproc_start(loop, &o, on_child_done, p, &p->child);
    if (!st && out)
        *out = p;
out:
    process_argv_free(argv);
    if (st && p)
        run_free(p);
    return st;
}
