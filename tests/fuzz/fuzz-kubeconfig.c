/* SPDX-License-Identifier: MIT */
/* libFuzzer target for kubeconfig files (common/kubeconfig.c): the input is parsed
 * as one file and merged a second time as another (first file wins), then the
 * current context and a named one are selected.  Checks: a failure has a message,
 * a success none; a selection that succeeds has a cluster with a server. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(enum ecd_status st, const struct kubeconfig_err *e)
{
    if (st != ECD_OK && st != ECD_ECONFIG && st != ECD_ENOMEM)
        abort();
    if ((st == ECD_ECONFIG) != (e->msg[0] != '\0'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kubeconfig kc;
    struct kubeconfig_err e;
    struct kubeconfig_sel sel;
    enum ecd_status st;

    kubeconfig_init(&kc);
    st = kubeconfig_parse(&kc, "/dir/first.yaml", (const char *)data, size, &e);
    check(st, &e);
    if (!st) {
        st = kubeconfig_parse(&kc, "second.yaml", (const char *)data, size, &e);
        check(st, &e);
    }
    if (!st) {
        st = kubeconfig_select(&kc, NULL, &sel, &e);
        check(st, &e);
        if (!st && (!sel.context || !sel.cluster || !sel.cluster->server))
            abort();
        if (st && (sel.context || sel.cluster || sel.user))
            abort();
        st = kubeconfig_select(&kc, "c", &sel, &e);
        check(st, &e);
    }
    kubeconfig_clear(&kc);
    return 0;
}
