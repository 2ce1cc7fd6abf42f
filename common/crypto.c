/* SPDX-License-Identifier: MIT */
/* SHA-256 and HMAC-SHA256 via OpenSSL 3's one-shot EVP_Digest() and HMAC(); see crypto.h. */
#include "crypto.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

enum ecd_status crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
    static const unsigned char empty[1];
    unsigned int n = 0;

    /* EVP_Digest() reads nothing when len is 0, but give it a valid pointer anyway. */
    if (!data)
        data = empty;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != CRYPTO_SHA256_LEN) {
        OPENSSL_cleanse(out, CRYPTO_SHA256_LEN);
        return ECD_ENOMEM;
    }
    return ECD_OK;
}

enum ecd_status crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    unsigned char md[CRYPTO_SHA256_LEN];
    enum ecd_status st;

    st = crypto_sha256(data, len, md);
    if (st == ECD_OK)
        crypto_hex(md, sizeof(md), out);
    else
        out[0] = '\0';
    /* The digest of a secret (a session token in a canonical request) is not itself
     * secret, but it costs nothing to leave no copy behind. */
    OPENSSL_cleanse(md, sizeof(md));
    return st;
}

enum ecd_status crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                                   unsigned char out[CRYPTO_SHA256_LEN])
{
    static const unsigned char empty[1];
    unsigned int n = 0;

    if (key_len > INT_MAX) {
        OPENSSL_cleanse(out, CRYPTO_SHA256_LEN);
        return ECD_EINVAL;
    }
    if (!key)
        key = empty;
    if (!msg)
        msg = empty;
    /* out is passed explicitly: with md == NULL, HMAC() would use a static buffer. */
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n) || n != CRYPTO_SHA256_LEN) {
        OPENSSL_cleanse(out, CRYPTO_SHA256_LEN);
        return ECD_ENOMEM;
    }
    return ECD_OK;
}

void crypto_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}
