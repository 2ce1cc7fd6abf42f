/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the ExecCredential a credential plugin prints
 * (common/execcred.c).  The first byte picks the expected apiVersion (v1, v1beta1,
 * none); the rest is the document.  Checks: an accepted credential has a token or a
 * certificate and key pair; a rejection has a message and holds nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "execcred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const versions[] = {"client.authentication.k8s.io/v1",
                                           "client.authentication.k8s.io/v1beta1", NULL};
    struct execcred c = {0};
    char why[256];

    if (!size)
        return 0;
    if (execcred_parse((const char *)data + 1, size - 1, versions[data[0] % 3], &c, why,
                       sizeof(why)) == ECD_OK) {
        if (why[0] || (!c.token.len && !c.client_cert_pem) ||
            (!c.client_cert_pem != !c.client_key_pem.ptr))
            abort();
    } else if (!why[0] || c.token.ptr || c.client_cert_pem || c.client_key_pem.ptr) {
        abort();
    }
    execcred_clear(&c);
    return 0;
}
