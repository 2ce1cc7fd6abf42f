/* SPDX-License-Identifier: MIT */
/* Running a client-go credential plugin (kubeconfig users[].user.exec): the command
 * with its args, without a shell, under uv_spawn; the environment is ours plus the
 * kubeconfig's env entries plus KUBERNETES_EXEC_INFO; stdout (the ExecCredential,
 * which holds the token) is collected with a cap and wiped, never logged; stderr goes
 * to the log at debug level, and its first line into the error when the plugin fails;
 * a plugin that runs longer than the timeout is killed.  Failures are logged here,
 * with the plugin's exit status and that first stderr line (plus the installHint when
 * the command is missing).
 *
 * Async contract (STYLE 2.6): kube_exec_start() either returns an error and `done` is
 * never called, or returns ECD_OK and `done` is called exactly once, from the loop. */
#ifndef ECD_KUBE_EXEC_H
#define ECD_KUBE_EXEC_H

#include <uv.h>

#include "execcred.h"
#include "kubeconfig.h"
#include "status.h"

struct kube_exec_run;

/* The cluster the plugin is for, in KUBERNETES_EXEC_INFO when provideClusterInfo. */
struct kube_exec_cluster {
    const char *server;
    const char *ca_pem; /* NULL: none */
    const char *tls_server_name;
    int insecure;
};

/* cred: owned by the run and wiped after the call; the callee may move its fields
 * out (and zero them).  NULL unless st is ECD_OK.  Failures were logged. */
typedef void kube_exec_done_fn(enum ecd_status st, struct execcred *cred, void *ud);

#define KUBE_EXEC_TIMEOUT_MS  60000
#define KUBE_EXEC_STDOUT_MAX  (1024 * 1024)
#define KUBE_EXEC_STDERR_KEEP (16 * 1024)

/* x and cluster are borrowed for the call; label names the user in messages
 * ("kubeconfig /root/.kube/config, user eks-admin").  timeout_ms 0: the default. */
ECD_MUST_CHECK enum ecd_status kube_exec_start(uv_loop_t *loop, const struct kubeconfig_exec *x,
                                               const struct kube_exec_cluster *cluster,
                                               const char *label, unsigned timeout_ms,
                                               kube_exec_done_fn *done, void *ud,
                                               struct kube_exec_run **out);
/* Kill the plugin; done then runs with ECD_ECANCELED. */
void kube_exec_cancel(struct kube_exec_run *r);

#endif
