/* SPDX-License-Identifier: MIT */
/* How the Kubernetes sink reports a failed API request: one line naming the verb,
 * the resource and the namespace, what the server said, and for a 403 the RBAC
 * rule that is missing:
 *   cannot patch secrets in namespace team-a: forbidden (RBAC: the service account
 *   needs patch on secrets; server: secrets "ecr-pull" is forbidden: User ...)
 * and the status the failure maps to (so the core's retry policy can act on it). */
#ifndef ECD_KUBE_APIERR_H
#define ECD_KUBE_APIERR_H

#include <stddef.h>

#include "http.h"
#include "kube_json.h"
#include "status.h"

/* Map a request's outcome to a status: ECD_OK for 2xx; 401 -> ECD_EAUTH, 403 ->
 * ECD_EAUTH, 429 and 5xx -> ECD_ETHROTTLE, other HTTP -> ECD_EHTTP; a transport
 * failure keeps st. */
enum ecd_status kube_apierr_status(enum ecd_status st, const struct http_response *resp);

/* 1 when resp is the 403 an API server gives for writes into a namespace that is
 * being deleted ("... because it is being terminated"). */
int kube_apierr_terminating(const struct http_response *resp);

/* Write "cannot <verb> <resource>[ in namespace <ns>]: <why>" into out (n bytes).
 * ns NULL: cluster scope. */
void kube_apierr_text(char *out, size_t n, const char *verb, const char *resource, const char *ns,
                      enum ecd_status st, const struct http_response *resp);

#endif
