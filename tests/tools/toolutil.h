/* SPDX-License-Identifier: MIT */
/* Shared by the test tools (resolve-creds, resolve-chain): status names as the
 * oracle tests print them, and SHA-256 digests, the only form in which the tools
 * print a secret.  Include from one .c file per program. */
#ifndef ECD_TOOLUTIL_H
#define ECD_TOOLUTIL_H

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "status.h"

static const char *const tool_status_names[] = {
    [ECD_OK] = "ECD_OK",
    [ECD_ENOMEM] = "ECD_ENOMEM",
    [ECD_EINVAL] = "ECD_EINVAL",
    [ECD_ECONFIG] = "ECD_ECONFIG",
    [ECD_EIO] = "ECD_EIO",
    [ECD_ETRANSPORT] = "ECD_ETRANSPORT",
    [ECD_EHTTP] = "ECD_EHTTP",
    [ECD_EAUTH] = "ECD_EAUTH",
    [ECD_EPROTO] = "ECD_EPROTO",
    [ECD_ETHROTTLE] = "ECD_ETHROTTLE",
    [ECD_ECANCELED] = "ECD_ECANCELED",
};
_Static_assert(sizeof(tool_status_names) / sizeof(tool_status_names[0]) == ECD_STATUS_COUNT_,
               "one name per status");

static inline const char *tool_status_name(enum ecd_status st)
{
    return (unsigned)st < ECD_STATUS_COUNT_ ? tool_status_names[st] : "?";
}

static inline void tool_sha256_hex(const char *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        fprintf(stderr, "SHA-256 failed\n");
        exit(2);
    }
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

#endif
