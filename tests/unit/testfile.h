/* SPDX-License-Identifier: MIT */
/* File helpers for the C unit tests that work in a mkdtemp() directory: paths inside
 * it, whole-file reads to check what the code under test wrote, and a count of the
 * temp files it may have left.  The reads use plain open/read, not atomicfile.c, so a
 * test never checks the library's writes with the library's own reader.  Failures of
 * the test's own set-up end the run with a TAP "Bail out!". */
#ifndef ECD_TESTFILE_H
#define ECD_TESTFILE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Stop the whole test: what failed, with errno's reason. */
static inline void bail(const char *what)
{
    printf("Bail out! %s: %s\n", what, strerror(errno));
    exit(1);
}

/* dir + "/" + rel, in one of four static buffers used in turn, so up to four results
 * can be alive at once (the arguments of one call, say). */
static inline const char *path_in(const char *dir, const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *p = bufs[next++ % 4];

    snprintf(p, PATH_MAX, "%s/%s", dir, rel);
    return p;
}

/* The whole file at path as a malloc'ed string with a NUL after the content (which may
 * hold NULs itself; *len, when len is not NULL, is its length).  NULL when the file
 * cannot be opened (missing, dangling link); any later failure bails out. */
static inline char *slurp(const char *path, size_t *len)
{
    struct stat sb;
    size_t size, got = 0;
    char *p;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb) < 0)
        bail(path);
    size = (size_t)sb.st_size;
    p = malloc(size + 1);
    if (!p)
        bail(path);
    while (got < size) {
        ssize_t n = read(fd, p + got, size - got);

        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* shorter than fstat said: changed under us */
            bail(path);
        }
        got += (size_t)n;
    }
    close(fd);
    p[size] = '\0';
    if (len)
        *len = size;
    return p;
}

/* Entries of dir whose names start with '.', other than "." and "..": the temp files
 * an atomic replacement leaves behind when it fails to clean up.  -1 when dir cannot
 * be opened. */
static inline int hidden_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

#endif
