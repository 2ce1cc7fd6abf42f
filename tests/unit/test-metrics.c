/* SPDX-License-Identifier: MIT */
/* daemon/metrics.c without a loop or a listener: what /healthz says (each problem
 * line, with its reason) and what /metrics renders (exact sample lines, label
 * escaping, counters kept across a reload), at injected times. */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "plan.h"
#include "tap.h"

#define NOW   1800000000.0
#define HOST1 "123456789012.dkr.ecr.us-east-1.amazonaws.com"
#define HOST2 "210987654321.dkr.ecr.us-east-1.amazonaws.com"
#define HOST3 "111122223333.dkr.ecr.eu-west-1.amazonaws.com"

static struct token_set *tokens(size_t n, const char *const *hosts, const double *exp)
{
    struct token_set *ts = NULL;

    if (token_set_new(n, &ts))
        abort();
    for (size_t i = 0; i < n; i++) {
        ts->items[i].host = strdup(hosts[i]);
        if (!ts->items[i].host)
            abort();
        ts->items[i].expires_at = exp[i];
    }
    return ts;
}

struct fake_plan {
    struct plan plan;
    struct plan_group groups[3];
    struct sink sinks[3];
    struct sink *sink_ptrs[3];
};

static void fake_plan(struct fake_plan *f, const char *const *labels, size_t n_groups,
                      const char *const *names, size_t n_sinks)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < n_groups; i++) {
        buf_init(&f->groups[i].label, 256);
        if (buf_append_str(&f->groups[i].label, labels[i]))
            abort();
    }
    for (size_t i = 0; i < n_sinks; i++) {
        f->sinks[i].name = (char *)names[i];
        f->sink_ptrs[i] = &f->sinks[i];
    }
    f->plan.groups = f->groups;
    f->plan.n_groups = n_groups;
    f->plan.sinks = f->sink_ptrs;
    f->plan.n_sinks = n_sinks;
}

static void fake_plan_free(struct fake_plan *f)
{
    for (size_t i = 0; i < f->plan.n_groups; i++)
        buf_free(&f->groups[i].label);
}

/* Health at `now` as text; *healthy gets the return value. */
static char *health(const struct metrics *m, double now, double stale, int *healthy)
{
    struct buf b;
    char *out = NULL;

    buf_init(&b, 1 << 20);
    *healthy = metrics_health(m, now, stale, &b);
    if (buf_steal(&b, &out))
        abort();
    return out;
}

static char *render(const struct metrics *m, double now)
{
    struct buf b;
    char *out = NULL;

    buf_init(&b, 1 << 20);
    if (metrics_render(m, now, 600, &b) || buf_steal(&b, &out))
        abort();
    return out;
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

static void check_line(const char *text, const char *line)
{
    if (!tap_ok(has_line(text, line), "line: %s", line))
        tap_diag("in:\n%s", text);
}

int main(void)
{
    static const char *const labels[] = {"registries[0]", "registries[1], registries[2]"};
    static const char *const names[] = {"docker-0", "we\"ird\\name\nx"};
    static const char *const hosts_a[] = {HOST1, HOST2};
    static const double exp_a[] = {NOW + 3600, NOW + 100};
    static const char *const hosts_b[] = {HOST3};
    static const double exp_b[] = {NOW + 7200};
    struct fake_plan fp, fp2;
    struct metrics *m = NULL;
    struct token_set *a, *b, *sets[2];
    char *text;
    int ok;

    tap_ok(metrics_new(&m) == ECD_OK && m, "metrics_new");
    fake_plan(&fp, labels, 2, names, 2);
    tap_ok(metrics_set_plan(m, &fp.plan) == ECD_OK, "metrics_set_plan: 2 groups, 2 sinks");

    text = health(m, NOW, 600, &ok);
    tap_ok(ok == 0, "nothing fetched yet: unhealthy");
    tap_str_eq(text,
               "registries[0]: no credentials yet\n"
               "registries[1], registries[2]: no credentials yet\n",
               "nothing fetched yet: one line per group");
    free(text);

    metrics_fetched(m, 0, ECD_ETHROTTLE, NULL, NOW);
    metrics_fetched(m, 0, ECD_ECANCELED, NULL, NOW); /* not a failure */
    metrics_fetched(m, 1, ECD_EAUTH, NULL, NOW);
    text = health(m, NOW, 600, &ok);
    tap_str_eq(text,
               "registries[0]: no credentials yet (refresh failing: throttled)\n"
               "registries[1], registries[2]: no credentials yet (refresh failing: auth)\n",
               "failed fetches: the kind is the reason");
    free(text);

    a = tokens(2, hosts_a, exp_a);
    b = tokens(1, hosts_b, exp_b);
    metrics_fetched(m, 0, ECD_OK, a, NOW);
    metrics_fetched(m, 1, ECD_OK, b, NOW);
    text = health(m, NOW, 600, &ok);
    tap_ok(ok == 0, "tokens fetched, nothing pushed: unhealthy");
    tap_str_eq(text,
               "sink docker-0: " HOST1 ": no credentials yet\n"
               "sink docker-0: " HOST2 ": no credentials yet\n"
               "sink docker-0: " HOST3 ": no credentials yet\n"
               "sink we\"ird\\name\nx: " HOST1 ": no credentials yet\n"
               "sink we\"ird\\name\nx: " HOST2 ": no credentials yet\n"
               "sink we\"ird\\name\nx: " HOST3 ": no credentials yet\n",
               "nothing pushed: one line per sink and registry host");
    free(text);

    sets[0] = a;
    sets[1] = b;
    metrics_pushed(m, 0, ECD_OK, sets, 2, NOW + 1);
    metrics_pushed(m, 1, ECD_EIO, NULL, 0, NOW + 1);
    text = health(m, NOW, 60, &ok);
    tap_ok(ok == 0, "one sink failing: unhealthy");
    tap_str_eq(text,
               "sink we\"ird\\name\nx: " HOST1 ": no credentials yet (sink update failing)\n"
               "sink we\"ird\\name\nx: " HOST2 ": no credentials yet (sink update failing)\n"
               "sink we\"ird\\name\nx: " HOST3 ": no credentials yet (sink update failing)\n",
               "the failing sink is named, the good one is fine with stale_before 60s");
    free(text);
    metrics_pushed(m, 1, ECD_OK, sets, 2, NOW + 2);
    text = health(m, NOW, 60, &ok);
    tap_ok(ok == 1 && !strcmp(text, ""), "every sink holds fresh credentials: healthy, no lines");
    free(text);

    /* HOST2 expires at NOW+100: stale with stale_before 600, then expired. */
    metrics_fetched(m, 0, ECD_ETRANSPORT, NULL, NOW + 10);
    text = health(m, NOW, 600, &ok);
    tap_ok(ok == 0, "a host within stale_before: unhealthy");
    tap_str_eq(text,
               "sink docker-0: " HOST2 " expires in 1m40s (refresh failing: transport)\n"
               "sink we\"ird\\name\nx: " HOST2 " expires in 1m40s (refresh failing: transport)\n",
               "stale: time left and the group's failure");
    free(text);
    text = health(m, NOW + 105, 600, &ok);
    tap_ok(has_line(text, "sink docker-0: " HOST2 " expired 5s ago (refresh failing: transport)"),
           "expired: 'expired 5s ago'");
    free(text);

    text = render(m, NOW + 10);
    check_line(text, "# TYPE ecr_credd_credentials_expiry_seconds gauge");
    check_line(text, "ecr_credd_credentials_expiry_seconds{registry=\"" HOST1
                     "\",sink=\"docker-0\"} 3590");
    check_line(text, "ecr_credd_credentials_expiry_seconds{registry=\"" HOST2
                     "\",sink=\"we\\\"ird\\\\name\\nx\"} 90");
    check_line(text, "ecr_credd_credentials_expiry_timestamp_seconds{registry=\"" HOST3
                     "\",sink=\"docker-0\"} 1800007200");
    check_line(text, "# TYPE ecr_credd_refreshes_total counter");
    check_line(text, "ecr_credd_refreshes_total{group=\"registries[0]\"} 1");
    check_line(text, "ecr_credd_refreshes_total{group=\"registries[1], registries[2]\"} 1");
    check_line(text, "ecr_credd_refresh_failing{group=\"registries[0]\"} 1");
    check_line(text, "ecr_credd_refresh_failing{group=\"registries[1], registries[2]\"} 0");
    check_line(text, "ecr_credd_failures_total{kind=\"throttled\"} 1");
    check_line(text, "ecr_credd_failures_total{kind=\"auth\"} 1");
    check_line(text, "ecr_credd_failures_total{kind=\"transport\"} 1");
    check_line(text, "ecr_credd_failures_total{kind=\"other\"} 0");
    check_line(text, "ecr_credd_sink_failures_total{sink=\"we\\\"ird\\\\name\\nx\"} 1");
    check_line(text, "ecr_credd_last_success_timestamp_seconds{sink=\"docker-0\"} 1800000001");
    check_line(text, "ecr_credd_healthy 0");
    check_line(text, "ecr_credd_build_info{version=\"" ECD_VERSION "\"} 1");
    tap_ok(!strstr(text, "AWS:") && text[strlen(text) - 1] == '\n',
           "render: ends with a newline, no secret");
    free(text);

    /* Reload: group 0 keeps its label (and counter), sink 1 goes, a new sink comes;
     * docker-0 keeps what it holds. */
    {
        static const char *const labels2[] = {"registries[0]"};
        static const char *const names2[] = {"docker-0", "new"};

        fake_plan(&fp2, labels2, 1, names2, 2);
        tap_ok(metrics_set_plan(m, &fp2.plan) == ECD_OK, "reload: metrics_set_plan");
        metrics_group_token(m, 0, a, 1);
        text = health(m, NOW, 600, &ok);
        tap_str_eq(text,
                   "sink docker-0: " HOST2 " expires in 1m40s (refresh failing)\n"
                   "sink new: " HOST1 ": no credentials yet (refresh failing)\n"
                   "sink new: " HOST2 ": no credentials yet (refresh failing)\n",
                   "reload: holdings kept by sink name, carried token without a kind");
        free(text);
        metrics_fetched(m, 0, ECD_OK, a, NOW);
        text = render(m, NOW);
        check_line(text, "ecr_credd_refreshes_total{group=\"registries[0]\"} 2");
        check_line(text, "ecr_credd_sink_failures_total{sink=\"new\"} 0");
        tap_ok(!strstr(text, "ird"), "reload: the removed sink's series are gone");
        tap_ok(!strstr(text, "registries[2]"), "reload: the removed group's series are gone");
        free(text);
        metrics_fetched(m, 5, ECD_OK, a, NOW);       /* out of range: ignored */
        metrics_pushed(m, 7, ECD_EIO, NULL, 0, NOW); /* likewise */
        metrics_group_token(m, 0, NULL, 0);          /* NULL: ignored */
        tap_ok(1, "out-of-range indices and NULL tokens are ignored");
        fake_plan_free(&fp2);
    }

    token_set_unref(a);
    token_set_unref(b);
    metrics_free(m);
    metrics_free(NULL);
    fake_plan_free(&fp);
    return tap_done();
}
