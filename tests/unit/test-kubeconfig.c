/* SPDX-License-Identifier: MIT */
/* kubeconfig.c: parsing, merging several files, path resolution, base64 data, the
 * selection checks, and the exact message of each rejection. */
#include <string.h>

#include "kubeconfig.h"
#include "tap.h"

static const char full[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "preferences: {}\n"
    "clusters:\n"
    "- name: prod\n"
    "  cluster:\n"
    "    server: https://10.0.0.1:6443/\n"
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
    "    extensions: [{name: x, extension: {}}]\n"
    "- name: dev\n"
    "  cluster:\n"
    "    server: https://dev.example:443\n"
    "    certificate-authority: certs/ca.crt\n"
    "users:\n"
    "- name: admin\n"
    "  user:\n"
    "    client-certificate: /abs/client.crt\n"
    "    client-key: keys/client.key\n"
    "    token: s3cr3t-token\n"
    "    as: alice\n"
    "    as-groups: [ops, dev]\n"
    "- name: plugin\n"
    "  user:\n"
    "    exec:\n"
    "      apiVersion: client.authentication.k8s.io/v1\n"
    "      command: ./bin/get-token\n"
    "      args: [--cluster, prod, 42]\n"
    "      env:\n"
    "      - name: AWS_PROFILE\n"
    "        value: prod\n"
    "      - name: EMPTY\n"
    "      interactiveMode: Never\n"
    "      provideClusterInfo: true\n"
    "      installHint: install get-token\n"
    "- name: basic\n"
    "  user: {username: bob, password: pw}\n"
    "contexts:\n"
    "- name: prod-admin\n"
    "  context: {cluster: prod, user: admin, namespace: team-a}\n"
    "- name: dev-plugin\n"
    "  context:\n"
    "    cluster: dev\n"
    "    user: plugin\n"
    "- name: anon\n"
    "  context: {cluster: dev}\n"
    "current-context: prod-admin\n";

static void test_full(void)
{
    struct kubeconfig kc;
    struct kubeconfig_err e;
    struct kubeconfig_sel sel;
    enum ecd_status st;

    kubeconfig_init(&kc);
    st = kubeconfig_parse(&kc, "/home/u/.kube/config", full, strlen(full), &e);
    tap_ok(st == ECD_OK && !e.msg[0], "full kubeconfig parses (%s)", e.msg);
    tap_ok(kc.n_clusters == 2 && kc.n_users == 3 && kc.n_contexts == 3, "all entries kept");
    tap_str_eq(kc.current_context, "prod-admin", "current-context");
    st = kubeconfig_select(&kc, NULL, &sel, &e);
    tap_ok(st == ECD_OK, "current context selects (%s)", e.msg);
    tap_str_eq(sel.cluster ? sel.cluster->server : NULL, "https://10.0.0.1:6443/", "server");
    tap_str_eq(sel.cluster ? sel.cluster->ca_data : NULL, "-----BEGIN CERTIFICATE-----\n",
               "certificate-authority-data decoded");
    tap_str_eq(sel.context ? sel.context->namespace_ : NULL, "team-a", "namespace");
    tap_str_eq(sel.user ? sel.user->client_cert_file : NULL, "/abs/client.crt",
               "absolute path kept");
    tap_str_eq(sel.user ? sel.user->client_key_file : NULL, "/home/u/.kube/keys/client.key",
               "relative path resolved against the file's directory");
    tap_str_eq(sel.user ? sel.user->token.ptr : NULL, "s3cr3t-token", "token");
    tap_str_eq(sel.user ? sel.user->as : NULL, "alice", "as");
    tap_ok(sel.user && sel.user->n_as_groups == 2 && !strcmp(sel.user->as_groups[1], "dev"),
           "as-groups");
    tap_ok(sel.user && sel.user->loc.line == 15, "user line number (%lu)",
           sel.user ? sel.user->loc.line : 0);

    st = kubeconfig_select(&kc, "dev-plugin", &sel, &e);
    tap_ok(st == ECD_OK && sel.user && sel.user->exec, "exec context selects (%s)", e.msg);
    if (sel.user && sel.user->exec) {
        const struct kubeconfig_exec *x = sel.user->exec;

        tap_str_eq(x->command, "/home/u/.kube/./bin/get-token",
                   "relative command with a '/' resolved");
        tap_ok(x->n_args == 3 && !strcmp(x->args[2], "42"), "args, numbers as text");
        tap_ok(x->n_env == 2 && !strcmp(x->env[0].name, "AWS_PROFILE") &&
                   !strcmp(x->env[0].value, "prod") && !strcmp(x->env[1].value, ""),
               "env entries");
        tap_ok(x->interactive == KUBECONFIG_INTERACTIVE_NEVER && x->provide_cluster_info,
               "interactiveMode and provideClusterInfo");
        tap_str_eq(x->install_hint, "install get-token", "installHint");
    }
    tap_str_eq(sel.cluster ? sel.cluster->ca_file : NULL, "/home/u/.kube/certs/ca.crt",
               "certificate-authority resolved");
    st = kubeconfig_select(&kc, "anon", &sel, &e);
    tap_ok(st == ECD_OK && sel.user == NULL, "context without user: anonymous");
    st = kubeconfig_select(&kc, "nope", &sel, &e);
    tap_str_eq(e.msg, "/home/u/.kube/config: context \"nope\" not found", "unknown context");
    tap_ok(st == ECD_ECONFIG && !sel.context, "unknown context: ECD_ECONFIG");
    kubeconfig_clear(&kc);
    tap_ok(kc.n_users == 0 && kc.users == NULL, "clear empties");
}

static void test_merge(void)
{
    static const char a[] = "clusters:\n- name: c1\n  cluster: {server: https://a}\n"
                            "users:\n- name: u1\n  user: {token: ta}\n"
                            "contexts:\n- name: x\n  context: {cluster: c1, user: u1}\n";
    static const char b[] = "current-context: x\n"
                            "clusters:\n- name: c1\n  cluster: {server: https://b}\n"
                            "- name: c2\n  cluster: {server: https://b2}\n"
                            "contexts:\n- name: x\n  context: {cluster: c2}\n";
    static const char c[] = "current-context: y\n";
    struct kubeconfig kc;
    struct kubeconfig_err e;
    struct kubeconfig_sel sel;
    char files[64];

    kubeconfig_init(&kc);
    tap_ok(!kubeconfig_parse(&kc, "/a", a, strlen(a), &e) &&
               !kubeconfig_parse(&kc, "/empty", "", 0, &e) &&
               !kubeconfig_parse(&kc, "/b", b, strlen(b), &e) &&
               !kubeconfig_parse(&kc, "/c", c, strlen(c), &e),
           "four files merge (one empty)");
    tap_ok(kc.n_clusters == 2 && kc.n_contexts == 1, "names defined twice kept once");
    tap_str_eq(kc.current_context, "x", "current-context from the first file that sets it");
    tap_ok(!kubeconfig_select(&kc, NULL, &sel, &e), "merged config selects");
    tap_str_eq(sel.cluster ? sel.cluster->server : NULL, "https://a",
               "first file's context and cluster win");
    tap_str_eq(sel.cluster ? sel.cluster->loc.file : NULL, "/a", "entry remembers its file");
    kubeconfig_files_str(&kc, files, sizeof(files));
    tap_str_eq(files, "/a, /empty, /b, /c", "file list for messages");
    kubeconfig_clear(&kc);

    kubeconfig_init(&kc);
    tap_ok(!kubeconfig_parse(&kc, "/n", "~\n", 2, &e) && !kubeconfig_parse(&kc, "/m", "{}", 2, &e),
           "null and empty mapping documents are empty configurations");
    tap_ok(kubeconfig_select(&kc, NULL, &sel, &e) == ECD_ECONFIG, "nothing to select");
    tap_str_eq(e.msg, "/n, /m: no current-context set and no context given (contexts: 0)",
               "no current-context message");
    kubeconfig_clear(&kc);
}

static void parse_fails(const char *text, const char *want)
{
    struct kubeconfig kc;
    struct kubeconfig_err e;
    enum ecd_status st;

    kubeconfig_init(&kc);
    st = kubeconfig_parse(&kc, "kc.yaml", text, strlen(text), &e);
    tap_ok(st == ECD_ECONFIG, "parse rejects: %s", want);
    tap_str_eq(e.msg, want, "message: %s", want);
    kubeconfig_clear(&kc);
}

static void select_fails(const char *text, const char *context, const char *want)
{
    struct kubeconfig kc;
    struct kubeconfig_err e;
    struct kubeconfig_sel sel;
    enum ecd_status st;

    kubeconfig_init(&kc);
    st = kubeconfig_parse(&kc, "kc.yaml", text, strlen(text), &e);
    if (!tap_ok(st == ECD_OK, "parses before select: %s", want))
        tap_diag("%s", e.msg);
    st = kubeconfig_select(&kc, context, &sel, &e);
    tap_ok(st == ECD_ECONFIG && !sel.cluster, "select rejects: %s", want);
    tap_str_eq(e.msg, want, "message: %s", want);
    tap_ok(!strstr(e.msg, "SECRET"), "message quotes no secret");
    kubeconfig_clear(&kc);
}

#define CTX "contexts:\n- name: c\n  context: {cluster: k, user: u}\ncurrent-context: c\n"
#define CL  "clusters:\n- name: k\n  cluster: {server: https://k}\n"

static void test_parse_errors(void)
{
    parse_fails("clusters: [\n", "kc.yaml:2: invalid YAML: did not find expected node content "
                                 "while parsing a flow node");
    parse_fails("- a\n- b\n", "kc.yaml:1: expected a kubeconfig mapping (apiVersion: v1, kind: "
                              "Config, clusters, users, contexts), found a list");
    parse_fails("clusters: yes\n", "kc.yaml:1: clusters: expected a list, found a scalar");
    parse_fails("clusters:\n- name: a\n  cluster: {server: [x]}\n",
                "kc.yaml:3: clusters[0].cluster.server: expected a string, found a list");
    parse_fails("clusters:\n- name: a\n  cluster:\n    certificate-authority-data: 'not base64!'\n",
                "kc.yaml:4: clusters[0].cluster.certificate-authority-data: expected standard "
                "base64 (A-Z a-z 0-9 + / with = padding)");
    parse_fails("users:\n- name: a\n  user: {}\n- name: a\n  user: {}\n",
                "kc.yaml:4: users[1].name: duplicate name \"a\" (first at line 2, users[0])");
    parse_fails("users:\n- user: {token: SECRET}\n",
                "kc.yaml:2: users[0].name: missing, expected a non-empty name");
    parse_fails("contexts:\n- name: x\n", "kc.yaml:2: contexts[0].context: missing, expected a "
                                          "mapping");
    parse_fails("clusters:\n- name: a\n  cluster: {insecure-skip-tls-verify: maybe}\n",
                "kc.yaml:3: clusters[0].cluster.insecure-skip-tls-verify: expected true or false");
    parse_fails("users:\n- name: a\n  user: {token: SECRET, token: again}\n",
                "kc.yaml:3: users[0].user.token: duplicate key");
    parse_fails("users:\n- name: a\n  user:\n    exec:\n      env: [{value: SECRET}]\n",
                "kc.yaml:5: users[0].user.exec.env[0]: expected a non-empty name");
    parse_fails("users:\n- name: a\n  user:\n    exec:\n      args: {a: b}\n",
                "kc.yaml:5: users[0].user.exec.args: expected a list, found a mapping");
    parse_fails("current-context: {a: b}\n",
                "kc.yaml:1: current-context: expected a string, found a mapping");
    parse_fails("clusters:\n- name: a\n  cluster:\n    ? [x]\n    : y\n",
                "kc.yaml:4: clusters[0].cluster: expected string keys, found a list");
}

static void test_select_errors(void)
{
    select_fails(CL "users:\n- name: u\n  user:\n    exec:\n      command: x\n"
                    "      apiVersion: client.authentication.k8s.io/v1alpha1\n" CTX,
                 NULL,
                 "kc.yaml:9: users[0].user.exec.apiVersion: expected "
                 "client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1 "
                 "(v1alpha1 was removed in Kubernetes 1.24)");
    select_fails(CL "users:\n- name: u\n  user:\n    exec:\n      command: x\n" CTX, NULL,
                 "kc.yaml:8: users[0].user.exec: apiVersion: missing, expected "
                 "client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1");
    select_fails(CL "users:\n- name: u\n  user:\n    exec:\n"
                    "      apiVersion: client.authentication.k8s.io/v1\n" CTX,
                 NULL,
                 "kc.yaml:8: users[0].user.exec: command: missing, expected the "
                 "credential plugin to run");
    select_fails(CL "users:\n- name: u\n  user:\n    exec:\n      command: x\n"
                    "      apiVersion: client.authentication.k8s.io/v1\n" CTX,
                 NULL,
                 "kc.yaml:8: users[0].user.exec: interactiveMode: missing, required with "
                 "client.authentication.k8s.io/v1 (expected Never or IfAvailable)");
    select_fails(CL "users:\n- name: u\n  user:\n    exec:\n      command: x\n"
                    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                    "      interactiveMode: Always\n" CTX,
                 NULL,
                 "kc.yaml:10: users[0].user.exec.interactiveMode: Always needs a terminal, and a "
                 "daemon has none: the plugin must work non-interactively (Never or IfAvailable)");
    select_fails(CL "users:\n- name: u\n  user:\n    exec:\n      command: x\n"
                    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                    "      interactiveMode: Sometimes\n" CTX,
                 NULL,
                 "kc.yaml:10: users[0].user.exec.interactiveMode: expected Never, IfAvailable or "
                 "Always");
    select_fails(CL "users:\n- name: u\n  user:\n    auth-provider: {name: gcp, config: "
                    "{access-token: SECRET}}\n" CTX,
                 NULL,
                 "kc.yaml:7: users[0].user.auth-provider: auth-provider gcp is not supported (the "
                 "legacy gcp/azure/oidc providers were removed from client-go): use an exec "
                 "credential plugin");
    select_fails("clusters:\n- name: k\n  cluster:\n    server: https://k\n"
                 "    certificate-authority: /ca.crt\n    insecure-skip-tls-verify: true\n"
                 "users:\n- name: u\n  user: {}\n" CTX,
                 NULL,
                 "kc.yaml:6: clusters[0].cluster.insecure-skip-tls-verify: "
                 "insecure-skip-tls-verify cannot be combined with certificate-authority or "
                 "certificate-authority-data (client-go refuses it too): remove one");
    select_fails("clusters:\n- name: k\n  cluster: {}\nusers:\n- name: u\n  user: {}\n" CTX, NULL,
                 "kc.yaml:2: clusters[0]: cluster \"k\": server: missing, expected "
                 "https://host[:port]");
    select_fails("clusters:\n- name: k\n  cluster: {server: k.example:443}\n"
                 "users:\n- name: u\n  user: {}\n" CTX,
                 NULL,
                 "kc.yaml:3: clusters[0].cluster.server: expected an https:// (or http://) URL");
    select_fails(CL "users:\n- name: u\n  user: {client-certificate: /c.crt}\n" CTX, NULL,
                 "kc.yaml:5: users[0]: user \"u\": client certificate without client-key or "
                 "client-key-data");
    select_fails(
        CL "users:\n- name: u\n  user: {token: SECRET, username: a, password: SECRET}\n" CTX, NULL,
        "kc.yaml:5: users[0]: user \"u\": more than one authentication method (token "
        "and username/password); only one is allowed");
    select_fails(CL "users:\n- name: u\n  user: {as-groups: [a]}\n" CTX, NULL,
                 "kc.yaml:5: users[0]: user \"u\": as-uid and as-groups need as (the user to "
                 "impersonate)");
    select_fails(CL "users:\n- name: u\n  user: {as: a, as-user-extra: {scopes: [x]}}\n" CTX, NULL,
                 "kc.yaml:6: users[0].user.as-user-extra: not supported (impersonation with "
                 "extra fields); use as, as-groups and as-uid only");
    select_fails(CL CTX, NULL,
                 "kc.yaml:5: contexts[0]: context \"c\": user \"u\" not found in "
                 "kc.yaml");
    select_fails("users:\n- name: u\n  user: {}\n" CTX, NULL,
                 "kc.yaml:5: contexts[0]: context \"c\": cluster \"k\" not found in kc.yaml");
    select_fails(CL "users:\n- name: u\n  user: {}\n" CTX, "zz",
                 "kc.yaml: context \"zz\" not found");
    select_fails(CL "users:\n- name: u\n  user: {}\n"
                    "contexts:\n- name: c\n  context: {cluster: k, user: u}\ncurrent-context: q\n",
                 NULL, "kc.yaml:10: current-context: context \"q\" not found");
    select_fails("clusters:\n- name: k\n  cluster: {server: https://k, proxy-url: "
                 "http://proxy:3128}\nusers:\n- name: u\n  user: {}\n" CTX,
                 NULL,
                 "kc.yaml:3: clusters[0].cluster.proxy-url: not supported; use the HTTPS_PROXY "
                 "environment variable instead");
}

static void test_values(void)
{
    static const char text[] = "clusters:\n- name: k\n  cluster:\n    server: https://k\n"
                               "    insecure-skip-tls-verify: yes\n"
                               "    certificate-authority-data: ~\n"
                               "users:\n- name: u\n  user:\n"
                               "    client-certificate-data: |\n      LS0t\n      LS0t\n"
                               "    client-key-data: LS0tS0VZ\n"
                               "    tokenFile: tok\n"
                               "    exec: null\n"
                               "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
                               "current-context: c\n";
    struct kubeconfig kc;
    struct kubeconfig_err e;
    struct kubeconfig_sel sel;

    kubeconfig_init(&kc);
    tap_ok(!kubeconfig_parse(&kc, "rel.yaml", text, strlen(text), &e), "values parse (%s)", e.msg);
    tap_ok(!kubeconfig_select(&kc, NULL, &sel, &e), "values select (%s)", e.msg);
    tap_ok(sel.cluster && sel.cluster->insecure && !sel.cluster->ca_data,
           "yes is true; ~ is absent");
    tap_str_eq(sel.user ? sel.user->client_cert_data : NULL, "------",
               "block scalar base64 with line breaks");
    tap_str_eq(sel.user ? sel.user->client_key_data.ptr : NULL, "---KEY", "key data decoded");
    tap_str_eq(sel.user ? sel.user->token_file : NULL, "tok",
               "a file name without directory leaves relative paths as they are");
    tap_ok(sel.user && !sel.user->exec, "exec: null is no exec");
    kubeconfig_clear(&kc);
}

int main(void)
{
    test_full();
    test_merge();
    test_parse_errors();
    test_select_errors();
    test_values();
    return tap_done();
}
