/* SPDX-License-Identifier: MIT */
/* libFuzzer target for Lease objects (common/kubelease.c): parse, then build an update
 * body from the parsed object.  Checks: an accepted Lease has a resourceVersion and
 * its body is built; a rejection has a message and returns no tree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubelease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kubelease_rec r = {0};
    cJSON *obj = NULL;
    char why[256], *body = NULL;

    if (kubelease_parse((const char *)data, size, &r, &obj, why, sizeof(why)) == ECD_OK) {
        if (why[0] || !obj || !r.resource_version || !*r.resource_version || !r.holder)
            abort();
        if (kubelease_body(obj, "ns", "name", &r, &body) == ECD_OK && !body)
            abort();
        free(body);
    } else if (!why[0] || obj || r.holder) {
        abort();
    }
    cJSON_Delete(obj);
    kubelease_rec_clear(&r);
    return 0;
}
