/* SPDX-License-Identifier: MIT */
/* AWS Signature Version 4 for request headers (protocols.md 2): canonical request,
 * string to sign, signature and the Authorization value, each stage callable on its own
 * so tests can check them one by one.  Pure code: the time comes in through the
 * X-Amz-Date header the caller builds with sigv4_format_date().
 *
 * Nothing here logs.  The signing key chain and every intermediate are wiped with
 * OPENSSL_cleanse() before each function returns.  Canonical requests and strings to
 * sign may contain the session token: callers that keep one must buf_wipe() it and
 * must never log it, nor the signature or Authorization value. */
#ifndef ECD_SIGV4_H
#define ECD_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "secret.h"
#include "status.h"

#define SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"
#define SIGV4_DATE_LEN    16 /* "20150830T123600Z", without the NUL */
#define SIGV4_MAX_HEADERS 256
#define SIGV4_MAX_TEXT    (1024 * 1024) /* cap on each intermediate string */

struct sigv4_header {
    const char *name;  /* borrowed; any case; must be a valid HTTP field name */
    const char *value; /* borrowed; trimmed and space-collapsed for signing */
};

struct sigv4_request {
    const char *method; /* borrowed; "GET", "POST" (upper-cased for signing) */
    /* borrowed; the path as sent on the wire (already percent-encoded where needed),
     * without the query; must start with '/'.  NULL or "" means "/". */
    const char *path;
    /* borrowed; the query as sent on the wire, without '?'; NULL or "" for none.  Each
     * key and value is percent-decoded ('+' stays a plus, as AWS wants), re-encoded with
     * the unreserved set, and the pairs are sorted by key, then value.  A malformed
     * %-escape is ECD_EINVAL. */
    const char *query;
    /* borrowed; every header to be sent that should be signed.  Must include Host and
     * X-Amz-Date exactly once each, and X-Amz-Security-Token when the credentials have
     * a session token.  Names are compared case-insensitively; repeated names are
     * joined with ',' in the order given.  Headers AWS never signs (Authorization,
     * User-Agent, Connection, Expect, Keep-Alive, Proxy-Authenticate,
     * Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, X-Amzn-Trace-Id) are
     * skipped, so the caller may pass its full list.  If X-Amz-Content-SHA256 is
     * present its value is the payload hash; otherwise SHA-256 of the body is. */
    const struct sigv4_header *headers;
    size_t n_headers; /* at most SIGV4_MAX_HEADERS */
    const void *body; /* borrowed; may be NULL when body_len is 0 */
    size_t body_len;
};

struct sigv4_params {
    const char *region;              /* borrowed; the signing region, "us-east-1" */
    const char *service;             /* borrowed; the signing name, "ecr" */
    const char *access_key_id;       /* borrowed; may be logged, the rest may not */
    const struct secret *secret_key; /* borrowed */
    /* 1 for every service but S3: remove dot segments and repeated slashes, then
     * percent-encode the wire path again, so an existing "%2F" becomes "%252F".  0 (S3):
     * the path is used as given, and only bytes outside the unreserved set and '/' that
     * are not already part of a %XX escape are encoded. */
    int normalize_path;
};

/* Format when (UTC) as "YYYYMMDD'T'HHMMSS'Z'" for the X-Amz-Date header.  ECD_EINVAL
 * when the time is not representable with a four-digit year. */
ECD_MUST_CHECK enum ecd_status sigv4_format_date(time_t when, char out[SIGV4_DATE_LEN + 1]);

/* Each stage below appends its result to out; on failure out is left as it was.
 * ECD_EINVAL: a missing or malformed field (no Host, bad X-Amz-Date, bad header name,
 * path not starting with '/', empty region...).  ECD_ENOMEM: allocation failed or a
 * string passed SIGV4_MAX_TEXT or out's cap.  Only the fields each stage uses are
 * required: the canonical request needs no credentials, the string to sign needs region
 * and service, the signature also the secret key, the Authorization value also the key
 * id. */

/* The canonical request (2.1 step 3), lines joined by '\n', no final newline. */
ECD_MUST_CHECK enum ecd_status sigv4_canonical_request(const struct sigv4_request *req,
                                                       const struct sigv4_params *params,
                                                       struct buf *out);

/* "AWS4-HMAC-SHA256\n<X-Amz-Date>\n<date>/<region>/<service>/aws4_request\n<hex hash>"
 * (no final newline); the scope date is the first 8 characters of X-Amz-Date. */
ECD_MUST_CHECK enum ecd_status sigv4_string_to_sign(const struct sigv4_request *req,
                                                    const struct sigv4_params *params,
                                                    struct buf *out);

/* The signature as 64 lower-case hex digits and a NUL (set to "" on failure). */
ECD_MUST_CHECK enum ecd_status sigv4_signature(const struct sigv4_request *req,
                                               const struct sigv4_params *params,
                                               char hex_out[CRYPTO_SHA256_HEX_LEN + 1]);

/* The whole Authorization header value:
 * "AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=<a;b>, Signature=<hex>".
 * The access key id must not contain '/', ',', whitespace or control characters. */
ECD_MUST_CHECK enum ecd_status sigv4_authorization(const struct sigv4_request *req,
                                                   const struct sigv4_params *params,
                                                   struct buf *out);

/* The signing key kSigning for (secret, date "YYYYMMDD", region, service), derived as
 * HMAC chains from "AWS4" + secret (2.1 step 6).  The caller must OPENSSL_cleanse() key
 * when done.  Exposed for tests and for callers that cache the key per day. */
ECD_MUST_CHECK enum ecd_status sigv4_signing_key(const struct secret *secret_key, const char *date,
                                                 const char *region, const char *service,
                                                 unsigned char key[CRYPTO_SHA256_LEN]);

#endif
