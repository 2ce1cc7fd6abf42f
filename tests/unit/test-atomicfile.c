/* SPDX-License-Identifier: MIT */
/* atomicfile: whole-file reads, symlink resolution, mkdir -p, atomic replacement with
 * mode, owner and link kept, and no temp file left behind on success or failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "log.h"
#include "tap.h"
#include "testfile.h"

static char root[] = "/tmp/ecd-test-atomicfile-XXXXXX";

/* root + "/" + rel (see path_in). */
static const char *at(const char *rel)
{
    return path_in(root, rel);
}

static void put(const char *path, const char *content, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content) ||
        fchmod(fd, mode) < 0 || close(fd) < 0) {
        printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static int content_is(const char *path, const char *want)
{
    char *got = slurp(path, NULL);
    int ok = got && strcmp(got, want) == 0;

    free(got);
    return ok;
}

static mode_t mode_of(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? sb.st_mode & 07777 : (mode_t)-1;
}

static void test_read(void)
{
    struct buf b;
    int exists = -1;
    enum ecd_status st;

    buf_init(&b, 10);
    st = atomicfile_read(at("missing"), &b, &exists);
    tap_ok(st == ECD_OK && exists == 0 && b.len == 0, "read: missing file is ok, exists=0");

    put(at("ten"), "0123456789", 0644);
    st = atomicfile_read(at("ten"), &b, &exists);
    tap_ok(st == ECD_OK && exists == 1 && b.len == 10 && !memcmp(b.ptr, "0123456789", 10),
           "read: a file exactly at the cap is read whole");
    buf_wipe(&b);

    put(at("eleven"), "0123456789A", 0644);
    st = atomicfile_read(at("eleven"), &b, &exists);
    tap_ok(st == ECD_EIO && exists == 0, "read: one byte over the cap is ECD_EIO");
    buf_wipe(&b);

    put(at("empty"), "", 0644);
    st = atomicfile_read(at("empty"), &b, &exists);
    tap_ok(st == ECD_OK && exists == 1 && b.len == 0, "read: empty file exists with length 0");

    st = atomicfile_read(root, &b, &exists);
    tap_ok(st == ECD_EIO, "read: a directory is ECD_EIO (not a regular file)");

    st = atomicfile_read(at("ten/config.json"), &b, &exists);
    tap_ok(st == ECD_EIO && exists == 0, "read: a file as directory is ECD_EIO, not 'missing'");

    (void)symlink("nowhere", at("dangling-read"));
    st = atomicfile_read(at("dangling-read"), &b, &exists);
    tap_ok(st == ECD_OK && exists == 0, "read: a dangling symlink reads as missing");
    buf_wipe(&b);
}

static void test_resolve(void)
{
    char *r = NULL;
    char want[PATH_MAX];
    char cwd[PATH_MAX];

    tap_ok(atomicfile_resolve(at("ten"), &r) == ECD_OK && strcmp(r, at("ten")) == 0,
           "resolve: a regular file resolves to itself");
    free(r);
    tap_ok(atomicfile_resolve(at("nothing-here"), &r) == ECD_OK &&
               strcmp(r, at("nothing-here")) == 0,
           "resolve: a missing path resolves to itself");
    free(r);

    /* l1 -> l2 (relative) -> sub/l3 (relative) -> ../real (relative to sub/) */
    mkdir(at("sub"), 0755);
    (void)symlink("l2", at("l1"));
    (void)symlink("sub/l3", at("l2"));
    (void)symlink("../real", at("sub/l3"));
    snprintf(want, sizeof(want), "%s/sub/../real", root);
    tap_ok(atomicfile_resolve(at("l1"), &r) == ECD_OK && strcmp(r, want) == 0,
           "resolve: relative chain, each step relative to its link's directory");
    if (r)
        tap_diag("resolved to %s", r);
    free(r);

    (void)symlink(at("abs-target"), at("labs"));
    tap_ok(atomicfile_resolve(at("labs"), &r) == ECD_OK && strcmp(r, at("abs-target")) == 0,
           "resolve: absolute dangling link resolves to its target");
    free(r);

    (void)symlink("loop-b", at("loop-a"));
    (void)symlink("loop-a", at("loop-b"));
    tap_ok(atomicfile_resolve(at("loop-a"), &r) == ECD_EIO && r == NULL,
           "resolve: a symlink loop is ECD_EIO");

    /* A bare name (no '/') with a relative link stays relative to the cwd. */
    if (getcwd(cwd, sizeof(cwd)) && chdir(root) == 0) {
        tap_ok(atomicfile_resolve("l2", &r) == ECD_OK && strcmp(r, "sub/../real") == 0,
               "resolve: bare name relative to the current directory");
        free(r);
        (void)!chdir(cwd);
    } else {
        tap_ok(0, "resolve: chdir into the test directory");
    }
}

static void test_mkdir(void)
{
    struct stat sb;

    tap_ok(atomicfile_mkdir_parent(at("m/a/b/config.json"), 0700) == ECD_OK,
           "mkdir_parent: creates missing ancestors");
    tap_ok(mode_of(at("m")) == 0700 && mode_of(at("m/a")) == 0700 && mode_of(at("m/a/b")) == 0700,
           "mkdir_parent: every new directory is 0700");
    tap_ok(stat(at("m/a/b/config.json"), &sb) < 0 && errno == ENOENT,
           "mkdir_parent: the file itself is not created");

    mkdir(at("open"), 0755);
    chmod(at("open"), 0755);
    tap_ok(atomicfile_mkdir_parent(at("open/config.json"), 0700) == ECD_OK &&
               mode_of(at("open")) == 0755,
           "mkdir_parent: an existing directory keeps its mode");

    tap_ok(atomicfile_mkdir_parent(at("ten/x/config.json"), 0700) == ECD_EIO,
           "mkdir_parent: a file in the way is ECD_EIO");
    tap_ok(atomicfile_mkdir_parent("config.json", 0700) == ECD_OK &&
               atomicfile_mkdir_parent("/config.json", 0700) == ECD_OK,
           "mkdir_parent: no directory part, or the root, needs nothing");
}

static void test_replace(void)
{
    struct stat before, after, lsb;
    char link[PATH_MAX];
    ssize_t n;
    mode_t old_umask;

    /* New file, under a restrictive umask: still exactly 0600. */
    mkdir(at("w"), 0755);
    old_umask = umask(0277);
    tap_ok(atomicfile_replace(at("w/new.json"), "new\n", 4) == ECD_OK,
           "replace: creates a new file");
    umask(old_umask);
    tap_ok(content_is(at("w/new.json"), "new\n"), "replace: new file has the content");
    tap_ok(mode_of(at("w/new.json")) == 0600, "replace: new file is 0600 despite umask 0277");
    tap_ok(hidden_entries(at("w")) == 0, "replace: no temp file left after success");

    /* Existing 0640 file: mode kept, inode replaced (rename, not rewrite in place). */
    put(at("w/mode.json"), "old", 0640);
    stat(at("w/mode.json"), &before);
    tap_ok(atomicfile_replace(at("w/mode.json"), "fresh", 5) == ECD_OK &&
               content_is(at("w/mode.json"), "fresh"),
           "replace: existing file gets the new content");
    stat(at("w/mode.json"), &after);
    tap_ok((after.st_mode & 07777) == 0640, "replace: mode 0640 stays 0640 (got %04o)",
           (unsigned)(after.st_mode & 07777));
    tap_ok(after.st_ino != before.st_ino, "replace: the file was renamed into place");

    tap_ok(atomicfile_replace(at("w/mode.json"), "", 0) == ECD_OK &&
               content_is(at("w/mode.json"), ""),
           "replace: empty content gives an empty file");

    /* Owner kept: only root can give a file away. */
    if (geteuid() == 0) {
        put(at("w/owned.json"), "x", 0644);
        (void)!chown(at("w/owned.json"), 1234, 1235);
        tap_ok(atomicfile_replace(at("w/owned.json"), "y", 1) == ECD_OK,
               "replace: file owned by 1234:1235");
        stat(at("w/owned.json"), &after);
        tap_ok(after.st_uid == 1234 && after.st_gid == 1235 && (after.st_mode & 07777) == 0644,
               "replace: owner 1234:1235 and mode 0644 kept (got %lu:%lu %04o)",
               (unsigned long)after.st_uid, (unsigned long)after.st_gid,
               (unsigned)(after.st_mode & 07777));
    } else {
        tap_ok(1, "# SKIP owner test needs root");
        tap_ok(1, "# SKIP owner test needs root");
    }

    /* Symlink chain: links stay, the final target gets the content. */
    mkdir(at("w/real"), 0755);
    put(at("w/real/config.json"), "{}", 0640);
    (void)symlink("real/config.json", at("w/l2"));
    (void)symlink("l2", at("w/config.json"));
    tap_ok(atomicfile_replace(at("w/config.json"), "linked", 6) == ECD_OK,
           "replace: through a chain of two symlinks");
    n = readlink(at("w/config.json"), link, sizeof(link) - 1);
    tap_ok(lstat(at("w/config.json"), &lsb) == 0 && S_ISLNK(lsb.st_mode) && n == 2 &&
               !memcmp(link, "l2", 2),
           "replace: the link is still a link to the same name");
    tap_ok(lstat(at("w/l2"), &lsb) == 0 && S_ISLNK(lsb.st_mode), "replace: middle link kept");
    tap_ok(content_is(at("w/real/config.json"), "linked") &&
               mode_of(at("w/real/config.json")) == 0640,
           "replace: the final target has the content and kept 0640");
    tap_ok(hidden_entries(at("w")) == 0 && hidden_entries(at("w/real")) == 0,
           "replace: no temp file beside the link or the target");

    /* Dangling link: the target is created, the link kept. */
    (void)symlink("created-by-link.json", at("w/dangling.json"));
    tap_ok(atomicfile_replace(at("w/dangling.json"), "made", 4) == ECD_OK,
           "replace: through a dangling symlink");
    tap_ok(lstat(at("w/dangling.json"), &lsb) == 0 && S_ISLNK(lsb.st_mode) &&
               content_is(at("w/created-by-link.json"), "made") &&
               mode_of(at("w/created-by-link.json")) == 0600,
           "replace: dangling link kept, its target created with 0600");

    /* Failure after the temp file exists: rename onto a directory. */
    mkdir(at("w/isdir"), 0755);
    tap_ok(atomicfile_replace(at("w/isdir"), "data", 4) == ECD_EIO,
           "replace: onto a directory is ECD_EIO");
    tap_ok(stat(at("w/isdir"), &lsb) == 0 && S_ISDIR(lsb.st_mode) && hidden_entries(at("w")) == 0,
           "replace: directory untouched, temp file removed after the failed rename");

    /* Failures before the temp file: directory is a file, or missing. */
    put(at("w/plain"), "plain", 0644);
    tap_ok(atomicfile_replace(at("w/plain/config.json"), "data", 4) == ECD_EIO &&
               content_is(at("w/plain"), "plain"),
           "replace: a file as directory is ECD_EIO, file untouched");
    tap_ok(atomicfile_replace(at("w/nodir/config.json"), "data", 4) == ECD_EIO,
           "replace: a missing directory is ECD_EIO (no implicit mkdir)");
    (void)symlink("nodir2/config.json", at("w/dangling-nodir.json"));
    tap_ok(atomicfile_replace(at("w/dangling-nodir.json"), "data", 4) == ECD_EIO,
           "replace: a dangling link into a missing directory is ECD_EIO");
    tap_ok(hidden_entries(at("w")) == 0, "replace: still no temp file after the failures");
}

int main(void)
{
    char cmd[PATH_MAX + 16];

    log_open(getenv("ECD_TEST_VERBOSE")
                 ? LOG_DEBUG
                 : LOG_CRIT); /* expected failures would clutter the TAP output */
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_read();
    test_resolve();
    test_mkdir();
    test_replace();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", root);
    return tap_done();
}
