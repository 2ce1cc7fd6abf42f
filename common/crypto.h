/* SPDX-License-Identifier: MIT */
/* SHA-256 and HMAC-SHA256 through OpenSSL 3, plus the lower-case hex form SigV4
 * wants.  Nothing here keeps state; callers wipe any output that is a secret. */
#ifndef ECD_CRYPTO_H
#define ECD_CRYPTO_H

#include <stddef.h>

#include "status.h"

#define CRYPTO_SHA256_LEN     32                      /* digest bytes */
#define CRYPTO_SHA256_HEX_LEN (2 * CRYPTO_SHA256_LEN) /* hex digits, without the NUL */

/* out = SHA-256(data[0..len)).  data may be NULL when len is 0.
 * ECD_ENOMEM when OpenSSL fails (it only fails for lack of memory). */
ECD_MUST_CHECK enum ecd_status crypto_sha256(const void *data, size_t len,
                                             unsigned char out[CRYPTO_SHA256_LEN]);
/* The same digest as 64 lower-case hex digits and a NUL. */
ECD_MUST_CHECK enum ecd_status crypto_sha256_hex(const void *data, size_t len,
                                                 char out[CRYPTO_SHA256_HEX_LEN + 1]);

/* out = HMAC-SHA256(key, msg).  out may alias neither key nor msg.  A key longer than
 * INT_MAX bytes is ECD_EINVAL; OpenSSL failure is ECD_ENOMEM.  On failure out is zeroed,
 * so a half-written key never survives. */
ECD_MUST_CHECK enum ecd_status crypto_hmac_sha256(const void *key, size_t key_len, const void *msg,
                                                  size_t msg_len,
                                                  unsigned char out[CRYPTO_SHA256_LEN]);

/* Write len bytes as 2 * len lower-case hex digits plus a NUL (out holds 2 * len + 1). */
void crypto_hex(const unsigned char *in, size_t len, char *out);

#endif
