/* SPDX-License-Identifier: MIT */
/* One status enum for the whole program: every fallible function returns it, and
 * each value has one sentence for messages.  ECD_OK is 0 so `if (st)` reads well. */
#ifndef ECD_STATUS_H
#define ECD_STATUS_H

enum ecd_status {
    ECD_OK = 0,
    ECD_ENOMEM,     /* out of memory */
    ECD_EINVAL,     /* caller bug: bad argument */
    ECD_ECONFIG,    /* config, env or command line rejected (logged with its place) */
    ECD_EIO,        /* local I/O failed (file, directory, socket setup) */
    ECD_ETRANSPORT, /* the HTTP exchange failed: DNS, connect, TLS, timeout */
    ECD_EHTTP,      /* the server answered with an unexpected status */
    ECD_EAUTH,      /* credentials missing or refused */
    ECD_EPROTO,     /* the reply broke the protocol's promise */
    ECD_ETHROTTLE,  /* the server asked us to slow down, or failed transiently */
    ECD_ECANCELED,  /* ended by shutdown or reload */
    ECD_STATUS_COUNT_
};

#define ECD_MUST_CHECK __attribute__((warn_unused_result))

const char *ecd_strerror(enum ecd_status st);

#endif
