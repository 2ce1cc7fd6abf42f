/* SPDX-License-Identifier: MIT */
/* ecr-credd: keeps Amazon ECR pull credentials fresh where container runtimes read
 * them.  main() parses the command line, loads the configuration and runs one
 * refresh cycle on a libuv loop (--once), mapping the outcome to the documented
 * exit codes (exitcode.h). */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <getopt.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "exitcode.h"
#include "http.h"
#include "log.h"
#include "check.h"
#include "daemon.h"
#include "once.h"
#include "plan.h"
#include "runconfig.h"
#include "sink.h"

#define DEFAULT_CONFIG_PATH "/etc/ecr-credd/config.json"

struct options {
    const char *config_path; /* borrowed from argv */
    int once;
    int check;
    int log_level;
};

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: ecr-credd [OPTIONS]          run the daemon in the foreground\n"
            "       ecr-credd --once [OPTIONS]   refresh once and exit\n"
            "       ecr-credd --check [OPTIONS]  check the configuration\n"
            "Keep Amazon ECR registry credentials fresh in docker config.json and other sinks.\n"
            "\n"
            "  -1, --once             refresh everything once, then exit\n"
            "  -k, --check            validate the configuration, show what would be done\n"
            "  -c, --config FILE      JSON configuration (default " DEFAULT_CONFIG_PATH
            " if it exists,\n"
            "                         else: the caller's own registry into docker config.json)\n"
            "  -l, --log-level LEVEL  error, warning, notice, info (default) or debug\n"
            "  -h, --help             show this help\n"
            "  -V, --version          show the version\n"
            "\n"
            "Exit codes: 0 all refreshed, 1 nothing refreshed, 2 usage or configuration error,\n"
            "3 some registries or sinks failed.  See ecr-credd(8).\n");
}

/* ECD_EXIT_OK when parsed; otherwise the code to exit with (help and version exit 0). */
static int parse_options(int argc, char **argv, struct options *o, int *exit_code)
{
    static const struct option longopts[] = {
        {"once", no_argument, NULL, '1'},
        {"check", no_argument, NULL, 'k'},
        {"config", required_argument, NULL, 'c'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *o = (struct options){.log_level = LOG_INFO};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":1kc:l:hV", longopts, NULL)) != -1) {
        switch (c) {
        case '1':
            o->once = 1;
            break;
        case 'k':
            o->check = 1;
            break;
        case 'c':
            o->config_path = optarg;
            break;
        case 'l':
            o->log_level = log_level_from_name(optarg);
            if (o->log_level < 0) {
                log_error("--log-level: unknown level \"%s\" (expected error, warning, notice, "
                          "info or debug)",
                          optarg);
                *exit_code = ECD_EXIT_USAGE;
                return 1;
            }
            break;
        case 'h':
            usage(stdout);
            *exit_code = ECD_EXIT_OK;
            return 1;
        case 'V':
            printf("ecr-credd %s (sinks: %s)\n", ECD_VERSION, sink_types());
            *exit_code = ECD_EXIT_OK;
            return 1;
        case ':':
            log_error("option %s needs a value (see --help)", argv[optind - 1]);
            *exit_code = ECD_EXIT_USAGE;
            return 1;
        default:
            log_error("unknown option %s (see --help)", argv[optind - 1]);
            *exit_code = ECD_EXIT_USAGE;
            return 1;
        }
    }
    if (optind < argc) {
        log_error("unexpected argument \"%s\" (see --help)", argv[optind]);
        *exit_code = ECD_EXIT_USAGE;
        return 1;
    }
    if (o->once && o->check) {
        log_error("--once and --check exclude each other");
        *exit_code = ECD_EXIT_USAGE;
        return 1;
    }
    return 0;
}

/* cJSON frees its own intermediate strings (a half-parsed tree after a syntax error,
 * a replaced value) without wiping them, and those may be tokens: every block it
 * frees is overwritten first. */
static void json_wiping_free(void *p)
{
    if (p) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

/* The file to read: --config, else the default path if it exists, else NULL for the
 * zero-config default.  The daemon re-reads the same source on SIGHUP. */
static const char *config_source(const struct options *o)
{
    if (o->config_path)
        return o->config_path;
    if (access(DEFAULT_CONFIG_PATH, F_OK) == 0)
        return DEFAULT_CONFIG_PATH;
    return NULL;
}

static void on_cycle_done(const struct once_result *res, void *ud)
{
    int *exit_code = ud;

    if (res->groups_ok == 0 || (res->sinks_ok == 0 && res->sinks_failed > 0))
        *exit_code = ECD_EXIT_NONE;
    else if (res->groups_failed || res->sinks_failed)
        *exit_code = ECD_EXIT_PARTIAL;
    else
        *exit_code = ECD_EXIT_OK;
    if (*exit_code)
        log_notice("refresh %s: %zu of %zu token fetches and %zu of %zu sink updates failed",
                   *exit_code == ECD_EXIT_NONE ? "failed" : "incomplete", res->groups_failed,
                   res->groups_ok + res->groups_failed, res->sinks_failed,
                   res->sinks_ok + res->sinks_failed);
}

static void on_check_done(size_t failed, void *ud)
{
    int *exit_code = ud;

    *exit_code = failed ? ECD_EXIT_USAGE : ECD_EXIT_OK;
}

/* --once and --check: one plan, one cycle (or just its description). */
static int run_once(const struct options *o, struct config *cfg)
{
    struct http_client *http = NULL;
    struct plan *p = NULL;
    struct once *cycle = NULL;
    uv_loop_t loop;
    int exit_code = ECD_EXIT_NONE, rc;
    enum ecd_status st;

    rc = uv_loop_init(&loop);
    if (rc < 0) {
        log_error("cannot create the event loop: %s", uv_strerror(rc));
        config_free(cfg);
        return ECD_EXIT_NONE;
    }
    st = http_client_new(&loop, &http);
    if (st)
        config_free(cfg);
    else
        st = plan_new(&loop, http, cfg, env_get, o->check ? SINK_MODE_CHECK : SINK_MODE_ONCE, &p);
    if (st) {
        exit_code = st == ECD_ECONFIG ? ECD_EXIT_USAGE : ECD_EXIT_NONE;
    } else if (o->check) {
        if (check_start(p, on_check_done, &exit_code) == ECD_OK)
            uv_run(&loop, UV_RUN_DEFAULT);
    } else if (once_start(p, on_cycle_done, &exit_code, &cycle) == ECD_OK) {
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    once_free(cycle);
    plan_free(p);
    http_client_close(http);
    uv_run(&loop, UV_RUN_DEFAULT); /* close callbacks */
    rc = uv_loop_close(&loop);
    if (rc < 0)
        log_warn("event loop closed with handles still open: %s", uv_strerror(rc));
    return exit_code;
}

static int run(const struct options *o)
{
    const char *path = config_source(o);
    struct config *cfg = NULL;

    if (runconfig_load(path, env_get, &cfg))
        return ECD_EXIT_USAGE;
    if (o->once || o->check) {
        daemon_hold_stop_signals(0);
        return run_once(o, cfg);
    }
    return daemon_run(cfg, path, env_get);
}

int main(int argc, char **argv)
{
    struct options o;
    int exit_code = ECD_EXIT_OK;

    daemon_hold_stop_signals(1);
    log_open(LOG_INFO);
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = malloc, .free_fn = json_wiping_free});
    /* Secrets live in this process: no core dumps, no ptrace by unprivileged peers. */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    if (parse_options(argc, argv, &o, &exit_code))
        return exit_code;
    log_set_level(o.log_level);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        return ECD_EXIT_NONE;
    }
    /* Only the fallback when OpenSSL's random generator fails (jitter, backoff). */
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    exit_code = run(&o);
    runconfig_forget_region();
    curl_global_cleanup();
    return exit_code;
}
