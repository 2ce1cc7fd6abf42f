/* SPDX-License-Identifier: MIT */
/* GetAuthorizationToken replies (protocols.md 1.2, 1.3, 1.6) turned into a token set
 * or a classified error.  Pure: no I/O, no logging; the caller logs what `why` or the
 * struct ecr_error says, together with the registry and the request id.  The body
 * buffer stays the caller's, who wipes it (it holds tokens). */
#ifndef ECD_ECR_RESPONSE_H
#define ECD_ECR_RESPONSE_H

#include <stddef.h>

#include "status.h"
#include "token.h"

/* The registry host of ECR Public; its replies carry no proxyEndpoint. */
#define ECR_RESPONSE_PUBLIC_HOST "public.ecr.aws"

/* Parse a 200 reply.
 *   ECR (is_public 0): {"authorizationData": [{"authorizationToken": "<base64>",
 *       "expiresAt": <number>, "proxyEndpoint": "https://<host>"}, ...]}, one or more
 *       entries; each host is the endpoint without scheme and path.
 *   ECR Public (is_public 1): "authorizationData" is one object and has no
 *       proxyEndpoint; the host is public_host (NULL: ECR_RESPONSE_PUBLIC_HOST).
 * authorizationToken must be standard padded base64 of "<user>:<password>", both
 * parts non-empty (the user is "AWS" in practice; any user is let through, so test
 * doubles that pick another one still work).  It is kept exactly as received, since it
 * is already the docker "auth" value.  expiresAt may be written in any JSON number form
 * (1420070400, 1.7385984915E9, 1795852899.673) and must be finite and positive.
 * Other keys are ignored.
 * On success *out is a new token set (one reference) with one entry per element, in
 * order.  Otherwise *out is NULL and the status is ECD_EPROTO (or ECD_ENOMEM, or
 * ECD_EINVAL for bad arguments), with `why` (whylen bytes, may be 0) saying what was
 * wrong without quoting any token, e.g.
 *   "authorizationData[0].expiresAt: expected a number"
 *   "body:1:57: invalid JSON"
 * The parsed JSON strings are wiped before they are freed. */
ECD_MUST_CHECK enum ecd_status ecr_response_parse_token(const char *body, size_t len, int is_public,
                                                        const char *public_host,
                                                        struct token_set **out, char *why,
                                                        size_t whylen);

/* What the daemon should do about an error reply. */
enum ecr_error_kind {
    ECR_ERR_BAD_REQUEST = 0, /* anything unlisted: not retryable (ECD_EHTTP) */
    ECR_ERR_THROTTLE,        /* slow down and retry later (ECD_ETHROTTLE) */
    ECR_ERR_SERVER,          /* transient server trouble: retry (ECD_ETHROTTLE) */
    ECR_ERR_CLOCK_SKEW,      /* "Signature expired"/"not yet current": correct the clock
                                offset from the Date header and re-sign (ECD_EAUTH) */
    ECR_ERR_EXPIRED_CREDS,   /* session credentials expired: refresh them (ECD_EAUTH) */
    ECR_ERR_AUTH,            /* credentials or signature refused (ECD_EAUTH) */
};

struct ecr_error {
    char code[64];     /* "ThrottlingException", or "HTTP 503" when the reply names none */
    char message[512]; /* the server's text, control characters as spaces; may be "" */
    enum ecr_error_kind kind;
};

/* Fill *out from a non-2xx reply (out NULL: nothing happens).  It cannot fail: any
 * body gives some code, message and kind; ecr_error_status() maps the kind.
 * Where the code comes from, first found wins:
 *   1. a JSON body's "__type" ({"__type": "...", "message"|"Message": "..."});
 *   2. the x-amzn-ErrorType header value (may be NULL);
 *   3. an XML body's <Code> (and <Message>), found by a bounded scan, not an XML
 *      parser: AWS query-protocol services and test servers such as moto answer a bad
 *      signature with <ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>
 *      <Message><![CDATA[...]]></Message>, so this is a fallback for them;
 *   4. "HTTP <status>".
 * The message comes from the JSON or XML body; when there is none it is the first 200
 * printable characters of the body (an HTML page from a proxy, say), ASCII only, except
 * for a JSON body that named its code (then it stays "").
 * Codes are normalised as botocore does: cut at the first ':' (a URL may follow),
 * then keep what follows the last '#' ("com.amazon.coral.service#ThrottlingException"
 * gives "ThrottlingException").  Messages are cut before a blank line or a
 * "The Canonical String" / "The String-to-Sign" part: those quote the signed request,
 * security token included, back at us, and the message is meant for the log.
 * Kinds, a code deciding before the status does:
 *   THROTTLE     the throttling codes of botocore's retry rules, or HTTP 429;
 *   SERVER       ServerException, ServiceUnavailable(Exception), InternalFailure,
 *                InternalServerError, InternalError, RequestTimeout(Exception),
 *                PriorRequestNotComplete, or any 5xx;
 *   CLOCK_SKEW   InvalidSignatureException or SignatureDoesNotMatch whose message
 *                starts "Signature expired" or "Signature not yet current", and
 *                RequestTimeTooSkewed, RequestExpired, RequestInTheFuture;
 *   EXPIRED_CREDS ExpiredTokenException, ExpiredToken;
 *   AUTH         UnrecognizedClientException, InvalidSignatureException,
 *                SignatureDoesNotMatch, InvalidClientTokenId, AccessDenied(Exception),
 *                MissingAuthenticationToken(Exception), IncompleteSignature(Exception),
 *                AuthFailure, InvalidAccessKeyId, or HTTP 401/403 with no code at all;
 *   BAD_REQUEST  the rest. */
void ecr_response_parse_error(const char *body, size_t len, long http_status,
                              const char *x_amzn_errortype_header, struct ecr_error *out);

/* THROTTLE, SERVER: ECD_ETHROTTLE; CLOCK_SKEW, EXPIRED_CREDS, AUTH: ECD_EAUTH;
 * BAD_REQUEST: ECD_EHTTP. */
enum ecd_status ecr_error_status(const struct ecr_error *err);
enum ecd_status ecr_error_kind_status(enum ecr_error_kind kind);
/* A word for logs: "throttle", "server", "clock-skew", "expired-credentials",
 * "auth", "bad-request". */
const char *ecr_error_kind_name(enum ecr_error_kind kind);

#endif
