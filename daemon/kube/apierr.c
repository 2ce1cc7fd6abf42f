/* SPDX-License-Identifier: MIT */
/* Failed Kubernetes API requests as log lines; see apierr.h. */
#include "kube/apierr.h"

#include <stdio.h>
#include <string.h>

enum ecd_status kube_apierr_status(enum ecd_status st, const struct http_response *resp)
{
    if (st)
        return st;
    if (!resp)
        return ECD_EPROTO;
    if (resp->status >= 200 && resp->status < 300)
        return ECD_OK;
    if (resp->status == 401 || resp->status == 403)
        return ECD_EAUTH;
    if (resp->status == 429 || resp->status >= 500)
        return ECD_ETHROTTLE;
    return ECD_EHTTP;
}

int kube_apierr_terminating(const struct http_response *resp)
{
    struct kube_status ks;

    return resp && resp->status == 403 && kube_status_parse(resp->body.ptr, resp->body.len, &ks) &&
           strstr(ks.message, "being terminated") != NULL;
}

void kube_apierr_text(char *out, size_t n, const char *verb, const char *resource, const char *ns,
                      enum ecd_status st, const struct http_response *resp)
{
    char where[96] = "";
    struct kube_status ks = {0};
    int is_status;

    if (ns)
        snprintf(where, sizeof(where), " in namespace %s", ns);
    if (st || !resp) {
        snprintf(out, n, "cannot %s %s%s: %s%s%s", verb, resource, where, ecd_strerror(st),
                 resp && resp->errmsg[0] ? ": " : "", resp ? resp->errmsg : "");
        return;
    }
    is_status = kube_status_parse(resp->body.ptr, resp->body.len, &ks);
    if (resp->status == 403) {
        snprintf(out, n,
                 "cannot %s %s%s: forbidden (RBAC: the service account needs %s on %s%s%s%s)", verb,
                 resource, where, verb, resource, ns ? "" : " at cluster scope",
                 is_status && ks.message[0] ? "; server: " : "", is_status ? ks.message : "");
    } else if (resp->status == 401) {
        snprintf(out, n,
                 "cannot %s %s%s: unauthorized (the API server refused the credentials of the "
                 "kubeconfig or service account)",
                 verb, resource, where);
    } else if (is_status && ks.message[0]) {
        snprintf(out, n, "cannot %s %s%s: HTTP %ld %s: %s", verb, resource, where, resp->status,
                 ks.reason[0] ? ks.reason : "", ks.message);
    } else {
        snprintf(out, n, "cannot %s %s%s: HTTP %ld", verb, resource, where, resp->status);
    }
}
