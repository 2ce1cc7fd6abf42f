/* SPDX-License-Identifier: MIT */
/* common/status.c: every status has its own message. */
#include <string.h>

#include "status.h"
#include "tap.h"

int main(void)
{
    tap_str_eq(ecd_strerror(ECD_OK), "success", "ECD_OK reads as success");
    tap_str_eq(ecd_strerror(ECD_ENOMEM), "out of memory", "ECD_ENOMEM message");
    tap_str_eq(ecd_strerror(ECD_ECONFIG), "configuration error", "ECD_ECONFIG message");
    tap_str_eq(ecd_strerror(ECD_STATUS_COUNT_), "unknown status", "out of range is unknown");
    tap_str_eq(ecd_strerror((enum ecd_status) - 1), "unknown status", "negative is unknown");
    for (int i = 0; i < ECD_STATUS_COUNT_; i++) {
        int unique = 1;

        for (int j = 0; j < i; j++)
            unique &= strcmp(ecd_strerror(i), ecd_strerror(j)) != 0;
        tap_ok(ecd_strerror(i)[0] && unique, "status %d has its own message: %s", i,
               ecd_strerror(i));
    }
    return tap_done();
}
