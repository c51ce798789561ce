/*
 * test_norm.c - the layer norm and the max-subtracted softmax index of
 * compiler/norm.c (docs/numerics.md 7.1 and 4.5), three ways: ln_ref
 * against the definition written out here with a brute-force square root,
 * and the circuit (ln_lower, softmax_center) against ln_ref, exhaustively
 * over every input vector for small p and d, and on random vectors at
 * p = 8.  Also checks that the layer norm's depth is at most 3 over its
 * inputs (the thermometers of x and S, r, the quotient).
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x15a7e11f00dull;

static int val_depth(const Circuit *c, const Val *v) {
    int d = 0;
    for (int i = 0; i < v->form.n; i++)
        if (c->gates[v->form.t[i].src].level > d) d = c->gates[v->form.t[i].src].level;
    return d;
}

/* The definition of numerics 7.1, spelled out independently of norm.c. */
static void ln_def(const LayerNorm *ln, int p, int d, const int64_t *x, int64_t *y) {
    int64_t S = 0, Q = 0;
    for (int c = 0; c < d; c++) S += x[c];
    for (int c = 0; c < d; c++) Q += (d * x[c] - S) * (d * x[c] - S);
    int64_t D = d * Q + ln->eps, lo = 0, hi = 1;
    while (hi * hi <= D) hi *= 2; /* r in [lo, hi) */
    while (hi - lo > 1) {
        int64_t mid = (lo + hi) / 2;
        if (mid * mid <= D) lo = mid;
        else hi = mid;
    }
    int64_t den = lo << ln->shift;
    for (int c = 0; c < d; c++) {
        int64_t num = ln->gamma[c] * d * (d * x[c] - S), q = num / den;
        if (q * den > num) q--; /* toward minus infinity */
        int64_t v = ln->beta[c] + q;
        y[c] = v < pmin(p) ? pmin(p) : v > pmax(p) ? pmax(p) : v;
    }
}

static int64_t decode(const Val *v, const uint64_t *out, int *k, int l) {
    int64_t x = v->lo;
    for (int b = 0; b < v->nbits; b++) x += (int64_t)((out[(*k)++] >> l) & 1) << b;
    return x;
}

/* Builds LN over d p-bit inputs; checks circuit = ln_ref = ln_def. */
static void test_ln(int p, int d, const LayerNorm *ln, long count) {
    Circuit *c = ir_new(d * p);
    Val x[8];
    for (int k = 0; k < d; k++) {
        GateId bits[16];
        for (int b = 0; b < p; b++) bits[b] = ir_input(k * p + b);
        x[k] = val_from_twos(bits, p);
    }
    ln_lower(c, ln, p, d, x);
    int depth = 0;
    for (int k = 0; k < d; k++) depth = val_depth(c, &x[k]) > depth ? val_depth(c, &x[k]) : depth;
    CHECK(depth <= 3, "ln p=%d d=%d: depth %d > 3", p, d, depth);
    for (int k = 0; k < d; k++) {
        val_bits(c, &x[k]);
        for (int b = 0; b < x[k].nbits; b++) ir_add_output(c, x[k].bits[b]);
    }
    CHECK(ir_check(c) == NULL, "ln p=%d d=%d: checker", p, d);
    Evaluator *e = eval_new(c);
    bool exhaustive = count <= 0;
    long total = exhaustive ? 1L << (d * p) : count, bad = 0;
    uint64_t in[128], out[1024];
    int64_t vals[64][8];
    for (long base = 0; base < total; base += 64) {
        memset(in, 0, sizeof in);
        for (int l = 0; l < 64; l++) {
            long idx = base + l < total ? base + l : base;
            for (int k = 0; k < d; k++) {
                uint64_t u =
                    exhaustive ? ((uint64_t)idx >> (k * p)) & ((1u << p) - 1) : rng_next(&rng) & ((1u << p) - 1);
                vals[l][k] = (int64_t)u - ((u >> (p - 1)) ? ((int64_t)1 << p) : 0);
                for (int b = 0; b < p; b++) in[k * p + b] |= ((u >> b) & 1) << l;
            }
        }
        eval_run(e, in, out);
        for (int l = 0; l < 64 && base + l < total; l++) {
            int64_t want[8], ref[8];
            memcpy(ref, vals[l], sizeof ref);
            ln_ref(ln, p, d, ref);
            ln_def(ln, p, d, vals[l], want);
            int kk = 0;
            for (int k = 0; k < d; k++) {
                int64_t got = decode(&x[k], out, &kk, l);
                if ((got != ref[k] || ref[k] != want[k]) && bad++ < 5)
                    CHECK(0, "ln p=%d d=%d input %ld channel %d: circuit %lld, ln_ref %lld, definition %lld", p, d,
                          base + l, k, (long long)got, (long long)ref[k], (long long)want[k]);
            }
        }
    }
    CHECK(bad == 0, "ln p=%d d=%d: %ld mismatches", p, d, bad);
    printf("  ln p=%d d=%d gamma0=%lld shift=%d eps=%lld: %ld vectors%s, %d gates, depth %d\n", p, d,
           (long long)ln->gamma[0], ln->shift, (long long)ln->eps, total, exhaustive ? " (all)" : "",
           c->n_gates - 2 - c->n_inputs, depth);
    eval_free(e);
    for (int k = 0; k < d; k++) val_free(&x[k]);
    ir_free(c);
}

/* softmax_center: s_j - max + pmax over cnt p-bit scores, exhaustively. */
static void test_center(int p, int cnt) {
    Circuit *c = ir_new(cnt * p);
    Val s[4];
    for (int k = 0; k < cnt; k++) {
        GateId bits[16];
        for (int b = 0; b < p; b++) bits[b] = ir_input(k * p + b);
        s[k] = val_from_twos(bits, p);
    }
    softmax_center(c, s, cnt, p);
    for (int k = 0; k < cnt; k++) {
        CHECK(s[k].lo >= pmin(p) && s[k].hi <= pmax(p), "center: range [%lld, %lld]", (long long)s[k].lo,
              (long long)s[k].hi);
        val_bits(c, &s[k]);
        for (int b = 0; b < s[k].nbits; b++) ir_add_output(c, s[k].bits[b]);
    }
    Evaluator *e = eval_new(c);
    long total = 1L << (cnt * p), bad = 0;
    uint64_t in[64], out[256];
    for (long base = 0; base < total; base += 64) {
        memset(in, 0, sizeof in);
        for (int l = 0; l < 64 && base + l < total; l++)
            for (int i = 0; i < cnt * p; i++) in[i] |= (((uint64_t)(base + l) >> i) & 1) << l;
        eval_run(e, in, out);
        for (int l = 0; l < 64 && base + l < total; l++) {
            int64_t v[4], mx = INT64_MIN;
            for (int k = 0; k < cnt; k++) {
                uint64_t u = ((uint64_t)(base + l) >> (k * p)) & ((1u << p) - 1);
                v[k] = (int64_t)u - ((u >> (p - 1)) ? ((int64_t)1 << p) : 0);
                mx = v[k] > mx ? v[k] : mx;
            }
            int kk = 0;
            for (int k = 0; k < cnt; k++)
                if (decode(&s[k], out, &kk, l) != v[k] - mx + pmax(p)) bad++;
        }
    }
    CHECK(bad == 0, "center p=%d cnt=%d: %ld mismatches", p, cnt, bad);
    printf("  center p=%d cnt=%d: %ld inputs (all)\n", p, cnt, total);
    eval_free(e);
    for (int k = 0; k < cnt; k++) val_free(&s[k]);
    ir_free(c);
}

static void params(LayerNorm *ln, int p, int d, int kind, int64_t *g, int64_t *b) {
    for (int k = 0; k < d; k++) {
        int64_t lim = (int64_t)1 << (p + 1);
        g[k] = kind == 0 ? 1 << (p - 1) : (int64_t)(rng_next(&rng) % (uint64_t)(2 * lim + 1)) - lim;
        b[k] = kind == 0 ? 0 : (int64_t)(rng_next(&rng) % (uint64_t)(1 << p)) + pmin(p);
    }
    if (kind == 2) g[0] = 0; /* a channel with gamma 0 is the constant sat(beta) */
    ln->present = true;
    ln->gamma = g;
    ln->beta = b;
    ln->shift = kind == 0 ? 0 : (int)(rng_next(&rng) % 4);
    ln->eps = kind == 0 ? 1 : kind == 1 ? (int64_t)(rng_next(&rng) % 1000) + 1 : (int64_t)1 << 12;
}

int main(void) {
    static const int exh[][2] = {{2, 1}, {2, 2}, {2, 3}, {2, 4}, {3, 2}, {3, 3}, {4, 2}, {4, 3}, {5, 2}, {6, 2}};
    for (size_t t = 0; t < sizeof exh / sizeof exh[0]; t++)
        for (int kind = 0; kind < 3; kind++) {
            int64_t g[8], b[8];
            LayerNorm ln;
            params(&ln, exh[t][0], exh[t][1], kind, g, b);
            test_ln(exh[t][0], exh[t][1], &ln, 0);
        }
    for (int kind = 0; kind < 3; kind++) { /* p = 8, random */
        int64_t g[8], b[8];
        LayerNorm ln;
        params(&ln, 8, 4, kind, g, b);
        test_ln(8, 4, &ln, 8000);
    }
    test_center(2, 3);
    test_center(3, 3);
    test_center(4, 2);
    CHECK(isqrt64(0) == 0 && isqrt64(3) == 1 && isqrt64(4) == 2, "isqrt64 small");
    int64_t big = ((int64_t)1 << 62) + ((int64_t)1 << 40);
    int64_t r = isqrt64(big);
    CHECK((uint64_t)r * (uint64_t)r <= (uint64_t)big && (uint64_t)(r + 1) * (uint64_t)(r + 1) > (uint64_t)big,
          "isqrt64(2^62 + 2^40) = %lld", (long long)r);
    return check_done("test_norm");
}
