/* SPDX-License-Identifier: MIT */
/* credential_process (protocols.md 3.7): the command line split as Python's shlex does,
 * run without a shell under uv_spawn, stdout collected (capped, wiped) and parsed by
 * common/credjson.c, stderr quoted when it fails, killed after a timeout. */
#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

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
    uv_process_t proc; /* data = this; each handle below too */
    uv_pipe_t out, err;
    uv_timer_t timer;
    int open_handles; /* closes still to come */
    int spawned, exited, out_open, err_open, finished;
    int timed_out, overflow, canceled;
    int64_t exit_status;
    int term_signal;
    char *label;         /* owned */
    char *cmd0;          /* owned; argv[0], for messages */
    struct buf out_buf;  /* owned; the credentials: wiped */
    struct buf err_buf;  /* owned */
    char chunk[2][4096]; /* read buffers (stdout, stderr); wiped */
    enum ecd_status st;
    struct aws_credentials creds; /* owned; wiped */
    provider_done_fn *done;
    void *ud;
};

static void on_closed(uv_handle_t *h)
{
    struct process_run *p = h->data;

    if (--p->open_handles)
        return;
    p->done(p->st, p->st ? NULL : &p->creds, p->ud);
    aws_credentials_clear(&p->creds);
    buf_wipe(&p->out_buf);
    buf_wipe(&p->err_buf);
    OPENSSL_cleanse(p->chunk, sizeof(p->chunk));
    free(p->label);
    free(p->cmd0);
    free(p);
}

static void close_all(struct process_run *p)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&p->proc, (uv_handle_t *)&p->out, (uv_handle_t *)&p->err,
                         (uv_handle_t *)&p->timer};

    p->open_handles = 4;
    for (int i = 0; i < 4; i++)
        uv_close(hs[i], on_closed);
}

/* The start of stderr, one line, for the message. */
static const char *stderr_text(struct process_run *p)
{
    char *s = p->err_buf.ptr;

    if (!s || !*s)
        return "(no output on stderr)";
    for (char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return s;
}

/* Once the process has exited and both pipes reached EOF. */
static void maybe_finish(struct process_run *p)
{
    char why[256];

    if (p->finished || !p->exited || p->out_open || p->err_open)
        return;
    p->finished = 1;
    (void)uv_timer_stop(&p->timer); /* cannot fail */
    if (p->canceled) {
        p->st = ECD_ECANCELED;
    } else if (p->timed_out) {
        log_error("%s: credential_process %s did not finish in time and was killed: %s", p->label,
                  p->cmd0, stderr_text(p));
        p->st = ECD_ETRANSPORT;
    } else if (p->overflow) {
        log_error("%s: credential_process %s wrote more than %d bytes", p->label, p->cmd0,
                  PROCESS_STDOUT_MAX);
        p->st = ECD_EPROTO;
    } else if (p->term_signal) {
        log_error("%s: credential_process %s was killed by signal %d: %s", p->label, p->cmd0,
                  p->term_signal, stderr_text(p));
        p->st = ECD_EAUTH;
    } else if (p->exit_status) {
        log_error("%s: credential_process %s exited with status %lld: %s", p->label, p->cmd0,
                  (long long)p->exit_status, stderr_text(p));
        p->st = ECD_EAUTH;
    } else if ((p->st = credjson_parse(CREDJSON_PROCESS, buf_str(&p->out_buf), p->out_buf.len,
                                       &p->creds, why, sizeof(why))) != ECD_OK) {
        log_error("%s: credential_process %s: bad output: %s", p->label, p->cmd0, why);
        p->st = p->st == ECD_ENOMEM ? ECD_ENOMEM : ECD_EPROTO;
    } else if (!(p->creds.provider = strdup("custom-process"))) {
        p->st = ECD_ENOMEM;
    }
    close_all(p);
}

static void on_exit_cb(uv_process_t *h, int64_t exit_status, int term_signal)
{
    struct process_run *p = h->data;

    p->exited = 1;
    p->exit_status = exit_status;
    p->term_signal = p->timed_out || p->overflow || p->canceled ? 0 : term_signal;
    maybe_finish(p);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct process_run *p = h->data;
    int i = h == (uv_handle_t *)&p->out ? 0 : 1;

    (void)hint;
    *b = uv_buf_init(p->chunk[i], sizeof(p->chunk[i]));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct process_run *p = s->data;
    int is_out = s == (uv_stream_t *)&p->out;
    struct buf *dst = is_out ? &p->out_buf : &p->err_buf;

    if (n > 0) {
        size_t room = dst->max > dst->len + 1 ? dst->max - dst->len - 1 : 0;
        size_t take = (size_t)n < room ? (size_t)n : room;

        /* stderr is only quoted: its tail may go; stdout must be whole. */
        if (buf_append(dst, b->base, take) || (is_out && take < (size_t)n)) {
            if (is_out && !p->overflow) {
                p->overflow = 1;
                (void)uv_process_kill(&p->proc, SIGKILL); /* it may have exited already */
            }
        }
        OPENSSL_cleanse(b->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    (void)uv_read_stop(s); /* EOF or error: this stream is done */
    if (is_out)
        p->out_open = 0;
    else
        p->err_open = 0;
    maybe_finish(p);
}

static void on_timeout(uv_timer_t *t)
{
    struct process_run *p = t->data;

    p->timed_out = 1;
    (void)uv_process_kill(&p->proc, SIGKILL); /* it may have exited already */
}

void process_cancel(struct process_run *p)
{
    if (p->finished || p->canceled)
        return;
    p->canceled = 1;
    (void)uv_process_kill(&p->proc, SIGKILL); /* it may have exited already */
}

enum ecd_status process_start(uv_loop_t *loop, const char *label, const char *command,
                              unsigned timeout_ms, provider_done_fn *done, void *ud,
                              struct process_run **out)
{
    struct process_run *p;
    char **argv = NULL;
    const char *why;
    enum ecd_status st = process_split(command, &argv, &why);
    uv_stdio_container_t stdio[3];
    uv_process_options_t o;
    int rc;

    if (st == ECD_ECONFIG || (!st && !argv[0])) {
        log_error("%s: credential_process cannot be split into words: %s", label,
                  why ? why : "it is empty");
        process_argv_free(argv);
        return ECD_ECONFIG;
    }
    if (st)
        return st;
    p = calloc(1, sizeof(*p));
    if (!p || !(p->label = strdup(label)) || !(p->cmd0 = strdup(argv[0]))) {
        if (p)
            free(p->label);
        free(p);
        process_argv_free(argv);
        return ECD_ENOMEM;
    }
    p->done = done;
    p->ud = ud;
    if (out)
        *out = p;
    buf_init(&p->out_buf, PROCESS_STDOUT_MAX + 1);
    buf_init(&p->err_buf, PROCESS_STDERR_SHOW + 1);
    p->proc.data = p->out.data = p->err.data = p->timer.data = p;
    /* Pipes and timer are set up before the spawn, so every path closes all four. */
    (void)uv_pipe_init(loop, &p->out, 0); /* cannot fail on Unix */
    (void)uv_pipe_init(loop, &p->err, 0); /* same */
    (void)uv_timer_init(loop, &p->timer); /* same */
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&p->out;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&p->err;
    memset(&o, 0, sizeof(o));
    o.exit_cb = on_exit_cb;
    o.file = argv[0];
    o.args = argv;
    o.stdio_count = 3;
    o.stdio = stdio;
    rc = uv_spawn(loop, &p->proc, &o);
    process_argv_free(argv);
    if (rc < 0) {
        /* The handle needs closing all the same; done reports it from the close. */
        log_error("%s: cannot run credential_process %s: %s", label, p->cmd0, uv_strerror(rc));
        p->st = ECD_ECONFIG;
        p->finished = 1;
        close_all(p);
        return ECD_OK;
    }
    p->exited = 0;
    p->out_open = p->err_open = 1;
    if ((rc = uv_read_start((uv_stream_t *)&p->out, on_alloc, on_read)) < 0 ||
        (rc = uv_read_start((uv_stream_t *)&p->err, on_alloc, on_read)) < 0 ||
        (rc = uv_timer_start(&p->timer, on_timeout, timeout_ms ? timeout_ms : PROCESS_TIMEOUT_MS,
                             0)) < 0) {
        log_error("%s: credential_process %s: %s", label, p->cmd0, uv_strerror(rc));
        (void)uv_process_kill(&p->proc, SIGKILL); /* may already be gone */
        p->st = ECD_EIO;
        p->finished = 1;
        close_all(p);
    }
    return ECD_OK;
}
