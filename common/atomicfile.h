/* SPDX-License-Identifier: MIT */
/* Whole-file reads and atomic replacement for files other programs read while we write
 * them (docker's config.json).  A replacement goes through a temp file in the target's
 * directory and rename(2), so a reader sees the old or the new content, never a mix.
 * Every failure is logged once here, with the path and strerror, and returned as
 * ECD_EIO; callers forward the status without logging again.  The exception is
 * atomicfile_read_fd(), for callers that open the file their own way and word their
 * own messages (config.c). */
#ifndef ECD_ATOMICFILE_H
#define ECD_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "status.h"

/* Append the whole content of the file at path (symlinks followed) to out.
 *   - ECD_OK, *exists = 1: read; out holds the bytes.
 *   - ECD_OK, *exists = 0: the file (or a dangling link's target) does not exist; out untouched.
 *   - ECD_EIO: any other failure, including "not a regular file" and a file that would
 *     make out pass out->max ("larger than N bytes").  out may hold a partial read: wipe it.
 * The read buffers are wiped, as the file may hold secrets. */
ECD_MUST_CHECK enum ecd_status atomicfile_read(const char *path, struct buf *out, int *exists);

/* The read loop of atomicfile_read(), for an fd the caller opened: append everything up
 * to end of file to out, retrying on EINTR.  Logs nothing; the caller names the file.
 *   - ECD_OK: end of file reached; out holds the bytes.
 *   - ECD_EIO with errno set: EFBIG when the content would make out pass out->max
 *     (nothing of the chunk that would pass it is appended), else read(2)'s reason.
 *   - ECD_ENOMEM: out could not grow.
 * On failure out may hold a partial read: wipe it.  The read buffer is wiped. */
ECD_MUST_CHECK enum ecd_status atomicfile_read_fd(int fd, struct buf *out);

/* Follow path through symlinks (a chain too) to the file the docker CLI would write:
 * each relative link target is taken relative to the link's directory, and the last
 * target need not exist (a dangling link resolves to its target).  Only the last
 * component is resolved; directories on the way are left for the kernel.  A path that
 * is not a symlink (or does not exist) resolves to itself.  *out is malloc'ed.
 * ECD_EIO on a loop (more than 40 links), a too-long link or a readlink error. */
ECD_MUST_CHECK enum ecd_status atomicfile_resolve(const char *path, char **out);

/* Create the directory that will hold path, and its missing ancestors, with mode
 * (0700 for docker's directory), like `mkdir -p "$(dirname path)"`.  Existing
 * directories are left as they are.  ECD_EIO when an ancestor is not a directory or
 * mkdir fails. */
ECD_MUST_CHECK enum ecd_status atomicfile_mkdir_parent(const char *path, mode_t mode);

/* Replace the file at path with data[0..len), atomically:
 *   1. resolve symlinks (atomicfile_resolve), so a link stays a link and its target
 *      gets the new content;
 *   2. create ".<name>.XXXXXX" beside the target (O_CREAT|O_EXCL, random name, 0600);
 *   3. write everything and fsync it;
 *   4. give it the existing file's owner and permission bits, or 0600 for a new file;
 *   5. rename it over the target and fsync the directory.
 * Failing to keep the owner is an error, not a warning: handing a user's file to the
 * daemon's uid with mode 0600 would lock that user out of it.
 * On failure before the rename the temp file is removed and the target is untouched.
 * A failure of the final directory fsync is reported (ECD_EIO) although the new
 * content is then already in place.  The parent directory must exist (see
 * atomicfile_mkdir_parent). */
ECD_MUST_CHECK enum ecd_status atomicfile_replace(const char *path, const void *data, size_t len);

#endif
