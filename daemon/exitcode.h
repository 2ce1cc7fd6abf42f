/* SPDX-License-Identifier: MIT */
/* The documented exit codes (README, man page); cron users and scripts rely on them. */
#ifndef ECD_EXITCODE_H
#define ECD_EXITCODE_H

enum ecd_exit {
    ECD_EXIT_OK = 0,      /* everything refreshed */
    ECD_EXIT_NONE = 1,    /* nothing could be refreshed */
    ECD_EXIT_USAGE = 2,   /* usage or configuration error */
    ECD_EXIT_PARTIAL = 3, /* some registries or sinks failed, others were refreshed */
};

#endif
