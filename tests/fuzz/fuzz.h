/* SPDX-License-Identifier: MIT */
/* The set-up shared by the fuzz targets whose parsers log every rejected input: the
 * libFuzzer entry points' prototypes (no header declares them) and an
 * LLVMFuzzerInitialize() that turns logging off before the first input, so the run is
 * not drowned in error lines.  It defines that function: include it from the target's
 * one .c file, and not in a target that needs set-up of its own. */
#ifndef ECD_FUZZ_H
#define ECD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(-1); /* every rejected input would log an error */
    return 0;
}

#endif
