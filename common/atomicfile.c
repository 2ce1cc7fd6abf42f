/* SPDX-License-Identifier: MIT */
/* Whole-file reads, symlink resolution and temp-file-plus-rename replacement; see
 * atomicfile.h. */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* The kernel's own limit for following links (MAXSYMLINKS). */
#define ATOMICFILE_MAX_LINKS 40

/* "dir/" + name: prefix is the first plen bytes of one string, name another. */
static char *join(const char *prefix, size_t plen, const char *name)
{
    size_t nlen = strlen(name);
    char *p = malloc(plen + nlen + 1);

    if (!p)
        return NULL;
    memcpy(p, prefix, plen);
    memcpy(p + plen, name, nlen + 1);
    return p;
}

/* Length of path's directory part including its final '/', 0 when there is none. */
static size_t dir_prefix_len(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? (size_t)(slash - path) + 1 : 0;
}

enum ecd_status atomicfile_read_fd(int fd, struct buf *out)
{
    enum ecd_status st = ECD_OK;
    char chunk[16384];
    int saved_errno;

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = ECD_EIO;
            break;
        }
        if (n == 0)
            break;
        /* Checked here rather than from st_size so a file that grows while we read
         * cannot slip past the cap. */
        if (out->len > out->max || (size_t)n > out->max - out->len) {
            errno = EFBIG;
            st = ECD_EIO;
            break;
        }
        st = buf_append(out, chunk, (size_t)n);
        if (st)
            break;
    }
    saved_errno = errno; /* the caller's message needs it */
    OPENSSL_cleanse(chunk, sizeof(chunk));
    errno = saved_errno;
    return st;
}

enum ecd_status atomicfile_read(const char *path, struct buf *out, int *exists)
{
    enum ecd_status st = ECD_EIO;
    struct stat sb;
    int fd;

    *exists = 0;
    /* O_NONBLOCK: a FIFO put in the file's place must not hang us in open(). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return ECD_OK;
        log_error("%s: cannot open: %s", path, strerror(errno));
        return ECD_EIO;
    }
    if (fstat(fd, &sb) < 0) {
        log_error("%s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        log_error("%s: not a regular file", path);
        goto out;
    }
    st = atomicfile_read_fd(fd, out);
    if (st == ECD_EIO && errno == EFBIG)
        log_error("%s: file is larger than the limit of %zu bytes", path, out->max);
    else if (st == ECD_EIO)
        log_error("%s: cannot read: %s", path, strerror(errno));
    else if (st)
        log_error("%s: cannot read: %s", path, ecd_strerror(st));
    else
        *exists = 1;
out:
    (void)close(fd); /* read-only: nothing to lose */
    return st;
}

enum ecd_status atomicfile_resolve(const char *path, char **out)
{
    enum ecd_status st = ECD_EIO;
    char link[PATH_MAX];
    char *cur = strdup(path);
    int hops;

    *out = NULL;
    if (!cur)
        return ECD_ENOMEM;
    for (hops = 0;; hops++) {
        ssize_t n = readlink(cur, link, sizeof(link));
        char *next;

        /* Not a link, or nothing there: cur is the file to write.  ENOTDIR (a file
         * where a directory should be) is left for the caller's next step to report. */
        if (n < 0 && (errno == EINVAL || errno == ENOENT || errno == ENOTDIR))
            break;
        if (n < 0) {
            log_error("%s: cannot read symlink %s: %s", path, cur, strerror(errno));
            goto out;
        }
        if (hops == ATOMICFILE_MAX_LINKS) {
            log_error("%s: cannot resolve symlink: %s", path, strerror(ELOOP));
            goto out;
        }
        if ((size_t)n >= sizeof(link)) {
            log_error("%s: cannot resolve symlink %s: %s", path, cur, strerror(ENAMETOOLONG));
            goto out;
        }
        link[n] = '\0';
        /* A relative target is relative to the directory holding the link. */
        if (link[0] == '/')
            next = strdup(link);
        else
            next = join(cur, dir_prefix_len(cur), link);
        if (!next) {
            st = ECD_ENOMEM;
            goto out;
        }
        free(cur);
        cur = next;
    }
    *out = cur;
    cur = NULL;
    st = ECD_OK;
out:
    free(cur);
    return st;
}

/* mkdir -p for dir itself; dir is modified in place while walking up and restored. */
static enum ecd_status mkdir_p(char *dir, mode_t mode, const char *path)
{
    struct stat sb;
    char *slash;

    if (stat(dir, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return ECD_OK;
        log_error("%s: cannot create directory %s: %s", path, dir, strerror(ENOTDIR));
        return ECD_EIO;
    }
    if (errno != ENOENT) {
        log_error("%s: cannot stat directory %s: %s", path, dir, strerror(errno));
        return ECD_EIO;
    }
    slash = strrchr(dir, '/');
    while (slash && slash > dir && slash[-1] == '/')
        slash--;
    if (slash && slash > dir) {
        enum ecd_status st;

        *slash = '\0';
        st = mkdir_p(dir, mode, path);
        *slash = '/';
        if (st)
            return st;
    }
    /* EEXIST: someone made it between our stat and mkdir, which is just as good. */
    if (mkdir(dir, mode) < 0 && errno != EEXIST) {
        log_error("%s: cannot create directory %s: %s", path, dir, strerror(errno));
        return ECD_EIO;
    }
    return ECD_OK;
}

enum ecd_status atomicfile_mkdir_parent(const char *path, mode_t mode)
{
    size_t plen = dir_prefix_len(path);
    enum ecd_status st;
    char *dir;

    /* No directory part, or "/name": the directory is "." or "/", which exist. */
    if (plen <= 1)
        return ECD_OK;
    dir = strndup(path, plen - 1);
    if (!dir)
        return ECD_ENOMEM;
    st = mkdir_p(dir, mode, path);
    free(dir);
    return st;
}

static enum ecd_status write_all(int fd, const char *data, size_t len, const char *tmp)
{
    while (len) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("%s: cannot write: %s", tmp, strerror(errno));
            return ECD_EIO;
        }
        data += n;
        len -= (size_t)n;
    }
    return ECD_OK;
}

/* Durability of the rename itself: the directory entry must reach the disk too. */
static enum ecd_status fsync_dir(const char *dir)
{
    enum ecd_status st = ECD_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        log_error("%s: cannot open directory to sync it: %s", dir, strerror(errno));
        return ECD_EIO;
    }
    /* Some file systems cannot sync a directory; there is nothing more to do there. */
    if (fsync(fd) < 0 && errno != EINVAL && errno != ENOTSUP) {
        log_error("%s: cannot sync directory: %s", dir, strerror(errno));
        st = ECD_EIO;
    }
    (void)close(fd); /* read-only descriptor: nothing to lose */
    return st;
}

enum ecd_status atomicfile_replace(const char *path, const void *data, size_t len)
{
    enum ecd_status st;
    char *target = NULL, *tmp = NULL, *dir = NULL;
    int fd = -1, created = 0, have_old = 0;
    struct stat old, mine;
    mode_t mode = 0600;
    size_t plen, tlen;

    st = atomicfile_resolve(path, &target);
    if (st)
        goto out;
    st = ECD_ENOMEM;
    plen = dir_prefix_len(target);
    /* "dir/" + "." + name + ".XXXXXX": hidden from `ls`, beside the target so rename
     * never crosses a file system. */
    tlen = strlen(target) + sizeof(".") + sizeof(".XXXXXX");
    tmp = malloc(tlen);
    dir = plen == 0 ? strdup(".") : strndup(target, plen == 1 ? 1 : plen - 1);
    if (!dir || !tmp)
        goto out;
    (void)snprintf(tmp, tlen, "%.*s.%s.XXXXXX", (int)plen, target, target + plen); /* sized */

    st = ECD_EIO;
    if (stat(target, &old) == 0) {
        have_old = 1;
        /* Like the docker CLI: keep the bits of a regular file, else start at 0600. */
        if (S_ISREG(old.st_mode))
            mode = old.st_mode & 07777;
    } else if (errno != ENOENT) {
        log_error("%s: cannot stat: %s", target, strerror(errno));
        goto out;
    }

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        log_error("%s: cannot create temporary file in %s: %s", path, dir, strerror(errno));
        goto out;
    }
    created = 1;
    st = write_all(fd, data, len, tmp);
    if (st)
        goto out;
    st = ECD_EIO;
    if (fsync(fd) < 0) {
        log_error("%s: cannot sync: %s", tmp, strerror(errno));
        goto out;
    }
    if (fstat(fd, &mine) < 0) {
        log_error("%s: cannot stat: %s", tmp, strerror(errno));
        goto out;
    }
    /* Owner first: chown may clear set-id bits that fchmod then restores. */
    if (have_old && (old.st_uid != mine.st_uid || old.st_gid != mine.st_gid) &&
        fchown(fd, old.st_uid, old.st_gid) < 0) {
        log_error("%s: cannot keep owner %lu:%lu: %s", target, (unsigned long)old.st_uid,
                  (unsigned long)old.st_gid, strerror(errno));
        goto out;
    }
    /* Explicitly, because mkostemp's 0600 is subject to the umask. */
    if (fchmod(fd, mode) < 0) {
        log_error("%s: cannot set mode %04o: %s", tmp, (unsigned)mode, strerror(errno));
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        log_error("%s: cannot write: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, target) < 0) {
        log_error("%s: cannot replace with %s: %s", target, tmp, strerror(errno));
        goto out;
    }
    created = 0; /* renamed: nothing to unlink any more */
    st = fsync_dir(dir);
out:
    if (fd >= 0)
        (void)close(fd); /* failing anyway; the file is unlinked next */
    /* Best effort: the original error is the one worth reporting. */
    if (created && unlink(tmp) < 0)
        log_error("%s: cannot remove temporary file: %s", tmp, strerror(errno));
    free(tmp);
    free(dir);
    free(target);
    return st;
}
