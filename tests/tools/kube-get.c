/* SPDX-License-Identifier: MIT */
/* kube-get: build a kube_client (daemon/kube/client.c) the way a sink does and send
 * requests through it, for the client's integration tests
 * (tests/integration/test_kube_client.py).  Prints on stdout
 *
 *   describe=<kube_client_describe()>  namespace=<kube_client_namespace()>   (once)
 *   status=<HTTP status> body=<body, line breaks as spaces>         (per request)
 *   error=<ECD_...> errmsg=<text>                                   (per failed request)
 *   done                                                            (per command)
 *
 * Options: --kubeconfig P, --context C, --in-cluster, and either --path P [--method M]
 * [--body B] [--count N] (N requests, one after the other, then exit) or commands on
 * stdin, one a line, each run when the previous one finished (so a test can change the
 * world in between):
 *   METHOD PATH [BODY]        one request
 *   xN METHOD PATH            N requests at once (they share one credential)
 *   CANCEL METHOD PATH        a request canceled right after it started
 *   STREAM METHOD PATH        a streamed request (no timeout): data=<chunk> lines
 * Exit: 0 when every request got a 2xx, 1 otherwise, 2 when the client could not be
 * built (the reason went to stderr), 3 when handles were left on the loop.
 * KUBE_GET_DEBUG=1 logs at debug level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "kube/client.h"
#include "log.h"
#include "toolutil.h"

struct tool {
    unsigned magic;
    uv_loop_t loop;
    uv_pipe_t in;
    struct http_client *http;
    struct kube_client *kube;
    char line[65536];
    size_t line_len;
    int pending, failures, eof, reading, in_open;
    /* --path mode */
    const char *method, *path, *body;
    int count;
};

static void run_buffered(struct tool *t);

static void on_in_closed(uv_handle_t *h)
{
    (void)h;
}

static void shutdown_tool(struct tool *t)
{
    kube_client_free(t->kube);
    t->kube = NULL;
    http_client_close(t->http);
    t->http = NULL;
    if (t->in_open) {
        t->in_open = 0;
        uv_close((uv_handle_t *)&t->in, on_in_closed);
    }
}

static void print_one(enum ecd_status st, const struct http_response *resp)
{
    if (st) {
        printf("error=%s errmsg=%s\n", tool_status_name(st), resp ? resp->errmsg : "");
        return;
    }
    printf("status=%ld body=", resp->status);
    for (const char *p = buf_str(&resp->body); *p; p++)
        putchar(*p == '\n' || *p == '\r' ? ' ' : *p);
    putchar('\n');
}

static void start_next(struct tool *t);

static void on_done(enum ecd_status st, const struct http_response *resp, void *ud)
{
    struct tool *t = ud;

    print_one(st, resp);
    if (st || resp->status < 200 || resp->status > 299)
        t->failures++;
    if (--t->pending)
        return;
    printf("done\n");
    fflush(stdout);
    if (t->path) {
        start_next(t);
        return;
    }
    run_buffered(t);
}

#define TOOL_MAGIC 0x6b756265 /* on_data must get the ud given to kube_request() */

/* STREAM: chunks of a 2xx body as they arrive (a watch). */
static enum ecd_status on_data(const char *data, size_t len, void *ud)
{
    struct tool *t = ud;

    if (t->magic != TOOL_MAGIC) {
        printf("error=on_data got the wrong ud\n");
        return ECD_EINVAL;
    }
    printf("data=");
    for (size_t i = 0; i < len; i++)
        putchar(data[i] == '\n' || data[i] == '\r' ? ' ' : data[i]);
    putchar('\n');
    fflush(stdout);
    return ECD_OK;
}

static int send_one(struct tool *t, const char *method, const char *path, const char *body,
                    int cancel, int stream)
{
    struct kube_request_opts o = {0};
    struct kube_req *r = NULL;
    enum ecd_status st;

    o.method = method;
    o.path = path;
    if (body && *body) {
        o.body = body;
        o.body_len = strlen(body);
        o.content_type = "application/json";
    }
    if (stream) {
        o.on_data = on_data;
        o.timeout_ms = -1;
    }
    st = kube_request(t->kube, &o, on_done, t, &r);
    if (st) {
        printf("error=%s errmsg=kube_request refused\n", tool_status_name(st));
        t->failures++;
        return 0;
    }
    t->pending++;
    if (cancel)
        kube_cancel(r);
    return 1;
}

static void start_next(struct tool *t)
{
    if (t->count-- <= 0 || !send_one(t, t->method, t->path, t->body, 0, 0)) {
        fflush(stdout);
        shutdown_tool(t);
    }
}

/* One command line; returns 1 when requests were started. */
static int run_line(struct tool *t, char *line)
{
    char *save = NULL, *w1 = strtok_r(line, " ", &save), *w2, *rest;
    int n = 1, cancel = 0, stream = 0, started = 0;

    if (!w1)
        return 0;
    if (w1[0] == 'x' && w1[1] >= '0' && w1[1] <= '9') {
        n = atoi(w1 + 1);
        w1 = strtok_r(NULL, " ", &save);
    } else if (!strcmp(w1, "CANCEL")) {
        cancel = 1;
        w1 = strtok_r(NULL, " ", &save);
    } else if (!strcmp(w1, "STREAM")) {
        stream = 1;
        w1 = strtok_r(NULL, " ", &save);
    }
    w2 = strtok_r(NULL, " ", &save);
    rest = strtok_r(NULL, "", &save);
    if (!w1 || !w2) {
        printf("error=usage errmsg=METHOD PATH [BODY]\ndone\n");
        fflush(stdout);
        return 0;
    }
    for (int i = 0; i < n; i++)
        started += send_one(t, w1, w2, rest, cancel, stream);
    if (!started) {
        printf("done\n");
        fflush(stdout);
    }
    return started;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct tool *t = h->data;

    (void)hint;
    *b = uv_buf_init(t->line + t->line_len, (unsigned)(sizeof(t->line) - 1 - t->line_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct tool *t = s->data;

    (void)b;
    if (n < 0) {
        t->eof = 1;
        (void)uv_read_stop(s);
        t->reading = 0;
    } else {
        t->line_len += (size_t)n;
    }
    run_buffered(t);
}

/* Run the buffered lines until one starts requests; then wait for them. */
static void run_buffered(struct tool *t)
{
    for (;;) {
        char *nl;

        t->line[t->line_len] = '\0';
        nl = strchr(t->line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        {
            char cmd[sizeof(t->line)];
            size_t used = (size_t)(nl - t->line) + 1;
            int started;

            memcpy(cmd, t->line, used);
            memmove(t->line, t->line + used, t->line_len - used);
            t->line_len -= used;
            started = run_line(t, cmd);
            if (started) {
                if (t->reading) {
                    (void)uv_read_stop((uv_stream_t *)&t->in);
                    t->reading = 0;
                }
                return;
            }
        }
    }
    if (t->eof || t->line_len >= sizeof(t->line) - 1) {
        shutdown_tool(t);
        return;
    }
    if (!t->reading && uv_read_start((uv_stream_t *)&t->in, on_alloc, on_read) == 0)
        t->reading = 1;
}

int main(int argc, char **argv)
{
    struct kube_client_opts o = {0};
    struct tool t = {.magic = TOOL_MAGIC, .method = "GET", .count = 1};
    int rc = 0;
    enum ecd_status st;

    o.where = "kube-get";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--in-cluster")) {
            o.in_cluster = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "usage: kube-get [--kubeconfig P] [--context C] [--in-cluster] "
                            "[--path P [--method M] [--body B] [--count N]]\n");
            return 2;
        }
        i++;
        if (!strcmp(a, "--kubeconfig"))
            o.kubeconfig = v;
        else if (!strcmp(a, "--context"))
            o.context = v;
        else if (!strcmp(a, "--path"))
            t.path = v;
        else if (!strcmp(a, "--method"))
            t.method = v;
        else if (!strcmp(a, "--body"))
            t.body = v;
        else if (!strcmp(a, "--count"))
            t.count = atoi(v);
        else {
            fprintf(stderr, "kube-get: unknown option %s\n", a);
            return 2;
        }
    }
    log_open(getenv("KUBE_GET_DEBUG") ? LOG_DEBUG : LOG_INFO);
    if (uv_loop_init(&t.loop) < 0 || http_client_new(&t.loop, &t.http))
        return 2;
    st = kube_client_new(&t.loop, t.http, &o, &t.kube);
    if (st) {
        printf("error=%s\n", tool_status_name(st));
        rc = 2;
        http_client_close(t.http);
        t.http = NULL;
    } else {
        printf("describe=%s\nnamespace=%s\n", kube_client_describe(t.kube),
               kube_client_namespace(t.kube));
        fflush(stdout);
        if (t.path) {
            start_next(&t);
        } else {
            (void)uv_pipe_init(&t.loop, &t.in, 0); /* cannot fail on Unix */
            t.in.data = &t;
            t.in_open = 1;
            if (uv_pipe_open(&t.in, 0) == 0) {
                run_buffered(&t);
            } else {
                fprintf(stderr, "kube-get: stdin is not a pipe; use --path\n");
                rc = 2;
                shutdown_tool(&t);
            }
        }
    }
    (void)uv_run(&t.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&t.loop) != 0) {
        fprintf(stderr, "kube-get: handles left open on the loop\n");
        return 3;
    }
    return rc ? rc : t.failures ? 1 : 0;
}
