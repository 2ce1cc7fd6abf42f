/* SPDX-License-Identifier: MIT */
/* kube-lease: one leader-election campaigner (daemon/kube/lease.c) for the lease
 * test (tests/integration/test_kube_lease.py).  Prints "ready" once campaigning, then
 * "leading=1" / "leading=0" each time the callback fires; SIGTERM or SIGINT stops the
 * campaign (releasing the lease when held) and exits 0.
 * Options: --kubeconfig P (else the usual sources), --namespace NS (default: the
 * client's), --name N, --identity ID, --duration S, --renew-deadline S,
 * --retry-period S.  KUBE_GET_DEBUG=1 logs at debug level.  Exit 2 when the client
 * could not be built, 3 when handles were left on the loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "kube/client.h"
#include "kube/lease.h"
#include "log.h"

struct tool {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    struct http_client *http;
    struct kube_client *kube;
    struct kube_lease *lease;
};

static void on_leading(int leading, void *ud)
{
    (void)ud;
    printf("leading=%d\n", leading);
    fflush(stdout);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct tool *t = s->data;

    (void)signum;
    kube_lease_stop(t->lease); /* starts the release; the client outlives it */
    t->lease = NULL;
    uv_close((uv_handle_t *)&t->sigterm, on_closed);
    uv_close((uv_handle_t *)&t->sigint, on_closed);
}

int main(int argc, char **argv)
{
    struct kube_client_opts o = {0};
    struct kube_lease_opts lo = {0};
    struct tool t = {0};
    enum ecd_status st;
    int rc = 0;

    o.where = "kube-lease";
    lo.name = "ecr-credd";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];

        if (!strcmp(a, "--kubeconfig"))
            o.kubeconfig = v;
        else if (!strcmp(a, "--namespace"))
            lo.namespace_ = v;
        else if (!strcmp(a, "--name"))
            lo.name = v;
        else if (!strcmp(a, "--identity"))
            lo.identity = v;
        else if (!strcmp(a, "--duration"))
            lo.duration_s = atoi(v);
        else if (!strcmp(a, "--renew-deadline"))
            lo.renew_deadline_s = atoi(v);
        else if (!strcmp(a, "--retry-period"))
            lo.retry_period_s = atoi(v);
        else {
            fprintf(stderr, "kube-lease: unknown option %s\n", a);
            return 2;
        }
    }
    if (!lo.identity || argc % 2 != 1) {
        fprintf(stderr, "usage: kube-lease --identity ID [--kubeconfig P] [--namespace NS] "
                        "[--name N] [--duration S] [--renew-deadline S] [--retry-period S]\n");
        return 2;
    }
    log_open(getenv("KUBE_GET_DEBUG") ? LOG_DEBUG : LOG_INFO);
    srand((unsigned)uv_hrtime());
    if (uv_loop_init(&t.loop) < 0 || http_client_new(&t.loop, &t.http))
        return 2;
    st = kube_client_new(&t.loop, t.http, &o, &t.kube);
    if (!st) {
        if (!lo.namespace_)
            lo.namespace_ = kube_client_namespace(t.kube);
        st = kube_lease_start(t.kube, &lo, on_leading, &t, &t.lease);
    }
    if (st) {
        printf("error=%s\n", ecd_strerror(st));
        rc = 2;
    } else {
        (void)uv_signal_init(&t.loop, &t.sigterm);
        (void)uv_signal_init(&t.loop, &t.sigint);
        t.sigterm.data = t.sigint.data = &t;
        (void)uv_signal_start(&t.sigterm, on_signal, SIGTERM);
        (void)uv_signal_start(&t.sigint, on_signal, SIGINT);
        printf("ready\n");
        fflush(stdout);
        /* Runs until a signal stopped the lease and its release request ended. */
        (void)uv_run(&t.loop, UV_RUN_DEFAULT);
    }
    kube_client_free(t.kube);
    http_client_close(t.http);
    (void)uv_run(&t.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&t.loop) != 0) {
        fprintf(stderr, "kube-lease: handles left open on the loop\n");
        return 3;
    }
    return rc;
}
