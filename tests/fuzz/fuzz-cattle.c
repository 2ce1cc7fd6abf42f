/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the Rancher 1.6 (Cattle) reply parsers (common/cattle.c).  The
 * same input goes through the collection, resource and error parsers and the host
 * normaliser.  Checks: an accepted page or resource has what the sink relies on (id,
 * type, links.self with a path, a next link with a path); a rejected one has a
 * message and holds nothing; error fields are NUL-terminated and free of control
 * characters. */
#include <stdlib.h>
#include <string.h>

#include "cattle.h"
#include "fuzz.h"

static void check_object(const struct cattle_object *o, const char *type)
{
    if (!o->id || !cattle_id_ok(o->id) || !o->type || strcmp(o->type, type) || !o->self ||
        !cattle_url_path(o->self))
        abort();
}

static void check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {CATTLE_TYPE_REGISTRY, CATTLE_TYPE_CREDENTIAL};
    const char *text = (const char *)data;
    struct jsonutil_err e;
    struct cattle_list l;
    struct cattle_object o;
    struct cattle_error err;
    char host[CATTLE_HOST_MAX], *s;

    for (size_t t = 0; t < 2; t++) {
        jsonutil_err_init(&e, "fuzz", ECD_EPROTO);
        if (cattle_list_parse(&e, text, size, types[t], &l) == ECD_OK) {
            for (size_t i = 0; i < l.n; i++)
                check_object(&l.items[i], types[t]);
            if (l.next && !cattle_url_path(l.next))
                abort();
            for (size_t i = 0; i < l.n; i++)
                if (l.items[i].server_address)
                    (void)cattle_host_normalize(l.items[i].server_address, host, sizeof(host));
            cattle_list_clear(&l);
        } else if (!e.msg[0] || l.items || l.n || l.next) {
            abort();
        }
        jsonutil_err_init(&e, "fuzz", ECD_EPROTO);
        if (cattle_object_parse(&e, text, size, types[t], &o) == ECD_OK) {
            check_object(&o, types[t]);
            cattle_object_clear(&o);
        } else if (!e.msg[0] || o.id || o.self) {
            abort();
        }
    }
    if (cattle_error_parse(text, size, &err)) {
        check_text(err.code, sizeof(err.code));
        check_text(err.message, sizeof(err.message));
        check_text(err.detail, sizeof(err.detail));
        (void)cattle_error_is_state(&err);
    }
    /* The input as a serverAddress and as a base URL. */
    s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (cattle_host_normalize(s, host, sizeof(host)) == 0 && (!host[0] || strchr(host, '/')))
        abort();
    {
        char *origin = NULL;
        const char *why = NULL;

        if (cattle_base_check(s, &origin, &why) == ECD_OK) {
            if (!origin || strncmp(s, origin, strlen(origin)))
                abort();
        } else if (!why && !origin) {
            /* ECD_ENOMEM: nothing to check */
        }
        free(origin);
    }
    free(s);
    return 0;
}
