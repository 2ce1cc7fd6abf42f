/* SPDX-License-Identifier: MIT */
/* AWS SigV4 header signing; see sigv4.h and protocols.md 2.  Every public stage runs
 * sigv4_prepare(), which builds the canonical request once and remembers what the later
 * stages need (the date and the signed header list). */
#include "sigv4.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_TERMINATOR "aws4_request"

/* What one request canonicalises to.  creq may hold the session token: wiped. */
struct sigv4_work {
    struct buf creq;           /* owned; the canonical request */
    struct buf signed_headers; /* owned; "host;x-amz-date" */
    char date[SIGV4_DATE_LEN + 1];
};

/* One header to sign: the lower-cased name and where it came from. */
struct canon_header {
    char *name;        /* owned */
    const char *value; /* borrowed from the request */
    size_t index;      /* position in the request, so equal names keep their order */
};

/* Headers botocore never signs (protocols.md 1.1), plus Authorization itself, so that
 * re-signing a request does not sign its old signature. */
static const char *const unsigned_headers[] = {
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 9110 tchar: the characters of a field name or method. */
static int is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_space(char c)
{
    /* CR and LF count so that a folded (multi-line) value collapses like the suite's
     * get-header-value-multiline expects. */
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int is_token(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* Region, service and key id end up between '/' in the scope and inside a header. */
static int is_scope_part(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == ';' || c == '=')
            return 0;
    }
    return 1;
}

static int is_amz_date(const char *s, size_t len)
{
    size_t i;

    if (len != SIGV4_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
        return 0;
    for (i = 0; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

/* Shrink b back to len bytes, wiping what is cut off; for rollback on failure. */
static void truncate_wipe(struct buf *b, size_t len)
{
    if (!b->ptr || b->len <= len)
        return;
    OPENSSL_cleanse(b->ptr + len, b->len - len);
    b->len = len;
    b->ptr[len] = '\0';
}

static enum ecd_status append_pct(struct buf *b, unsigned char c)
{
    static const char digits[] = "0123456789ABCDEF";
    char esc[3] = {'%', digits[c >> 4], digits[c & 0x0f]};

    return buf_append(b, esc, sizeof(esc));
}

/* Percent-encode s[0..len) for the canonical URI.  With keep_escapes (S3), an existing
 * "%XX" is copied as it is instead of becoming "%25XX". */
static enum ecd_status append_uri_path(struct buf *b, const char *s, size_t len, int keep_escapes)
{
    enum ecd_status st = ECD_OK;
    size_t i;

    for (i = 0; i < len && !st; i++) {
        unsigned char c = (unsigned char)s[i];

        if (is_unreserved(c) || c == '/')
            st = buf_append(b, &s[i], 1);
        else if (keep_escapes && c == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 &&
                 hex_value(s[i + 2]) >= 0)
            st = buf_append(b, &s[i], 1);
        else
            st = append_pct(b, c);
    }
    return st;
}

/* Remove "." and ".." segments (RFC 3986 5.2.4) and empty segments (repeated slashes)
 * from an absolute path; the result keeps a trailing slash when the input had one or
 * ended in a dot segment, and is "/" when nothing remains. */
static enum ecd_status append_normalized_path(struct buf *b, const char *path)
{
    size_t base = b->len;
    int trailing = 0;
    const char *p = path;
    enum ecd_status st = ECD_OK;

    while (*p && !st) {
        const char *seg;
        size_t n;

        p++; /* the '/' */
        seg = p;
        while (*p && *p != '/')
            p++;
        n = (size_t)(p - seg);
        trailing = (n == 0 && !*p) || (n == 1 && seg[0] == '.') ||
                   (n == 2 && seg[0] == '.' && seg[1] == '.');
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            /* Drop the last "/segment" written, if any. */
            size_t end = b->len;

            while (end > base && b->ptr[end - 1] != '/')
                end--;
            if (end > base)
                end--;
            truncate_wipe(b, end);
            continue;
        }
        st = buf_append(b, "/", 1);
        if (!st)
            st = buf_append(b, seg, n);
    }
    if (!st && (b->len == base || trailing))
        st = buf_append(b, "/", 1);
    return st;
}

static enum ecd_status append_canonical_uri(struct buf *out, const char *path, int normalize)
{
    struct buf norm;
    enum ecd_status st;

    if (!path || !*path)
        path = "/";
    if (path[0] != '/')
        return ECD_EINVAL;
    if (!normalize)
        return append_uri_path(out, path, strlen(path), 1);
    buf_init(&norm, SIGV4_MAX_TEXT);
    st = append_normalized_path(&norm, path);
    if (!st)
        st = append_uri_path(out, norm.ptr, norm.len, 0);
    buf_wipe(&norm);
    return st;
}

/* Decode the %-escapes of s[0..len) and encode the bytes again with the unreserved set. */
static enum ecd_status append_query_part(struct buf *b, const char *s, size_t len)
{
    enum ecd_status st = ECD_OK;
    size_t i;

    for (i = 0; i < len && !st; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;

            if (hi < 0 || lo < 0)
                return ECD_EINVAL;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        st = is_unreserved(c) ? buf_append(b, &c, 1) : append_pct(b, c);
    }
    return st;
}

struct query_pair {
    size_t key;   /* offset of the encoded key in the scratch buffer */
    size_t value; /* offset of the encoded value */
    const char *k, *v;
};

static int query_pair_cmp(const void *a, const void *b)
{
    const struct query_pair *x = a, *y = b;
    int c = strcmp(x->k, y->k);

    return c ? c : strcmp(x->v, y->v);
}

/* Canonical query string (2.2): encoded pairs sorted by key, then value, "k=v" joined
 * with '&'.  Sorting the joined "k=v" strings would be wrong: "a-b=1" sorts before
 * "a=1" although key "a" sorts before "a-b". */
static enum ecd_status append_canonical_query(struct buf *out, const char *query)
{
    struct buf scratch;
    struct query_pair *pairs = NULL;
    size_t n = 0, cap = 1, i;
    const char *p;
    enum ecd_status st = ECD_OK;

    if (!query || !*query)
        return ECD_OK;
    for (p = query; *p; p++)
        cap += *p == '&';
    if (cap > SIGV4_MAX_TEXT)
        return ECD_ENOMEM;
    pairs = calloc(cap, sizeof(*pairs));
    if (!pairs)
        return ECD_ENOMEM;
    buf_init(&scratch, SIGV4_MAX_TEXT);

    /* Encode every pair into scratch as "key\0value\0", remembering offsets (the buffer
     * may move while it grows, so pointers are taken afterwards). */
    p = query;
    while (*p && !st) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *kend = eq ? eq : end;

        if (end > p) {
            pairs[n].key = scratch.len;
            st = append_query_part(&scratch, p, (size_t)(kend - p));
            if (!st)
                st = buf_append(&scratch, "", 1);
            pairs[n].value = scratch.len;
            if (!st && eq)
                st = append_query_part(&scratch, eq + 1, (size_t)(end - eq - 1));
            if (!st)
                st = buf_append(&scratch, "", 1);
            n++;
        }
        p = amp ? amp + 1 : end;
    }
    if (st)
        goto out;
    for (i = 0; i < n; i++) {
        pairs[i].k = scratch.ptr + pairs[i].key;
        pairs[i].v = scratch.ptr + pairs[i].value;
    }
    qsort(pairs, n, sizeof(*pairs), query_pair_cmp);
    for (i = 0; i < n && !st; i++)
        st = buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].k, pairs[i].v);
out:
    buf_wipe(&scratch);
    free(pairs);
    return st;
}

static int canon_header_cmp(const void *a, const void *b)
{
    const struct canon_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int is_unsigned_header(const char *lname)
{
    size_t i;

    for (i = 0; i < sizeof(unsigned_headers) / sizeof(unsigned_headers[0]); i++)
        if (strcmp(lname, unsigned_headers[i]) == 0)
            return 1;
    return 0;
}

/* Append value with leading and trailing whitespace removed and inner runs collapsed
 * to one space (the "trimall" of 2.2). */
static enum ecd_status append_trimmed(struct buf *b, const char *v)
{
    enum ecd_status st = ECD_OK;
    int pending_space = 0;

    while (is_space(*v))
        v++;
    for (; *v && !st; v++) {
        if (is_space(*v)) {
            pending_space = 1;
            continue;
        }
        if (pending_space)
            st = buf_append(b, " ", 1);
        pending_space = 0;
        if (!st)
            st = buf_append(b, v, 1);
    }
    return st;
}

/* Where a header's canonical value sits in creq, for the headers we check. */
struct seen_header {
    size_t count; /* header lines with this name */
    size_t off, len;
};

/* Canonical header block ("name:value\n" lines and the blank line after them) into
 * w->creq, the signed header list into w->signed_headers, and the payload hash line. */
static enum ecd_status append_headers_and_hash(struct sigv4_work *w,
                                               const struct sigv4_request *req)
{
    struct canon_header *hs = NULL;
    struct seen_header host = {0, 0, 0}, date = {0, 0, 0}, sha = {0, 0, 0};
    char body_hash[CRYPTO_SHA256_HEX_LEN + 1];
    size_t n = 0, i, j;
    enum ecd_status st = ECD_OK;

    if (req->n_headers > SIGV4_MAX_HEADERS || (req->n_headers && !req->headers))
        return ECD_EINVAL;
    hs = calloc(req->n_headers ? req->n_headers : 1, sizeof(*hs));
    if (!hs)
        return ECD_ENOMEM;
    for (i = 0; i < req->n_headers; i++) {
        const struct sigv4_header *h = &req->headers[i];
        char *lname;

        if (!is_token(h->name) || !h->value) {
            st = ECD_EINVAL;
            goto out;
        }
        lname = strdup(h->name);
        if (!lname) {
            st = ECD_ENOMEM;
            goto out;
        }
        for (j = 0; lname[j]; j++)
            if (lname[j] >= 'A' && lname[j] <= 'Z')
                lname[j] = (char)(lname[j] - 'A' + 'a');
        if (is_unsigned_header(lname)) {
            free(lname);
            continue;
        }
        hs[n].name = lname;
        hs[n].value = h->value;
        hs[n].index = i;
        n++;
    }
    qsort(hs, n, sizeof(*hs), canon_header_cmp);

    for (i = 0; i < n && !st; i = j) {
        struct seen_header *seen = NULL;
        size_t off;

        if (strcmp(hs[i].name, "host") == 0)
            seen = &host;
        else if (strcmp(hs[i].name, "x-amz-date") == 0)
            seen = &date;
        else if (strcmp(hs[i].name, "x-amz-content-sha256") == 0)
            seen = &sha;
        st = buf_printf(&w->creq, "%s:", hs[i].name);
        if (!st)
            st = buf_printf(&w->signed_headers, "%s%s", i ? ";" : "", hs[i].name);
        off = w->creq.len;
        for (j = i; j < n && !st && strcmp(hs[j].name, hs[i].name) == 0; j++) {
            if (j > i)
                st = buf_append(&w->creq, ",", 1);
            if (!st)
                st = append_trimmed(&w->creq, hs[j].value);
        }
        if (seen) {
            seen->count += j - i;
            seen->off = off;
            seen->len = w->creq.len - off;
        }
        if (!st)
            st = buf_append(&w->creq, "\n", 1);
    }
    if (st)
        goto out;

    /* Host and X-Amz-Date are mandatory (2.1); the date also gives the scope. */
    if (host.count != 1 || host.len == 0 || date.count != 1 ||
        !is_amz_date(w->creq.ptr + date.off, date.len) || sha.count > 1 ||
        (sha.count && sha.len == 0)) {
        st = ECD_EINVAL;
        goto out;
    }
    memcpy(w->date, w->creq.ptr + date.off, SIGV4_DATE_LEN);
    w->date[SIGV4_DATE_LEN] = '\0';

    st = buf_printf(&w->creq, "\n%s\n", buf_str(&w->signed_headers));
    if (st)
        goto out;
    if (sha.count) {
        /* The caller chose the payload hash (UNSIGNED-PAYLOAD, or a precomputed one). */
        st = buf_append(&w->creq, w->creq.ptr + sha.off, sha.len);
    } else {
        if (req->body_len && !req->body) {
            st = ECD_EINVAL;
            goto out;
        }
        st = crypto_sha256_hex(req->body, req->body_len, body_hash);
        if (!st)
            st = buf_append(&w->creq, body_hash, CRYPTO_SHA256_HEX_LEN);
    }
out:
    for (i = 0; i < n; i++)
        free(hs[i].name);
    free(hs);
    return st;
}

static void sigv4_work_deinit(struct sigv4_work *w)
{
    buf_wipe(&w->creq);
    buf_wipe(&w->signed_headers);
    OPENSSL_cleanse(w->date, sizeof(w->date));
}

/* Build the canonical request.  w is initialised here and must be deinitialised by the
 * caller whatever the result. */
static enum ecd_status sigv4_prepare(struct sigv4_work *w, const struct sigv4_request *req,
                                     const struct sigv4_params *params)
{
    enum ecd_status st;
    size_t i;

    buf_init(&w->creq, SIGV4_MAX_TEXT);
    buf_init(&w->signed_headers, SIGV4_MAX_TEXT);
    w->date[0] = '\0';
    if (!req || !params || !is_token(req->method))
        return ECD_EINVAL;

    st = buf_append_str(&w->creq, req->method);
    for (i = 0; !st && i < w->creq.len; i++)
        if (w->creq.ptr[i] >= 'a' && w->creq.ptr[i] <= 'z')
            w->creq.ptr[i] = (char)(w->creq.ptr[i] - 'a' + 'A');
    if (!st)
        st = buf_append(&w->creq, "\n", 1);
    if (!st)
        st = append_canonical_uri(&w->creq, req->path, params->normalize_path);
    if (!st)
        st = buf_append(&w->creq, "\n", 1);
    if (!st)
        st = append_canonical_query(&w->creq, req->query);
    if (!st)
        st = buf_append(&w->creq, "\n", 1);
    if (!st)
        st = append_headers_and_hash(w, req);
    return st;
}

/* The string to sign for a prepared request, into out (appended). */
static enum ecd_status append_string_to_sign(struct buf *out, const struct sigv4_work *w,
                                             const struct sigv4_params *params)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    enum ecd_status st;

    if (!is_scope_part(params->region) || !is_scope_part(params->service))
        return ECD_EINVAL;
    st = crypto_sha256_hex(w->creq.ptr, w->creq.len, hash);
    if (!st)
        st = buf_printf(out, SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/" SCOPE_TERMINATOR "\n%s", w->date,
                        w->date, params->region, params->service, hash);
    return st;
}

/* The hex signature for a prepared request.  One exit so that every path wipes the
 * signing key and the string to sign. */
static enum ecd_status compute_signature(const struct sigv4_work *w,
                                         const struct sigv4_params *params,
                                         char hex_out[CRYPTO_SHA256_HEX_LEN + 1])
{
    unsigned char k_signing[CRYPTO_SHA256_LEN];
    unsigned char sig[CRYPTO_SHA256_LEN];
    struct buf sts;
    char date8[9];
    enum ecd_status st;

    hex_out[0] = '\0';
    buf_init(&sts, SIGV4_MAX_TEXT);
    memcpy(date8, w->date, 8);
    date8[8] = '\0';
    st = append_string_to_sign(&sts, w, params);
    if (st)
        goto out;
    st = sigv4_signing_key(params->secret_key, date8, params->region, params->service, k_signing);
    if (st)
        goto out;
    st = crypto_hmac_sha256(k_signing, sizeof(k_signing), sts.ptr, sts.len, sig);
    if (st)
        goto out;
    crypto_hex(sig, sizeof(sig), hex_out);
out:
    OPENSSL_cleanse(k_signing, sizeof(k_signing));
    OPENSSL_cleanse(sig, sizeof(sig));
    buf_wipe(&sts);
    return st;
}

enum ecd_status sigv4_format_date(time_t when, char out[SIGV4_DATE_LEN + 1])
{
    struct tm tm;

    out[0] = '\0';
    if (!gmtime_r(&when, &tm) || tm.tm_year < 1000 - 1900 || tm.tm_year > 9999 - 1900)
        return ECD_EINVAL;
    if (strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != SIGV4_DATE_LEN) {
        out[0] = '\0';
        return ECD_EINVAL;
    }
    return ECD_OK;
}

enum ecd_status sigv4_canonical_request(const struct sigv4_request *req,
                                        const struct sigv4_params *params, struct buf *out)
{
    struct sigv4_work w;
    enum ecd_status st;

    st = sigv4_prepare(&w, req, params);
    if (!st)
        st = buf_append(out, w.creq.ptr, w.creq.len);
    sigv4_work_deinit(&w);
    return st;
}

enum ecd_status sigv4_string_to_sign(const struct sigv4_request *req,
                                     const struct sigv4_params *params, struct buf *out)
{
    struct sigv4_work w;
    size_t old_len = out->len;
    enum ecd_status st;

    st = sigv4_prepare(&w, req, params);
    if (!st)
        st = append_string_to_sign(out, &w, params);
    if (st)
        truncate_wipe(out, old_len);
    sigv4_work_deinit(&w);
    return st;
}

enum ecd_status sigv4_signature(const struct sigv4_request *req, const struct sigv4_params *params,
                                char hex_out[CRYPTO_SHA256_HEX_LEN + 1])
{
    struct sigv4_work w;
    enum ecd_status st;

    hex_out[0] = '\0';
    st = sigv4_prepare(&w, req, params);
    if (!st)
        st = compute_signature(&w, params, hex_out);
    sigv4_work_deinit(&w);
    return st;
}

enum ecd_status sigv4_authorization(const struct sigv4_request *req,
                                    const struct sigv4_params *params, struct buf *out)
{
    struct sigv4_work w;
    char sig[CRYPTO_SHA256_HEX_LEN + 1];
    size_t old_len = out->len;
    enum ecd_status st;

    sig[0] = '\0';
    st = sigv4_prepare(&w, req, params);
    if (st)
        goto out;
    if (!is_scope_part(params->access_key_id)) {
        st = ECD_EINVAL;
        goto out;
    }
    st = compute_signature(&w, params, sig);
    if (st)
        goto out;
    st = buf_printf(out,
                    SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/" SCOPE_TERMINATOR
                                    ", SignedHeaders=%s, Signature=%s",
                    params->access_key_id, w.date, params->region, params->service,
                    buf_str(&w.signed_headers), sig);
out:
    if (st)
        truncate_wipe(out, old_len);
    OPENSSL_cleanse(sig, sizeof(sig));
    sigv4_work_deinit(&w);
    return st;
}

enum ecd_status sigv4_signing_key(const struct secret *secret_key, const char *date,
                                  const char *region, const char *service,
                                  unsigned char key[CRYPTO_SHA256_LEN])
{
    unsigned char k_date[CRYPTO_SHA256_LEN];
    unsigned char k_region[CRYPTO_SHA256_LEN];
    unsigned char k_service[CRYPTO_SHA256_LEN];
    unsigned char *k_secret = NULL; /* "AWS4" + secret access key */
    size_t k_secret_len = 0, i;
    enum ecd_status st = ECD_EINVAL;

    /* Zero the chain first so the cleanup below never reads indeterminate bytes. */
    memset(k_date, 0, sizeof(k_date));
    memset(k_region, 0, sizeof(k_region));
    memset(k_service, 0, sizeof(k_service));
    if (!secret_key || !secret_key->ptr || !date || strlen(date) != 8 || !is_scope_part(region) ||
        !is_scope_part(service))
        goto out;
    for (i = 0; i < 8; i++)
        if (date[i] < '0' || date[i] > '9')
            goto out;
    if (secret_key->len > SIZE_MAX - 4) {
        st = ECD_ENOMEM;
        goto out;
    }
    k_secret_len = 4 + secret_key->len;
    k_secret = malloc(k_secret_len);
    if (!k_secret) {
        st = ECD_ENOMEM;
        goto out;
    }
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret_key->ptr, secret_key->len);

    st = crypto_hmac_sha256(k_secret, k_secret_len, date, 8, k_date);
    if (st)
        goto out;
    st = crypto_hmac_sha256(k_date, sizeof(k_date), region, strlen(region), k_region);
    if (st)
        goto out;
    st = crypto_hmac_sha256(k_region, sizeof(k_region), service, strlen(service), k_service);
    if (st)
        goto out;
    st = crypto_hmac_sha256(k_service, sizeof(k_service), SCOPE_TERMINATOR,
                            sizeof(SCOPE_TERMINATOR) - 1, key);
out:
    OPENSSL_cleanse(k_date, sizeof(k_date));
    OPENSSL_cleanse(k_region, sizeof(k_region));
    OPENSSL_cleanse(k_service, sizeof(k_service));
    if (k_secret) {
        OPENSSL_cleanse(k_secret, k_secret_len);
        free(k_secret);
    }
    if (st)
        OPENSSL_cleanse(key, CRYPTO_SHA256_LEN);
    return st;
}
