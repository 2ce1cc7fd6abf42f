/* SPDX-License-Identifier: MIT */
/* Standard base64 (RFC 4648 section 4: "A-Za-z0-9+/", '=' padding), as docker "auth"
 * values and ECR authorization tokens use it.  Results are appended to a struct buf, so
 * its cap bounds what untrusted input can make us allocate. */
#ifndef ECD_BASE64_H
#define ECD_BASE64_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

/* Characters base64_encode() produces for len input bytes (no NUL); SIZE_MAX when that
 * would overflow. */
size_t base64_encoded_len(size_t len);

/* Append the padded encoding of in[0..len) to out.  in may be NULL when len is 0.
 * ECD_ENOMEM when out's cap or memory runs out; out is then left as it was. */
ECD_MUST_CHECK enum ecd_status base64_encode(const void *in, size_t len, struct buf *out);

/* Append the bytes that in[0..len) encodes to out (followed, as always in a buf, by a
 * NUL that is not counted).  The input must be padded to a multiple of 4 characters,
 * with '=' only in the last one or two places and nothing else outside the alphabet:
 * no whitespace, no line breaks, no URL-safe "-_".  Non-zero bits left over before the
 * padding are ignored, as most decoders do.  ECD_EINVAL for malformed input,
 * ECD_ENOMEM as above; on failure out is left as it was and nothing decoded remains in
 * memory.  Decoded data is often a secret: wipe out with buf_wipe(). */
ECD_MUST_CHECK enum ecd_status base64_decode(const char *in, size_t len, struct buf *out);

#endif
