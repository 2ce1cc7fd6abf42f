/* SPDX-License-Identifier: MIT */
/* Messages for enum ecd_status; the assert keeps the table in step with the enum. */
#include "status.h"

static const char *const status_text[] = {
    [ECD_OK] = "success",
    [ECD_ENOMEM] = "out of memory",
    [ECD_EINVAL] = "invalid argument",
    [ECD_ECONFIG] = "configuration error",
    [ECD_EIO] = "input/output error",
    [ECD_ETRANSPORT] = "network transfer failed",
    [ECD_EHTTP] = "unexpected HTTP status",
    [ECD_EAUTH] = "authentication failed",
    [ECD_EPROTO] = "malformed response",
    [ECD_ETHROTTLE] = "throttled or temporarily unavailable",
    [ECD_ECANCELED] = "canceled",
};

_Static_assert(sizeof(status_text) / sizeof(status_text[0]) == ECD_STATUS_COUNT_,
               "one message per status");

const char *ecd_strerror(enum ecd_status st)
{
    if ((unsigned)st >= ECD_STATUS_COUNT_)
        return "unknown status";
    return status_text[st];
}
