/* SPDX-License-Identifier: MIT */
/* The ExecCredential a client-go credential plugin prints on stdout (protocols.md 5.6):
 *   {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
 *    "status":{"token":"...","expirationTimestamp":"2024-01-15T12:00:00Z"}}
 * or with "clientCertificateData" + "clientKeyData" (PEM text) instead of, or besides,
 * the token.  Checked as client-go checks it: the apiVersion must be the one the
 * kubeconfig asked for, kind ExecCredential, a status with a token or a certificate and
 * key pair (never only one of the two), expirationTimestamp RFC 3339 when present.
 * Pure: nothing is logged, no clock is read; every string of the parsed JSON is wiped. */
#ifndef ECD_EXECCRED_H
#define ECD_EXECCRED_H

#include <stddef.h>
#include <time.h>

#include "secret.h"
#include "status.h"

struct execcred {
    struct secret token;          /* unset when the plugin gave none */
    char *client_cert_pem;        /* owned; NULL when none */
    struct secret client_key_pem; /* unset when none */
    time_t expires;               /* 0: no expiry given (cached until a 401) */
};

/* Parse text[0..len) (no NUL needed) printed by a plugin configured with api_version.
 * ECD_OK: out filled (cleared first).  ECD_EPROTO with why set ("status.token: expected
 * a string", "apiVersion: the plugin answered client.authentication.k8s.io/v1beta1,
 * expected client.authentication.k8s.io/v1"), never quoting a secret; ECD_ENOMEM.
 * why has why_len bytes and is "" on success. */
ECD_MUST_CHECK enum ecd_status execcred_parse(const char *text, size_t len, const char *api_version,
                                              struct execcred *out, char *why, size_t why_len);
void execcred_clear(struct execcred *c);

/* RFC 3339 ("2024-01-15T12:00:00Z", "2024-01-15T12:00:00.123456+02:00") to epoch
 * seconds; 1 on success, 0 when malformed. */
int execcred_parse_time(const char *s, time_t *out);

#endif
