/* SPDX-License-Identifier: MIT */
/* kube_json: the watch line splitter across arbitrary chunk boundaries, watch events
 * (every type, bad shapes with their messages), Status objects, list responses with
 * continue tokens, metadata and URL escaping. */
#include <cjson/cJSON.h>

#include "kube_json.h"
#include "tap.h"

struct collected {
    char lines[8][128];
    size_t n;
};

static enum ecd_status collect(const char *line, size_t len, void *ud)
{
    struct collected *c = ud;

    if (c->n >= 8 || len >= sizeof(c->lines[0]))
        return ECD_EINVAL;
    memcpy(c->lines[c->n], line, len);
    c->lines[c->n][len] = '\0';
    c->n++;
    return ECD_OK;
}

static void test_lines(void)
{
    static const char stream[] = "{\"a\":1}\n\r\n{\"b\":2}\r\n  \n{\"c\":3}\n{\"partial";
    size_t total = strlen(stream);

    /* Every chunk size from 1 to the whole stream gives the same lines. */
    for (size_t chunk = 1; chunk <= total; chunk++) {
        struct kube_lines l;
        struct collected c = {0};
        enum ecd_status st = ECD_OK;

        kube_lines_init(&l, 1024);
        for (size_t off = 0; !st && off < total; off += chunk)
            st = kube_lines_feed(&l, stream + off, off + chunk > total ? total - off : chunk,
                                 collect, &c);
        if (!tap_ok(!st && c.n == 3 && !strcmp(c.lines[0], "{\"a\":1}") &&
                        !strcmp(c.lines[1], "{\"b\":2}") && !strcmp(c.lines[2], "{\"c\":3}") &&
                        l.pending.len == strlen("{\"partial"),
                    "lines: chunks of %zu", chunk))
            tap_diag("st=%d n=%zu", st, c.n);
        kube_lines_deinit(&l);
        if (chunk > 4 && chunk < total - 2)
            chunk += 3; /* keep the count of test points reasonable */
    }
    {
        struct kube_lines l;
        struct collected c = {0};

        kube_lines_init(&l, 8);
        tap_ok(kube_lines_feed(&l, "123456789\n", 10, collect, &c) == ECD_EPROTO && c.n == 0,
               "lines: a complete line over the cap fails");
        tap_ok(kube_lines_feed(&l, "1234", 4, collect, &c) == ECD_OK &&
                   kube_lines_feed(&l, "56789", 5, collect, &c) == ECD_EPROTO,
               "lines: a line growing past the cap across chunks fails");
        kube_lines_reset(&l);
        tap_ok(kube_lines_feed(&l, "ok\n", 3, collect, &c) == ECD_OK && c.n == 1 &&
                   !strcmp(c.lines[0], "ok"),
               "lines: usable after reset");
        tap_ok(kube_lines_feed(&l, "x\ny\n", 4, collect, &c) == ECD_OK && c.n == 3,
               "lines: several in one chunk");
        kube_lines_deinit(&l);
    }
}

static enum ecd_status ev_parse(const char *line, struct kube_event *ev, char *msg)
{
    struct jsonutil_err e;
    enum ecd_status st;

    jsonutil_err_init(&e, "watch event", ECD_EPROTO);
    st = kube_event_parse(&e, line, strlen(line), ev);
    strcpy(msg, e.msg);
    return st;
}

static void ev_bad(const char *line, const char *want)
{
    struct kube_event ev;
    char msg[512];

    tap_ok(ev_parse(line, &ev, msg) == ECD_EPROTO && ev.root == NULL, "event rejected: %s", line);
    tap_str_eq(msg, want, "event message: %s", line);
}

static void test_events(void)
{
    struct kube_event ev;
    char msg[512];
    struct kube_status s;

    tap_ok(ev_parse("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":"
                    "\"a\",\"resourceVersion\":\"17\",\"labels\":{\"x\":\"y\"}},\"status\":{"
                    "\"phase\":\"Active\"}}}",
                    &ev, msg) == ECD_OK &&
               ev.type == KUBE_EV_ADDED && !strcmp(ev.rv, "17"),
           "event: ADDED");
    if (ev.root) {
        struct kube_meta m;
        struct jsonutil_err e;

        jsonutil_err_init(&e, "x", ECD_EPROTO);
        tap_ok(kube_meta_get(&e, ev.object, "object", &m) == ECD_OK && !strcmp(m.name, "a") &&
                   m.namespace_ == NULL && !strcmp(m.rv, "17") && cJSON_IsObject(m.labels) &&
                   m.annotations == NULL,
               "event: metadata");
        tap_str_eq(kube_namespace_phase(ev.object), "Active", "event: namespace phase");
    }
    kube_event_deinit(&ev);
    tap_ok(
        ev_parse("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Namespace\",\"apiVersion\":\"v1\","
                 "\"metadata\":{\"resourceVersion\":\"99\"}}}",
                 &ev, msg) == ECD_OK &&
            ev.type == KUBE_EV_BOOKMARK && !strcmp(ev.rv, "99"),
        "event: BOOKMARK");
    kube_event_deinit(&ev);
    tap_ok(ev_parse("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                    "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (5)\","
                    "\"reason\":\"Expired\",\"code\":410}}",
                    &ev, msg) == ECD_OK &&
               ev.type == KUBE_EV_ERROR && ev.rv == NULL,
           "event: ERROR");
    tap_ok(ev.root && kube_status_from_object(ev.object, &s) && s.code == 410 &&
               !strcmp(s.reason, "Expired") &&
               !strcmp(s.message, "too old resource version: 1 (5)"),
           "event: ERROR carries a 410 Status");
    kube_event_deinit(&ev);
    tap_ok(ev_parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"s\",\"namespace\":"
                    "\"n\",\"resourceVersion\":\"3\"}}}",
                    &ev, msg) == ECD_OK &&
               ev.type == KUBE_EV_DELETED,
           "event: DELETED");
    kube_event_deinit(&ev);
    tap_ok(ev_parse("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"s\","
                    "\"resourceVersion\":\"4\",\"labels\":null}}}",
                    &ev, msg) == ECD_OK,
           "event: MODIFIED with null labels");
    if (ev.root) {
        struct kube_meta m;
        struct jsonutil_err e;

        jsonutil_err_init(&e, "x", ECD_EPROTO);
        tap_ok(kube_meta_get(&e, ev.object, "object", &m) == ECD_OK && m.labels == NULL,
               "event: null labels read as none");
    }
    kube_event_deinit(&ev);

    ev_bad("not json", "watch event:1:1: invalid JSON");
    ev_bad("[1]", "watch event: expected an object");
    ev_bad("{\"object\":{}}", "watch event: type: missing, expected a string");
    ev_bad("{\"type\":\"ADDED\"}", "watch event: object: missing, expected an object");
    ev_bad("{\"type\":\"ADDED\",\"object\":[]}", "watch event: object: expected an object");
    ev_bad("{\"type\":\"SYNC\",\"object\":{}}",
           "watch event: type: expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, got \"SYNC\"");
    ev_bad("{\"type\":\"ADDED\",\"object\":{}}",
           "watch event: object.metadata: missing, expected an object");
    ev_bad("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":5}}}",
           "watch event: object.metadata.resourceVersion: expected a string");
    ev_bad("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"\"}}}",
           "watch event: object.metadata.resourceVersion: expected a non-empty string");
}

static void test_status(void)
{
    struct kube_status s;
    static const char ctl[] = "{\"kind\":\"Status\",\"message\":\"a\\nb\",\"code\":\"x\"}";
    static const char forbidden[] =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"secrets \\\"x\\\" is forbidden: unable to create new content in namespace "
        "t because it is being terminated\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}";

    tap_ok(kube_status_parse(forbidden, strlen(forbidden), &s) && s.code == 403 &&
               !strcmp(s.reason, "Forbidden") && strstr(s.message, "being terminated"),
           "status: forbidden, terminating");
    tap_ok(!kube_status_parse("<html>", 6, &s) && s.code == 0 && !s.reason[0] && !s.message[0],
           "status: not JSON");
    tap_ok(!kube_status_parse("{\"kind\":\"Secret\"}", 17, &s), "status: another kind");
    tap_ok(!kube_status_parse("", 0, &s), "status: empty");
    tap_ok(kube_status_parse(ctl, strlen(ctl), &s) && s.code == 0 && !strcmp(s.message, "a?b"),
           "status: control characters replaced, bad code ignored");
}

static void test_list(void)
{
    struct kube_list l;
    struct jsonutil_err e;
    static const char page1[] =
        "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":"
        "\"42\","
        "\"continue\":\"tok1\"},\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":"
        "\"b\"}}]}";
    static const char last[] = "{\"metadata\":{\"resourceVersion\":\"43\",\"continue\":\"\"},"
                               "\"items\":null}";
    static const char bad_item[] = "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[1]}";
    static const char no_items[] = "{\"metadata\":{\"resourceVersion\":\"1\"}}";

    jsonutil_err_init(&e, "list", ECD_EPROTO);
    tap_ok(kube_list_parse(&e, page1, strlen(page1), &l) == ECD_OK && !strcmp(l.rv, "42") &&
               l.cont && !strcmp(l.cont, "tok1") && cJSON_GetArraySize(l.items) == 2,
           "list: page with a continue token");
    kube_list_deinit(&l);
    tap_ok(kube_list_parse(&e, last, strlen(last), &l) == ECD_OK && l.cont == NULL &&
               l.items == NULL,
           "list: last page, null items");
    kube_list_deinit(&l);
    tap_ok(kube_list_parse(&e, bad_item, strlen(bad_item), &l) == ECD_EPROTO && l.root == NULL,
           "list: an item that is not an object");
    tap_str_eq(e.msg, "list: items[0]: expected an object", "list: item message");
    tap_ok(kube_list_parse(&e, no_items, strlen(no_items), &l) == ECD_EPROTO, "list: no items");
    tap_str_eq(e.msg, "list: items: missing, expected an array", "list: no items message");
    tap_ok(kube_list_parse(&e, "{\"items\":[]}", 12, &l) == ECD_EPROTO, "list: no metadata");
    tap_str_eq(e.msg, "list: metadata: missing, expected an object", "list: no metadata message");
}

static void test_escape(void)
{
    struct buf b;

    buf_init(&b, 256);
    tap_ok(kube_url_escape(&b, "app.kubernetes.io/managed-by=ecr-credd, a in (b)") == ECD_OK,
           "escape: ok");
    tap_str_eq(buf_str(&b), "app.kubernetes.io%2Fmanaged-by%3Decr-credd%2C%20a%20in%20%28b%29",
               "escape: label selector");
    buf_free(&b);
}

int main(void)
{
    test_lines();
    test_events();
    test_status();
    test_list();
    test_escape();
    return tap_done();
}
