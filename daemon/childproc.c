/* SPDX-License-Identifier: MIT */
/* A helper program's run; see childproc.h.  Four handles (process, two pipes, a timer)
 * are set up together and closed together; done is called from the last close. */
#include "childproc.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

#define NO_STDERR "(no output on stderr)"

struct childproc {
    uv_process_t proc; /* data = this; each handle below too */
    uv_pipe_t out, err;
    uv_timer_t timer;
    int open_handles; /* closes still to come */
    int exited, out_open, err_open, finished;
    int timed_out, overflow, canceled;
    struct childproc_result res;
    int stderr_log_prio;
    char *stderr_log_prefix; /* owned; NULL when stderr is not logged */
    enum childproc_err_summary err_summary;
    struct buf out_buf;  /* owned; may hold credentials: wiped */
    struct buf err_buf;  /* owned */
    char chunk[2][4096]; /* read buffers (stdout, stderr); wiped */
    childproc_done_fn *done;
    void *ud;
};

static void on_closed(uv_handle_t *h)
{
    struct childproc *c = h->data;

    if (--c->open_handles)
        return;
    c->res.out = buf_str(&c->out_buf);
    c->res.out_len = c->out_buf.len;
    if (!c->res.err)
        c->res.err = NO_STDERR;
    c->done(&c->res, c->ud);
    buf_wipe(&c->out_buf);
    buf_wipe(&c->err_buf);
    OPENSSL_cleanse(c->chunk, sizeof(c->chunk));
    free(c->stderr_log_prefix);
    free(c);
}

static void close_all(struct childproc *c)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&c->proc, (uv_handle_t *)&c->out, (uv_handle_t *)&c->err,
                         (uv_handle_t *)&c->timer};

    c->finished = 1;
    c->open_handles = 4;
    for (int i = 0; i < 4; i++)
        uv_close(hs[i], on_closed);
}

/* Control characters (but newlines) become spaces; each non-empty line goes to the log
 * when asked; then the summary the caller wants, inside err_buf. */
static const char *sum_up_stderr(struct childproc *c)
{
    char *s = c->err_buf.ptr, *first = NULL;

    if (!s || !*s)
        return NO_STDERR;
    for (char *p = s; *p; p++)
        if (*p != '\n' && ((unsigned char)*p < 0x20 || *p == 0x7f))
            *p = ' ';
    for (char *line = s; *line;) {
        size_t len = strcspn(line, "\n");

        if (len) {
            if (c->stderr_log_prefix)
                log_emit(c->stderr_log_prio, "%s: stderr: %.*s", c->stderr_log_prefix, (int)len,
                         line);
            if (!first)
                first = line;
        }
        if (!line[len])
            break;
        line += len + 1;
    }
    switch (c->err_summary) {
    case CHILDPROC_ERR_ALL:
        for (char *p = s; *p; p++)
            if (*p == '\n')
                *p = ' ';
        return s;
    case CHILDPROC_ERR_FIRST_LINE:
        break;
    }
    if (!first)
        return NO_STDERR;
    first[strcspn(first, "\n")] = '\0';
    return first;
}

/* Once the process has exited and both pipes reached EOF. */
static void maybe_finish(struct childproc *c)
{
    if (c->finished || !c->exited || c->out_open || c->err_open)
        return;
    (void)uv_timer_stop(&c->timer); /* cannot fail */
    c->res.err = sum_up_stderr(c);
    if (c->canceled)
        c->res.end = CHILDPROC_CANCELED;
    else if (c->timed_out)
        c->res.end = CHILDPROC_TIMED_OUT;
    else if (c->overflow)
        c->res.end = CHILDPROC_OVERFLOW;
    else
        c->res.end = CHILDPROC_EXITED;
    close_all(c);
}

static void on_exit_cb(uv_process_t *h, int64_t exit_status, int term_signal)
{
    struct childproc *c = h->data;

    c->exited = 1;
    c->res.exit_status = exit_status;
    c->res.term_signal = c->timed_out || c->overflow || c->canceled ? 0 : term_signal;
    maybe_finish(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct childproc *c = h->data;
    int i = h == (uv_handle_t *)&c->out ? 0 : 1;

    (void)hint;
    *b = uv_buf_init(c->chunk[i], sizeof(c->chunk[i]));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct childproc *c = s->data;
    int is_out = s == (uv_stream_t *)&c->out;
    struct buf *dst = is_out ? &c->out_buf : &c->err_buf;

    if (n > 0) {
        size_t room = dst->max > dst->len + 1 ? dst->max - dst->len - 1 : 0;
        size_t take = (size_t)n < room ? (size_t)n : room;

        /* stderr is only shown: its tail may go; stdout must be whole. */
        if ((buf_append(dst, b->base, take) || (is_out && take < (size_t)n)) && is_out &&
            !c->overflow) {
            c->overflow = 1;
            (void)uv_process_kill(&c->proc, SIGKILL); /* it may have exited already */
        }
        OPENSSL_cleanse(b->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    (void)uv_read_stop(s); /* EOF or error: this stream is done */
    if (is_out)
        c->out_open = 0;
    else
        c->err_open = 0;
    maybe_finish(c);
}

static void on_timeout(uv_timer_t *t)
{
    struct childproc *c = t->data;

    c->timed_out = 1;
    (void)uv_process_kill(&c->proc, SIGKILL); /* it may have exited already */
}

void childproc_cancel(struct childproc *c)
{
    if (c->finished || c->canceled)
        return;
    c->canceled = 1;
    (void)uv_process_kill(&c->proc, SIGKILL); /* it may have exited already */
}

enum ecd_status childproc_start(uv_loop_t *loop, const struct childproc_opts *opts,
                                childproc_done_fn *done, void *ud, struct childproc **out)
{
    struct childproc *c = calloc(1, sizeof(*c));
    uv_stdio_container_t stdio[3];
    uv_process_options_t o;
    int rc;

    if (!c)
        return ECD_ENOMEM;
    if (opts->stderr_log_prio >= 0 && !(c->stderr_log_prefix = strdup(opts->stderr_log_prefix))) {
        free(c);
        return ECD_ENOMEM;
    }
    c->stderr_log_prio = opts->stderr_log_prio;
    c->err_summary = opts->err_summary;
    c->done = done;
    c->ud = ud;
    buf_init(&c->out_buf, opts->stdout_max + 1);
    buf_init(&c->err_buf, opts->stderr_keep + 1);
    c->proc.data = c->out.data = c->err.data = c->timer.data = c;
    /* Pipes and timer are set up before the spawn, so every path closes all four. */
    (void)uv_pipe_init(loop, &c->out, 0); /* cannot fail on Unix */
    (void)uv_pipe_init(loop, &c->err, 0); /* same */
    (void)uv_timer_init(loop, &c->timer); /* same */
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&c->out;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&c->err;
    memset(&o, 0, sizeof(o));
    o.exit_cb = on_exit_cb;
    o.file = opts->file;
    o.args = opts->args;
    o.env = opts->env;
    o.stdio_count = 3;
    o.stdio = stdio;
    if (out)
        *out = c;
    rc = uv_spawn(loop, &c->proc, &o);
    if (rc < 0) {
        /* The handle needs closing all the same; done reports it from the close. */
        c->res.end = CHILDPROC_NO_SPAWN;
        c->res.uv_error = rc;
        close_all(c);
        return ECD_OK;
    }
    c->out_open = c->err_open = 1;
    if ((rc = uv_read_start((uv_stream_t *)&c->out, on_alloc, on_read)) < 0 ||
        (rc = uv_read_start((uv_stream_t *)&c->err, on_alloc, on_read)) < 0 ||
        (rc = uv_timer_start(&c->timer, on_timeout, opts->timeout_ms, 0)) < 0) {
        (void)uv_process_kill(&c->proc, SIGKILL); /* may already be gone */
        c->res.end = CHILDPROC_NO_IO;
        c->res.uv_error = rc;
        close_all(c);
    }
    return ECD_OK;
}
