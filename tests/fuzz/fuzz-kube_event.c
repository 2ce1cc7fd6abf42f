/* SPDX-License-Identifier: MIT */
/* libFuzzer target for what a Kubernetes API server sends: the input is fed to the
 * watch line splitter in chunks whose sizes come from the first byte, and every line
 * goes through the event parser, then (by its shape) the metadata, secret and
 * ServiceAccount decoders and the Status reader.  The whole input is also read as a
 * list response and a Status body.  Checks: a parsed event has an object and, unless
 * ERROR, a resourceVersion; a rejection leaves nothing allocated and has a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube_json.h"
#include "kube_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ecd_status on_line(const char *line, size_t len, void *ud)
{
    struct jsonutil_err e;
    struct kube_event ev;
    struct kube_meta m;
    struct kube_secret_seen ss;
    struct kube_sa_seen sa;
    struct kube_status ks;

    (void)ud;
    jsonutil_err_init(&e, "event", ECD_EPROTO);
    if (kube_event_parse(&e, line, len, &ev) != ECD_OK) {
        if (!e.msg[0] || ev.root)
            abort();
        return ECD_OK;
    }
    if (!ev.object || (ev.type != KUBE_EV_ERROR && (!ev.rv || !*ev.rv)))
        abort();
    if (ev.type == KUBE_EV_ERROR) {
        (void)kube_status_from_object(ev.object, &ks);
    } else if (kube_meta_get(&e, ev.object, "object", &m) == ECD_OK) {
        if (!m.name || !*m.name)
            abort();
        (void)kube_namespace_phase(ev.object);
    }
    (void)kube_secret_seen_decode(&e, ev.object, "object", &ss);
    (void)kube_sa_decode(&e, ev.object, "ecr-pull", &sa);
    kube_event_deinit(&ev);
    return ECD_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kube_lines l;
    struct jsonutil_err e;
    struct kube_list list;
    struct kube_status ks;
    size_t chunk;

    if (!size)
        return 0;
    chunk = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    kube_lines_init(&l, 4096);
    for (size_t off = 0; off < size; off += chunk)
        if (kube_lines_feed(&l, (const char *)data + off, off + chunk > size ? size - off : chunk,
                            on_line, NULL) != ECD_OK)
            break;
    kube_lines_deinit(&l);

    jsonutil_err_init(&e, "list", ECD_EPROTO);
    if (kube_list_parse(&e, (const char *)data, size, &list) == ECD_OK) {
        if (!list.rv || !*list.rv || (list.cont && !*list.cont))
            abort();
        kube_list_deinit(&list);
    } else if (list.root || !e.msg[0]) {
        abort();
    }
    (void)kube_status_parse((const char *)data, size, &ks);
    return 0;
}
