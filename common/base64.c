/* SPDX-License-Identifier: MIT */
/* Standard padded base64; see base64.h.  Work happens in small stack chunks that are
 * appended to the caller's buffer and wiped, because decoded data is often a password. */
#include "base64.h"

#include <openssl/crypto.h>
#include <stdint.h>

#define CHUNK 192 /* a multiple of both 3 and 4 */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t len)
{
    size_t groups = len / 3 + (len % 3 != 0);

    if (groups > SIZE_MAX / 4)
        return SIZE_MAX;
    return groups * 4;
}

/* Shrink b back to len bytes, wiping what is cut off. */
static void rollback(struct buf *b, size_t len)
{
    if (!b->ptr || b->len <= len)
        return;
    OPENSSL_cleanse(b->ptr + len, b->len - len);
    b->len = len;
    b->ptr[len] = '\0';
}

/* Both directions fill chunk (CHUNK bytes) and append it to out each time it is full;
 * this is their common end.  Unless a step already failed (st), append the rest,
 * chunk[0..used); then wipe chunk, and on failure put out back to old_len bytes. */
static enum ecd_status finish(struct buf *out, void *chunk, size_t used, size_t old_len,
                              enum ecd_status st)
{
    if (!st)
        st = buf_append(out, chunk, used);
    OPENSSL_cleanse(chunk, CHUNK);
    if (st)
        rollback(out, old_len);
    return st;
}

enum ecd_status base64_encode(const void *in, size_t len, struct buf *out)
{
    const unsigned char *p = in;
    char chunk[CHUNK];
    size_t used = 0, i, old_len = out->len;
    enum ecd_status st = ECD_OK;

    for (i = 0; i < len && !st; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        size_t rest = len - i;

        if (rest > 1)
            v |= (unsigned)p[i + 1] << 8;
        if (rest > 2)
            v |= p[i + 2];
        chunk[used++] = alphabet[v >> 18 & 0x3f];
        chunk[used++] = alphabet[v >> 12 & 0x3f];
        chunk[used++] = rest > 1 ? alphabet[v >> 6 & 0x3f] : '=';
        chunk[used++] = rest > 2 ? alphabet[v & 0x3f] : '=';
        if (used == sizeof(chunk)) {
            st = buf_append(out, chunk, used);
            used = 0;
        }
    }
    return finish(out, chunk, used, old_len, st);
}

/* The 6-bit value of an alphabet character, or -1. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

enum ecd_status base64_decode(const char *in, size_t len, struct buf *out)
{
    unsigned char chunk[CHUNK];
    size_t used = 0, i, old_len = out->len;
    enum ecd_status st = ECD_OK;

    if (len % 4 != 0 || (len && !in))
        return ECD_EINVAL;
    for (i = 0; i < len && !st; i += 4) {
        int last = i + 4 == len;
        int a = sextet((unsigned char)in[i]);
        int b = sextet((unsigned char)in[i + 1]);
        int c = sextet((unsigned char)in[i + 2]);
        int d = sextet((unsigned char)in[i + 3]);
        unsigned v;

        /* '=' may only pad the final group: "xx==" or "xxx=". */
        if (a < 0 || b < 0 || (c < 0 && !(last && in[i + 2] == '=' && in[i + 3] == '=')) ||
            (d < 0 && !(last && in[i + 3] == '='))) {
            st = ECD_EINVAL;
            break;
        }
        v = (unsigned)a << 18 | (unsigned)b << 12;
        chunk[used++] = (unsigned char)(v >> 16);
        if (c >= 0) {
            v |= (unsigned)c << 6;
            chunk[used++] = (unsigned char)(v >> 8 & 0xff);
        }
        if (d >= 0) {
            v |= (unsigned)d;
            chunk[used++] = (unsigned char)(v & 0xff);
        }
        if (used == sizeof(chunk)) {
            st = buf_append(out, chunk, used);
            used = 0;
        }
    }
    return finish(out, chunk, used, old_len, st);
}
