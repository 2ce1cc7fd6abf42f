/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the Rancher v3 (Norman) reply parsers.  The first byte picks the
 * parser (error object, project, credential, collection page) and the kind; the rest is
 * the reply.  Checks: a rejection has a message and holds nothing; an accepted
 * credential has an id, a name and links.self, and the update body built from it is
 * valid JSON whose registries are exactly ours, with our password. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "norman.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_update(const struct norman_cred *c)
{
    struct secret pw = {(char *)"fuzz-password", 13},
                  auth = {(char *)"QVdTOmZ1enotcGFzc3dvcmQ=", 24};
    struct norman_put put = {"123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", &pw, &auth};
    struct buf out;
    char *foreign = NULL;
    cJSON *j, *regs;
    enum ecd_status st;

    if (!c->id || !strchr(c->id, ':') || !c->name || !c->link_self || !c->raw)
        abort();
    st = norman_check_foreign(c, &put, 1, &foreign);
    if ((st == ECD_ECONFIG) != (foreign != NULL) || (st && st != ECD_ECONFIG && st != ECD_ENOMEM))
        abort();
    free(foreign);
    buf_init(&out, 1 << 22);
    if (norman_render_update(c, &put, 1, &out) == ECD_OK) {
        j = cJSON_Parse(buf_str(&out));
        regs = cJSON_GetObjectItemCaseSensitive(j, "registries");
        if (!j || cJSON_GetArraySize(regs) != 1 ||
            strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetObjectItemCaseSensitive(regs, put.host), "password")),
                   "fuzz-password"))
            abort();
        cJSON_Delete(j);
    }
    buf_wipe(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jsonutil_err e;
    const char *text = (const char *)data + 1;
    enum norman_kind kind;
    enum ecd_status st;

    if (!size)
        return 0;
    size--;
    kind = (data[0] & 4) ? NORMAN_NAMESPACED : NORMAN_PROJECT;
    jsonutil_err_init(&e, "Rancher reply", ECD_EPROTO);
    switch (data[0] & 3) {
    case 0: {
        struct norman_error ne;

        st = norman_error_parse(text, size, &ne);
        if (st != ECD_OK && (ne.code || ne.message))
            abort();
        if (ne.status < 0 || ne.status >= 1000)
            abort();
        norman_error_clear(&ne);
        break;
    }
    case 1: {
        struct norman_project p;

        st = norman_project_parse(&e, text, size, "c-abc12:p-xyz34", &p);
        if (st == ECD_OK && (!p.id || strcmp(p.id, "c-abc12:p-xyz34")))
            abort();
        if (st == ECD_EPROTO && (!e.msg[0] || p.id || p.creds_url))
            abort();
        norman_project_clear(&p);
        break;
    }
    case 2: {
        struct norman_cred c;

        st = norman_cred_parse(&e, text, size, kind, &c);
        if (st == ECD_OK)
            check_update(&c);
        else if (st == ECD_EPROTO && (!e.msg[0] || c.id || c.raw))
            abort();
        norman_cred_clear(&c);
        break;
    }
    default: {
        struct norman_cred c;
        char *next = NULL;
        int found = 0;

        st = norman_collection_find(&e, text, size, kind, "ecr-pull",
                                    kind == NORMAN_NAMESPACED ? "team-a" : NULL, &found, &c, &next);
        if (st == ECD_OK && found) {
            if (next || strcmp(c.name, "ecr-pull") ||
                (kind == NORMAN_NAMESPACED) != (c.namespace_id != NULL))
                abort();
            check_update(&c);
        } else if (st != ECD_OK && (found || next || c.raw || (st == ECD_EPROTO && !e.msg[0]))) {
            abort();
        }
        free(next);
        norman_cred_clear(&c);
        break;
    }
    }
    return 0;
}
