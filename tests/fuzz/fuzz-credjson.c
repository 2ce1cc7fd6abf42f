/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the JSON credential documents.  The first byte picks the kind
 * (process, container, IMDS); the rest is the document.  Checks: accepted credentials
 * have a key id and a secret; a rejection has a message and holds nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum credjson_kind kinds[] = {CREDJSON_PROCESS, CREDJSON_CONTAINER, CREDJSON_IMDS};
    struct aws_credentials c = {0};
    char why[256];

    if (!size)
        return 0;
    if (credjson_parse(kinds[data[0] % 3], (const char *)data + 1, size - 1, &c, why,
                       sizeof(why)) == ECD_OK) {
        if (!c.access_key_id || !*c.access_key_id || !c.secret_key.len || why[0])
            abort();
    } else if (!why[0] || c.access_key_id || c.secret_key.ptr) {
        abort();
    }
    aws_credentials_clear(&c);
    return 0;
}
