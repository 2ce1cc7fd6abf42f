/* SPDX-License-Identifier: MIT */
/* coordination.k8s.io/v1 Lease objects (protocols.md 5.7) for leader election: the
 * fields of a Lease the API server returned, and the body that writes a new holder
 * record.  Times are MicroTime: RFC 3339 UTC with exactly six fractional digits.
 * Pure: nothing is logged, the clock is passed in. */
#ifndef ECD_KUBELEASE_H
#define ECD_KUBELEASE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "status.h"

struct kubelease_rec {
    char *resource_version; /* owned; metadata.resourceVersion ("" for a new record) */
    char *holder;           /* owned; spec.holderIdentity, "" when none */
    int duration_s;         /* spec.leaseDurationSeconds, 0 when absent */
    char *acquire_time;     /* owned; spec.acquireTime as sent, "" when absent */
    char *renew_time;       /* owned; spec.renewTime as sent, "" when absent */
    int transitions;        /* spec.leaseTransitions */
};

void kubelease_rec_clear(struct kubelease_rec *r);

/* Parse a Lease (a GET, PUT or POST answer).  *obj_out (optional) receives the whole
 * tree for kubelease_body() to keep labels and annotations; the caller frees it with
 * cJSON_Delete().  ECD_EPROTO with why set ("spec.leaseDurationSeconds: expected an
 * integer from 1 to 2147483647"), ECD_ENOMEM. */
ECD_MUST_CHECK enum ecd_status kubelease_parse(const char *text, size_t len,
                                               struct kubelease_rec *out, cJSON **obj_out,
                                               char *why, size_t why_len);

/* The JSON body writing rec: obj (NULL: a new object) with apiVersion, kind,
 * metadata.name/namespace set, metadata.resourceVersion set to rec's (removed when
 * ""), and spec replaced by rec's fields (times left out when ""; holderIdentity ""
 * is sent as "", which releases the lease).  *out is malloc'ed. */
ECD_MUST_CHECK enum ecd_status kubelease_body(const cJSON *obj, const char *ns, const char *name,
                                              const struct kubelease_rec *rec, char **out);

/* "2024-01-15T12:00:00.123456Z" for ts (CLOCK_REALTIME); out has 32 bytes. */
void kubelease_microtime(const struct timespec *ts, char out[32]);

#endif
