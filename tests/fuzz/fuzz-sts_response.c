/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the STS XML parser.  Checks: an accepted reply of each kind has
 * the fields that kind promises; a rejected one has a reason and holds nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sts_response r;
    const char *why = NULL;

    if (sts_response_parse((const char *)data, size, &r, &why) != ECD_OK) {
        if (!why || r.creds.access_key_id || r.arn || r.error_code)
            abort();
        return 0;
    }
    switch (r.kind) {
    case STS_RESPONSE_CREDENTIALS:
        if (!r.creds.access_key_id || !*r.creds.access_key_id || !r.creds.secret_key.len ||
            !r.creds.session_token.len || strlen(r.creds.secret_key.ptr) > r.creds.secret_key.len)
            abort();
        break;
    case STS_RESPONSE_IDENTITY:
        if (!r.arn)
            abort();
        break;
    case STS_RESPONSE_ERROR:
        if (!r.error_code || !*r.error_code)
            abort();
        break;
    }
    sts_response_clear(&r);
    return 0;
}
