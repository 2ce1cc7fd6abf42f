/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the label selector parser and matcher, and the name/glob
 * checks.  The input up to the first NUL is the selector; the rest is a labels
 * object (JSON) to match.  Checks: a rejection has a message and no selector; the
 * empty selector matches everything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube_select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, '\0', size);
    size_t slen = nul ? (size_t)(nul - (const char *)data) : size;
    char *text = strndup((const char *)data, slen);
    struct jsonutil_err e;
    struct kube_selector *s = NULL;
    cJSON *labels = NULL;

    if (!text)
        return 0;
    if (nul)
        labels = cJSON_ParseWithLength(nul + 1, size - slen - 1);
    jsonutil_err_init(&e, "f", ECD_ECONFIG);
    if (kube_selector_parse(&e, "sel", text, &s) == ECD_OK) {
        if (!s || e.msg[0])
            abort();
        if (kube_selector_count(s) == 0 && !kube_selector_match(s, labels))
            abort();
        (void)kube_selector_match(s, labels);
        kube_selector_free(s);
    } else if (s || !e.msg[0]) {
        abort();
    }
    (void)kube_name_valid(text);
    if (kube_glob_valid(text) && !kube_glob_is_pattern(text) && !kube_name_valid(text))
        abort();
    cJSON_Delete(labels);
    free(text);
    return 0;
}
