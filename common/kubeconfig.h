/* SPDX-License-Identifier: MIT */
/* kubeconfig files (protocols.md 5.6), parsed with libyaml into one merged struct the
 * way client-go merges a KUBECONFIG list: for clusters, users and contexts the first
 * file that defines a name wins; current-context comes from the first file that sets
 * it.  Relative paths inside a file resolve against that file's directory, *-data
 * fields are base64-decoded here (client-go fails the load on bad base64 in any entry),
 * and every string keeps the file and line it came from for messages:
 *   /home/u/.kube/config:12: users[0].user.exec.apiVersion: expected
 *   client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1
 * Pure: no file is read (the caller passes each file's text), nothing is logged.
 * Structure errors (YAML syntax, a list where a string belongs, bad base64, duplicate
 * names in one file) fail the parse for any entry; the semantic checks that client-go
 * only applies to the configuration it uses (exec apiVersion, insecure with a CA,
 * auth-provider, missing server, ...) happen in kubeconfig_select(), for the selected
 * context only.  Secrets (token, password, client key) are struct secret: wiped. */
#ifndef ECD_KUBECONFIG_H
#define ECD_KUBECONFIG_H

#include <stddef.h>

#include "secret.h"
#include "status.h"

/* Where a value came from: file (borrowed from the kubeconfig's file list) and 1-based
 * line, 0 when unknown.  path is the YAML path ("users[0].user.token"), owned. */
struct kubeconfig_loc {
    const char *file;
    unsigned long line;
    char *path;
};

struct kubeconfig_cluster {
    char *name;                /* owned */
    struct kubeconfig_loc loc; /* the entry ("clusters[2]") */
    char *server;              /* owned; NULL when absent */
    char *ca_file;             /* certificate-authority, absolute; owned */
    char *ca_data;             /* certificate-authority-data decoded (PEM); owned */
    int insecure;              /* insecure-skip-tls-verify */
    char *tls_server_name;     /* owned */
    char *proxy_url;           /* owned */
    struct kubeconfig_loc server_loc, insecure_loc, tls_server_name_loc, proxy_url_loc;
};

enum kubeconfig_interactive {
    KUBECONFIG_INTERACTIVE_UNSET,
    KUBECONFIG_INTERACTIVE_NEVER,
    KUBECONFIG_INTERACTIVE_IF_AVAILABLE,
    KUBECONFIG_INTERACTIVE_ALWAYS,
    KUBECONFIG_INTERACTIVE_BAD, /* something else: kubeconfig_select() refuses it */
};

struct kubeconfig_env {
    char *name;  /* owned; NULL when the entry had none (select refuses it) */
    char *value; /* owned; "" when absent */
};

struct kubeconfig_exec {
    struct kubeconfig_loc loc; /* "users[0].user.exec" */
    char *command;             /* owned; absolute when it names a relative path with '/' */
    char **args;               /* owned, n_args entries */
    size_t n_args;
    struct kubeconfig_env *env; /* owned, n_env entries */
    size_t n_env;
    char *api_version;  /* owned; NULL when absent */
    char *install_hint; /* owned */
    int provide_cluster_info;
    enum kubeconfig_interactive interactive;
    struct kubeconfig_loc command_loc, api_version_loc, interactive_loc, env_loc;
};

struct kubeconfig_user {
    char *name;                    /* owned */
    struct kubeconfig_loc loc;     /* "users[1]" */
    struct secret token;           /* unset when absent */
    char *token_file;              /* tokenFile, absolute; owned */
    char *client_cert_file;        /* client-certificate, absolute; owned */
    char *client_cert_data;        /* client-certificate-data decoded (PEM); owned */
    char *client_key_file;         /* client-key, absolute; owned */
    struct secret client_key_data; /* client-key-data decoded (PEM) */
    char *username;                /* owned */
    struct secret password;        /* unset when absent */
    char *as;                      /* impersonation; owned */
    char *as_uid;                  /* owned */
    char **as_groups;              /* owned, n_as_groups entries */
    size_t n_as_groups;
    char *auth_provider;          /* auth-provider.name ("" when unnamed); owned */
    struct kubeconfig_exec *exec; /* owned; NULL when absent */
    struct kubeconfig_loc auth_provider_loc;
    struct kubeconfig_loc as_user_extra_loc; /* path set when as-user-extra is present */
};

struct kubeconfig_context {
    char *name;                /* owned */
    struct kubeconfig_loc loc; /* "contexts[0]" */
    char *cluster;             /* owned; NULL when absent */
    char *user;                /* owned; NULL or "" for no user */
    char *namespace_;          /* owned; NULL when absent */
};

struct kubeconfig {
    char **files; /* owned: the file names given to kubeconfig_parse(), in order */
    size_t n_files;
    struct kubeconfig_cluster *clusters; /* owned arrays */
    size_t n_clusters;
    struct kubeconfig_user *users;
    size_t n_users;
    struct kubeconfig_context *contexts;
    size_t n_contexts;
    char *current_context; /* owned; NULL until a file sets it */
    struct kubeconfig_loc current_context_loc;
};

/* A failure: the whole message ("file:line: path: what"), control characters
 * replaced, never quoting a secret. */
struct kubeconfig_err {
    char msg[512];
};

void kubeconfig_init(struct kubeconfig *kc);
/* Free everything, wiping the secrets.  kc is then empty and reusable. */
void kubeconfig_clear(struct kubeconfig *kc);

/* Merge one file's text[0..len) (no NUL needed) into kc.  file names it in messages
 * and its directory resolves relative paths (a relative file name resolves against
 * the current directory only as far as the caller made it absolute).  An empty
 * document adds nothing.  ECD_ECONFIG with e->msg set, or ECD_ENOMEM; on failure kc
 * keeps what earlier files added (the caller normally clears it). */
ECD_MUST_CHECK enum ecd_status kubeconfig_parse(struct kubeconfig *kc, const char *file,
                                                const char *text, size_t len,
                                                struct kubeconfig_err *e);

/* The configuration one context selects: all pointers borrowed from kc. */
struct kubeconfig_sel {
    const struct kubeconfig_context *context;
    const struct kubeconfig_cluster *cluster;
    const struct kubeconfig_user *user; /* NULL: anonymous (the context names no user) */
};

/* Select `context` (NULL: current-context) and check what client-go checks before
 * using it: the context, its cluster and its user exist; the cluster has a server
 * (http:// or https://); insecure-skip-tls-verify is not combined with a CA; a
 * client certificate comes with its key; token and basic auth are not both set;
 * auth-provider is refused ("not supported"); exec has a command, an apiVersion of
 * client.authentication.k8s.io/v1 or v1beta1, env entries with names, and an
 * interactiveMode that works without a terminal (v1 requires one; Always is refused).
 * ECD_ECONFIG with e->msg naming the file, line and path. */
ECD_MUST_CHECK enum ecd_status kubeconfig_select(const struct kubeconfig *kc, const char *context,
                                                 struct kubeconfig_sel *sel,
                                                 struct kubeconfig_err *e);

/* "a, b, c" of the files for messages, into dst (n bytes, truncated with "..."). */
void kubeconfig_files_str(const struct kubeconfig *kc, char *dst, size_t n);

#define KUBECONFIG_EXEC_V1      "client.authentication.k8s.io/v1"
#define KUBECONFIG_EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"

#endif
