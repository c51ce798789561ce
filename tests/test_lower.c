/*
 * test_lower.c - every lowering primitive against plain integer arithmetic:
 * exhaustively over all inputs for p = 2..6 (both signs, saturation edges,
 * z = 0, ties) and on 10^5 random inputs at p = 8.  Each test also checks
 * the primitive's stated gate count and depth.
 *
 * A test circuit has k p-bit two's complement inputs; the primitive's
 * result is read back through its offset-binary bits (val_bits).
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

enum { MAXK = 4 };

typedef struct {
    const char *name;
    int k; /* operands */
    int p;
    /* builds the result from operand Vals; may set want_gates and want_depth
     * (-1: not checked) */
    Val (*build)(Circuit *c, Val *x, int p, int64_t *want_gates, int *want_depth);
    /* reference; returns 0 to skip an input (outside the primitive's domain) */
    int (*ref)(const int64_t *x, int p, int64_t *out);
} Prim;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) { return rng_next(&rng); }

static int val_depth(const Circuit *c, const Val *v) {
    int d = 0;
    for (int i = 0; i < v->form.n; i++)
        if (c->gates[v->form.t[i].src].level > d) d = c->gates[v->form.t[i].src].level;
    return d;
}

/* Builds, checks gates/depth, then evaluates on `count` inputs (all when
 * exhaustive). */
static void run_prim(const Prim *P, int p, int exhaustive, long count) {
    int k = P->k;
    Circuit *c = ir_new(k * p);
    Val x[MAXK];
    for (int i = 0; i < k; i++) {
        GateId bits[64];
        for (int b = 0; b < p; b++) bits[b] = ir_input(i * p + b);
        x[i] = val_from_twos(bits, p);
    }
    int32_t before = c->n_gates - c->n_sums;
    int64_t want_gates = -1;
    int want_depth = -1;
    Val r = P->build(c, x, p, &want_gates, &want_depth);
    int64_t made = c->n_gates - c->n_sums - before; /* threshold gates, not sum nodes */
    int depth = val_depth(c, &r);
    if (want_gates >= 0)
        CHECK(made == want_gates, "%s p=%d: %lld gates, formula says %lld", P->name, p, (long long)made,
              (long long)want_gates);
    if (want_depth >= 0)
        CHECK(depth == want_depth, "%s p=%d: depth %d, formula says %d", P->name, p, depth, want_depth);
    printf("  %-12s p=%d: %6lld gates, depth %d\n", P->name, p, (long long)made, depth);
    val_bits(c, &r);
    for (int b = 0; b < r.nbits; b++) ir_add_output(c, r.bits[b]);
    const char *err = ir_check(c);
    CHECK(err == NULL, "%s p=%d: checker: %s", P->name, p, err ? err : "");
    Evaluator *e = eval_new(c);
    long total = exhaustive ? 1L << (k * p) : count;
    uint64_t in[MAXK * 16], out[64];
    int64_t vals[64][MAXK];
    long bad = 0, checked = 0;
    for (long base = 0; base < total; base += 64) {
        memset(in, 0, sizeof in);
        for (int l = 0; l < 64; l++) {
            long idx = base + l < total ? base + l : base;
            for (int i = 0; i < k; i++) {
                uint64_t u = exhaustive ? ((uint64_t)idx >> (i * p)) & ((1u << p) - 1) : next_rand() & ((1u << p) - 1);
                vals[l][i] = (int64_t)u - ((u >> (p - 1)) ? ((int64_t)1 << p) : 0);
                for (int b = 0; b < p; b++) in[i * p + b] |= ((u >> b) & 1) << l;
            }
        }
        eval_run(e, in, out);
        for (int l = 0; l < 64 && base + l < total; l++) {
            int64_t want;
            if (!P->ref(vals[l], p, &want)) continue;
            int64_t got = r.lo;
            for (int b = 0; b < r.nbits; b++) got += (int64_t)((out[b] >> l) & 1) << b;
            checked++;
            if (got != want && bad++ < 3)
                CHECK(0, "%s p=%d inputs (%lld, %lld, %lld): circuit %lld, reference %lld", P->name, p,
                      (long long)vals[l][0], (long long)(k > 1 ? vals[l][1] : 0), (long long)(k > 2 ? vals[l][2] : 0),
                      (long long)got, (long long)want);
        }
    }
    CHECK(bad == 0, "%s p=%d: %ld of %ld inputs wrong", P->name, p, bad, checked);
    CHECK(checked > 0, "%s p=%d: no input checked", P->name, p);
    eval_free(e);
    val_free(&r);
    for (int i = 0; i < k; i++) val_free(&x[i]);
    ir_free(c);
}

/* ---- requantize: y = sat_p(floor((3x + 5 + r) / 2^2)) with 2 extra bits
 * of headroom so saturation happens; thermometer of (yhi - ylo) gates. ---- */
static Val b_requant(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val l = val_lin(&x[0], 3, NULL, 0, 5);
    Val y = val_requant(c, &l, NULL, 2, p);
    *g = y.hi - y.lo;
    *d = 1;
    val_free(&l);
    return y;
}
static int r_requant(const int64_t *x, int p, int64_t *out) {
    *out = requant(p, 3 * x[0] + 5, 2);
    return 1;
}

/* ---- residual requantize: sat_p(x0 + floor((2 x1 - 1 + r)/2)) ---- */
static Val b_resid(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val l = val_lin(&x[1], 2, NULL, 0, -1);
    Val y = val_requant(c, &l, &x[0], 1, p);
    *g = y.hi - y.lo;
    *d = 1;
    val_free(&l);
    return y;
}
static int r_resid(const int64_t *x, int p, int64_t *out) {
    *out = requant_res(p, x[0], 2 * x[1] - 1, 1);
    return 1;
}

/* ---- a free requantize (shift 0, no saturation possible): no gates ---- */
static Val b_free(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val half = val_lin(&x[0], 1, &x[1], -1, 0); /* range [-2^p+1, 2^p-1] needs p+1 bits */
    Val y = val_requant(c, &half, NULL, 0, p + 1);
    *g = 0;
    *d = 0;
    val_free(&half);
    return y;
}
static int r_free(const int64_t *x, int p, int64_t *out) {
    (void)p;
    *out = x[0] - x[1];
    return 1;
}

/* ---- thermometer to binary: bits of x - lo; p gates, depth 2 ---- */
static Val b_bin(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val y = val_copy(&x[0]);
    val_thermo(c, &y);
    int32_t before = c->n_gates - c->n_sums;
    val_bits(c, &y);
    *g = -1;
    *d = -1;
    /* p - 1 new gates: the top bit is the thermometer gate T_(2^(p-1)) */
    int32_t made = c->n_gates - c->n_sums - before;
    CHECK(made == p - 1, "binary p=%d: %d bit gates, formula says %d", p, made, p - 1);
    int lvl = 0;
    for (int b = 0; b < y.nbits; b++)
        if (c->gates[y.bits[b]].level > lvl) lvl = c->gates[y.bits[b]].level;
    CHECK(lvl == 2, "binary p=%d: bits at level %d, formula says 2", p, lvl);
    /* result: a form over the bits only */
    Form f;
    form_init(&f, y.lo);
    for (int b = 0; b < y.nbits; b++) form_add_term(&f, y.bits[b], (int64_t)1 << b);
    Val r = val_form(&f, y.lo, y.hi);
    val_free(&y);
    return r;
}
static int r_ident(const int64_t *x, int p, int64_t *out) {
    (void)p;
    *out = x[0];
    return 1;
}

/* ---- table (a GELU-like odd function): no gates beyond the thermometer ---- */
static int64_t table_fn(int64_t v, int p) {
    int64_t y = v > 0 ? v : v / 3 - (v % 5 == 0);
    return sat_p(p, y);
}
static Val b_table(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    int64_t *t = xmalloc(sizeof *t << p);
    for (int64_t v = pmin(p); v <= pmax(p); v++) t[v - pmin(p)] = table_fn(v, p);
    Val y = val_table(c, &x[0], t, p);
    free(t);
    *g = ((int64_t)1 << p) - 1; /* the thermometer of x */
    *d = 1;
    return y;
}
static int r_table(const int64_t *x, int p, int64_t *out) {
    *out = table_fn(x[0], p);
    return 1;
}

/* ---- product of two variables ---- */
static Val b_mul(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    int64_t h = ((int64_t)1 << p) - 1;
    Val y = val_mul(c, &x[0], &x[1]);
    if (h * h <= lower_opts.product_direct_max) { /* two thermometers + all pairs */
        *g = 2 * h + h * h;
        *d = 2;
    } else {                              /* thermometers, bits, bit pairs */
        *g = 2 * h + 2 * (p - 1) + p * p; /* the top bit is a thermometer gate */
        *d = 3;
    }
    return y;
}
static int r_mul(const int64_t *x, int p, int64_t *out) {
    (void)p;
    *out = x[0] * x[1];
    return 1;
}

/* ---- flag * value: AND with x1's thermometer.  The flag is a level-2
 * gate ([x0 >= 1] rebuilt from two thermometer gates), so the AND is fused
 * into one gate over the flag's inputs: no level over the flag. ---- */
static Val b_gmul(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    GateId flag = ir_and(c, val_ge(c, &x[0], 1), val_ge(c, &x[0], pmin(p) + 1)); /* level 2 */
    CHECK(c->gates[flag].level == 2, "flag_mul: the flag is at level %d, not 2", c->gates[flag].level);
    Val y = val_gate_mul(c, flag, &x[1]);
    *g = -1;
    *d = ((((int64_t)1 << p) - 1) > lower_opts.product_direct_max) ? 3 : 2;
    return y;
}
static int r_gmul(const int64_t *x, int p, int64_t *out) {
    (void)p;
    *out = x[0] >= 1 ? x[1] : 0;
    return 1;
}

/* ---- flag * value with a flag deeper than the value's bits: the cost
 * model takes the bits (nbits ANDs instead of 2^p - 1), and every AND is
 * fused into the flag's level, so the product is no deeper than the flag. */
static Val b_gmul_deep(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    GateId a = ir_and(c, val_ge(c, &x[0], 1), val_ge(c, &x[0], pmin(p) + 1)); /* level 2 */
    GateId b = ir_or(c, val_ge(c, &x[0], 2), val_ge(c, &x[0], pmin(p) + 2));  /* level 2 */
    GateId flag = ir_and(c, a, b);                                            /* level 3: x0 >= 1 */
    CHECK(c->gates[flag].level == 3, "flag_mul_deep: the flag is at level %d, not 3", c->gates[flag].level);
    int32_t before = c->n_gates - c->n_sums;
    Val y = val_gate_mul(c, flag, &x[1]);
    int32_t made = c->n_gates - c->n_sums - before;
    /* x1's thermometer, its bits (the top one is a thermometer gate), p ANDs */
    CHECK(made == ((1 << p) - 1) + (p - 1) + p, "flag_mul_deep p=%d: %d gates, formula says %d", p, made,
          ((1 << p) - 1) + (p - 1) + p);
    *g = -1;
    *d = 3;
    return y;
}

/* ---- division where K (n - v z) would pass 60 bits: n and z scaled by
 * 2^(56 - 2p), so the fused [n - v z + B [z >= 1] >= B] is taken:
 * 2^p - 1 candidates and [z >= 1], one level over it ---- */
static Val b_div_big(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    int64_t s = (int64_t)1 << (56 - 2 * p);
    Val n = val_lin(&x[0], s, NULL, 0, 0);
    Val z = val_lin(&x[1], s, NULL, 0, -pmin(p) * s);
    Val q = val_div(c, &n, &z, pmin(p), pmax(p));
    *g = (int64_t)1 << p;
    *d = 2;
    val_free(&n);
    val_free(&z);
    return q;
}
static int r_div_big(const int64_t *x, int p, int64_t *out) {
    int64_t n = x[0], z = x[1] - pmin(p);
    if (z == 0 && n != 0) return 0;
    *out = z ? sat_p(p, floor_div(n, z)) : 0;
    return 1;
}

/* ---- division floor(4 x0 / z), z = x1 + 2^(p-1) in [0, 2^p - 1], saturated
 * to p bits; z = 0 only with n = 0 (the softmax invariant) ---- */
static Val b_div(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val n = val_lin(&x[0], 4, NULL, 0, 0);
    Val z = val_lin(&x[1], 1, NULL, 0, -pmin(p));
    Val q = val_div(c, &n, &z, pmin(p), pmax(p));
    *g = ((int64_t)1 << p) - 1;
    *d = 1;
    val_free(&n);
    val_free(&z);
    return q;
}
static int r_div(const int64_t *x, int p, int64_t *out) {
    int64_t n = 4 * x[0], z = x[1] - pmin(p);
    if (z == 0 && n != 0) return 0;
    *out = z ? sat_p(p, floor_div(n, z)) : 0;
    return 1;
}

/* ---- max of three values ---- */
static Val b_max(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val m = val_max(c, x, 3);
    *g = 3 * (((int64_t)1 << p) - 1) + (((int64_t)1 << p) - 1);
    *d = 2;
    return m;
}
static int r_max(const int64_t *x, int p, int64_t *out) {
    (void)p;
    *out = x[0] > x[1] ? x[0] : x[1];
    if (x[2] > *out) *out = x[2];
    return 1;
}

/* ---- leftmost argmax of three values, as an index 0..2 ---- */
static Val b_argmax(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val m = val_max(c, x, 3);
    GateId flags[3];
    int32_t before = c->n_gates - c->n_sums;
    val_argmax(c, x, 3, &m, flags, NULL);
    (void)p;
    *g = -1;
    *d = -1;
    int32_t made = c->n_gates - c->n_sums - before;
    CHECK(made <= 6, "argmax: %d gates, formula says at most 2n = 6", made);
    Form f;
    form_init(&f, 0);
    form_add_term(&f, flags[1], 1);
    form_add_term(&f, flags[2], 2);
    int lvl = 0;
    for (int j = 0; j < 3; j++)
        if (c->gates[flags[j]].level > lvl) lvl = c->gates[flags[j]].level;
    CHECK(lvl == 4, "argmax: flags at level %d, formula says max + 2 = 4", lvl);
    val_free(&m);
    return val_form(&f, 0, 2);
}
static int r_argmax(const int64_t *x, int p, int64_t *out) {
    (void)p;
    int best = 0;
    for (int j = 1; j < 3; j++)
        if (x[j] > x[best]) best = j;
    *out = best;
    return 1;
}

static const Prim prims[] = {
    {"requant", 1, 0, b_requant, r_requant}, {"residual", 2, 0, b_resid, r_resid}, {"free", 2, 0, b_free, r_free},
    {"binary", 1, 0, b_bin, r_ident},        {"table", 1, 0, b_table, r_table},    {"product", 2, 0, b_mul, r_mul},
    {"flag_mul", 2, 0, b_gmul, r_gmul},      {"division", 2, 0, b_div, r_div},     {"max", 3, 0, b_max, r_max},
    {"argmax", 3, 0, b_argmax, r_argmax},
};

/* The primitives and routes the shared-sum lowering added, also checked on
 * random inputs at p = 12 and 16. */
static const Prim new_prims[] = {
    {"flag_mul_deep", 2, 0, b_gmul_deep, r_gmul},
    {"division_big", 2, 0, b_div_big, r_div_big},
    {"requant", 1, 0, b_requant, r_requant},
    {"residual", 2, 0, b_resid, r_resid},
};

/* ---- prefix sums and argmax over many operands (compiler/lower.c,
 * docs/lowering.md "Prefix sums"): exhaustive over n operands of p bits ---- */

/* Evaluates circuit c (n*p inputs, operand j on inputs j*p..j*p+p-1, two's
 * complement) on every input; check(vals, outs, arg) says whether the 0/1
 * outputs are right.  Returns the number of wrong inputs. */
static long eval_all(const Circuit *c, int n, int p,
                     bool (*check)(const int64_t *x, const uint64_t *o, int l, void *arg), void *arg) {
    Evaluator *e = eval_new(c);
    long total = 1L << (n * p), bad = 0;
    uint64_t *in = xcalloc((size_t)(n * p), sizeof *in), *out = xcalloc((size_t)c->n_outputs + 1, sizeof *out);
    int64_t(*vals)[16] = xcalloc(64, sizeof *vals);
    for (long base = 0; base < total; base += 64) {
        memset(in, 0, sizeof *in * (size_t)(n * p));
        for (int l = 0; l < 64; l++) {
            long idx = base + l < total ? base + l : base;
            for (int i = 0; i < n; i++) {
                uint64_t u = ((uint64_t)idx >> (i * p)) & ((1u << p) - 1);
                vals[l][i] = (int64_t)u - ((u >> (p - 1)) ? ((int64_t)1 << p) : 0);
                for (int b = 0; b < p; b++) in[i * p + b] |= ((u >> b) & 1) << l;
            }
        }
        eval_run(e, in, out);
        for (int l = 0; l < 64 && base + l < total; l++)
            if (!check(vals[l], out, l, arg)) bad++;
    }
    free(in);
    free(out);
    free(vals);
    eval_free(e);
    return bad;
}

static Val *operands(int n, int p) {
    Val *x = xcalloc((size_t)n, sizeof *x);
    for (int i = 0; i < n; i++) {
        GateId bits[16];
        for (int b = 0; b < p; b++) bits[b] = ir_input(i * p + b);
        x[i] = val_from_twos(bits, p);
    }
    return x;
}

typedef struct {
    int n, nbits;
    int64_t lo;
    int64_t w[16]; /* prefix test: operand weights */
} PrefixArg;

/* outputs: P_i - lo in nbits bits per i */
static bool prefix_ok(const int64_t *x, const uint64_t *o, int l, void *arg) {
    const PrefixArg *a = arg;
    int64_t s = 0;
    for (int i = 0; i < a->n; i++) {
        s += a->w[i] * x[i] + i;
        int64_t got = 0;
        for (int b = 0; b < a->nbits; b++) got |= (int64_t)((o[i * a->nbits + b] >> l) & 1) << b;
        if (got != s - a->lo) return false;
    }
    return true;
}

/* P_i = sum_(j<=i) (w_j x_j + j) from form_prefix_sums, read back through
 * thermometer bits; the nesting stays within bitlen(n) sum-node levels. */
static void test_prefix_sums(void) {
    static const int cfg[][2] = {{1, 16}, {2, 8}, {3, 5}, {4, 4}, {2, 7}};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        int p = cfg[t][0], n = cfg[t][1];
        Circuit *c = ir_new(n * p);
        Val *x = operands(n, p);
        PrefixArg a = {.n = n};
        Form *f = xcalloc((size_t)n, sizeof *f), *P = xcalloc((size_t)n, sizeof *P);
        int64_t lo = 0, hi = 0, plo[16] = {0}, phi[16] = {0};
        for (int j = 0; j < n; j++) {
            a.w[j] = (j % 3) - 1 ? (j % 3) : -2; /* 1, -2, 2, 1, ... */
            form_init(&f[j], j);
            form_add(&f[j], &x[j].form, a.w[j]);
            lo += min64(a.w[j] * x[j].lo, a.w[j] * x[j].hi) + j;
            hi += max64(a.w[j] * x[j].lo, a.w[j] * x[j].hi) + j;
            plo[j] = lo;
            phi[j] = hi;
        }
        form_prefix_sums(c, f, n, P);
        int64_t span = 0;
        for (int j = 0; j < n; j++) lo = min64(lo, plo[j]);
        for (int j = 0; j < n; j++) span = max64(span, phi[j] - lo);
        a.lo = lo;
        while (((int64_t)1 << a.nbits) <= span) a.nbits++;
        for (int i = 0; i < n; i++) {
            int terms = P[i].n, want = 0;
            for (int k = i + 1; k; k >>= 1) want += k & 1;
            want += (i % 2 == 0) * (p - 1); /* a single operand block is its own p-term form */
            CHECK(terms <= want, "prefix n=%d: P_%d has %d terms, at most %d", n, i, terms, want);
            Val v = val_form_in(c, &P[i], plo[i], phi[i]);
            Val u = val_lin(&v, 1, NULL, 0, -lo); /* offset to the common lo */
            u.lo = 0;
            u.hi = span;
            val_bits(c, &u);
            for (int b = 0; b < a.nbits; b++) ir_add_output(c, b < u.nbits ? u.bits[b] : GATE_CONST0);
            val_free(&u);
            val_free(&v);
        }
        int32_t maxlvl = 0;
        for (GateId g = 0; g < c->n_gates; g++)
            if (c->gates[g].level > maxlvl) maxlvl = c->gates[g].level;
        CHECK(maxlvl <= 2, "prefix n=%d: depth %d, sums cost no level (thermometer + bits = 2)", n, maxlvl);
        CHECK(ir_check(c) == NULL, "prefix n=%d: checker", n);
        long bad = eval_all(c, n, p, prefix_ok, &a);
        CHECK(bad == 0, "prefix p=%d n=%d: %ld inputs wrong", p, n, bad);
        printf("  %-12s p=%d n=%d: %d wires, all %ld inputs\n", "prefix", p, n, (int)c->n_terms, 1L << (n * p));
        for (int j = 0; j < n; j++) {
            form_free(&f[j]);
            form_free(&P[j]);
            val_free(&x[j]);
        }
        free(f);
        free(P);
        free(x);
        ir_free(c);
    }
}

typedef struct {
    int n;
} ArgmaxArg;

/* outputs: n flags then n ties */
static bool argmax_ok(const int64_t *x, const uint64_t *o, int l, void *arg) {
    const ArgmaxArg *a = arg;
    int best = 0;
    for (int j = 1; j < a->n; j++)
        if (x[j] > x[best]) best = j;
    for (int j = 0; j < a->n; j++) {
        if ((int)((o[j] >> l) & 1) != (j == best)) return false;
        if ((int)((o[a->n + j] >> l) & 1) != (x[j] == x[best])) return false;
    }
    return true;
}

/* val_max + val_argmax over n operands: one-hot leftmost flags, all ties,
 * 2n gates past the max, flags two levels above it. */
static void test_argmax_many(void) {
    static const int cfg[][2] = {{1, 16}, {2, 8}, {3, 5}, {4, 4}, {2, 7}, {1, 13}};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        int p = cfg[t][0], n = cfg[t][1];
        Circuit *c = ir_new(n * p);
        Val *x = operands(n, p);
        Val m = val_max(c, x, n);
        GateId flag[16], tie[16];
        int32_t before = c->n_gates - c->n_sums;
        val_argmax(c, x, n, &m, flag, tie);
        int32_t made = c->n_gates - c->n_sums - before;
        CHECK(made <= 2 * n, "argmax n=%d: %d gates, at most 2n", n, made);
        int32_t ml = 0, fl = 0;
        for (int k = 0; k < m.hi - m.lo; k++) ml = ml > c->gates[m.thermo[k]].level ? ml : c->gates[m.thermo[k]].level;
        for (int j = 0; j < n; j++) fl = fl > c->gates[flag[j]].level ? fl : c->gates[flag[j]].level;
        CHECK(fl == ml + 2, "argmax n=%d: flags at level %d, max at %d", n, fl, ml);
        for (int j = 0; j < n; j++) ir_add_output(c, flag[j]);
        for (int j = 0; j < n; j++) ir_add_output(c, tie[j]);
        CHECK(ir_check(c) == NULL, "argmax n=%d: checker", n);
        ArgmaxArg a = {.n = n};
        long bad = eval_all(c, n, p, argmax_ok, &a);
        CHECK(bad == 0, "argmax p=%d n=%d: %ld inputs wrong", p, n, bad);
        printf("  %-12s p=%d n=%d: %d gates, %d wires, all %ld inputs\n", "argmax_many", p, n,
               c->n_gates - c->n_sums - 2 - n * p, (int)c->n_terms, 1L << (n * p));
        val_free(&m);
        for (int j = 0; j < n; j++) val_free(&x[j]);
        free(x);
        ir_free(c);
    }
}

/* select_tournament (compiler/select.c) over n operands: the same flags as
 * val_argmax, exhaustively; depth ceil(log2 n) + 1 over the thermometers;
 * n - 1 comparisons plus at most hi - lo ORs per match plus n flags. */
static bool tournament_ok(const int64_t *x, const uint64_t *o, int l, void *arg) {
    const ArgmaxArg *a = arg;
    int best = 0;
    for (int j = 1; j < a->n; j++)
        if (x[j] > x[best]) best = j;
    for (int j = 0; j < a->n; j++)
        if ((int)((o[j] >> l) & 1) != (j == best)) return false;
    return true;
}

static void test_tournament(void) {
    static const int cfg[][2] = {{1, 16}, {2, 8}, {3, 5}, {4, 4}, {2, 7}, {1, 13}, {5, 3}, {6, 2}, {3, 1}, {2, 6}};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        int p = cfg[t][0], n = cfg[t][1];
        Circuit *c = ir_new(n * p);
        Val *x = operands(n, p);
        for (int j = 0; j < n; j++) val_thermo(c, &x[j]);
        int32_t tl = 0;
        for (int j = 0; j < n; j++)
            for (int64_t k = 0; k < x[j].hi - x[j].lo; k++)
                tl = tl > c->gates[x[j].thermo[k]].level ? tl : c->gates[x[j].thermo[k]].level;
        GateId flag[16];
        int32_t before = c->n_gates - c->n_sums;
        select_tournament(c, x, n, flag);
        int32_t made = c->n_gates - c->n_sums - before;
        int rounds = 0;
        while ((1 << rounds) < n) rounds++;
        int64_t bound = (n - 1) * (1 + (((int64_t)1 << p) - 1)) + n; /* compare + ORs per match, flags */
        CHECK(made <= bound, "tournament n=%d: %d gates, bound %lld", n, made, (long long)bound);
        int32_t fl = 0;
        for (int j = 0; j < n; j++) fl = fl > c->gates[flag[j]].level ? fl : c->gates[flag[j]].level;
        /* one level per round, one for the flags' AND (none on a one-match
         * path: the flag is the comparison); inverters cost no level */
        CHECK(fl <= tl + rounds + 1 && fl >= rounds,
              "tournament n=%d: flags at level %d, thermometers at %d, %d rounds", n, fl, tl, rounds);
        for (int j = 0; j < n; j++) ir_add_output(c, flag[j]);
        CHECK(ir_check(c) == NULL, "tournament n=%d: checker", n);
        ArgmaxArg a = {.n = n};
        long bad = eval_all(c, n, p, tournament_ok, &a);
        CHECK(bad == 0, "tournament p=%d n=%d: %ld inputs wrong", p, n, bad);
        printf("  %-12s p=%d n=%d: %d gates, %d wires, depth %d, all %ld inputs\n", "tournament", p, n, made,
               (int)c->n_terms, fl, 1L << (n * p));
        for (int j = 0; j < n; j++) val_free(&x[j]);
        free(x);
        ir_free(c);
    }
}

/* select_tournament_values (compiler/select.c): the leftmost maximum's
 * payload values, exhaustively.  Payload 0 is x_j + j (ties between equal
 * scores differ in it), payload 1 the constant 3j - 2; both read back as
 * offset-binary bits.  One level per round plus the thermometers. */
typedef struct {
    int n, nbits[2];
    int64_t lo[2];
} PayArg;

static bool tvalues_ok(const int64_t *x, const uint64_t *o, int l, void *arg) {
    const PayArg *a = arg;
    int best = 0;
    for (int j = 1; j < a->n; j++)
        if (x[j] > x[best]) best = j;
    int64_t want[2] = {x[best] + best, 3 * best - 2};
    int off = 0;
    for (int k = 0; k < 2; k++) {
        int64_t got = 0;
        for (int b = 0; b < a->nbits[k]; b++) got |= (int64_t)((o[off + b] >> l) & 1) << b;
        if (got != want[k] - a->lo[k]) return false;
        off += a->nbits[k];
    }
    return true;
}

static void test_tournament_values(void) {
    static const int cfg[][2] = {{1, 16}, {2, 8}, {3, 5}, {4, 4}, {2, 7}, {1, 13}, {5, 3}, {6, 2}, {3, 1}, {2, 6}};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        int p = cfg[t][0], n = cfg[t][1];
        Circuit *c = ir_new(n * p);
        Val *x = operands(n, p);
        Val *pay = xcalloc((size_t)(2 * n), sizeof *pay), out[2];
        for (int j = 0; j < n; j++) {
            pay[2 * j] = val_lin(&x[j], 1, NULL, 0, j);
            pay[2 * j + 1] = val_const(3 * j - 2);
        }
        int32_t before = c->n_gates - c->n_sums;
        select_tournament_values(c, x, n, pay, 2, out);
        int32_t made = c->n_gates - c->n_sums - before;
        int rounds = 0;
        while ((1 << rounds) < n) rounds++;
        /* thermometers of scores and payload 0, then per match a compare,
         * the score's ORs and two gates per payload level */
        int64_t range = ((int64_t)1 << p) + n,
                bound = n * 2 * (((int64_t)1 << p) - 1) + (n - 1) * (1 + range * 3 + 2 * 3 * n);
        CHECK(made <= bound, "tournament_values n=%d: %d gates, bound %lld", n, made, (long long)bound);
        PayArg a = {.n = n};
        int32_t lvl = 0;
        for (int k = 0; k < 2; k++) {
            a.lo[k] = out[k].lo;
            Val u = val_lin(&out[k], 1, NULL, 0, -out[k].lo);
            u.lo = 0;
            u.hi = out[k].hi - out[k].lo;
            val_bits(c, &u);
            while (((int64_t)1 << a.nbits[k]) <= u.hi) a.nbits[k]++;
            for (int b = 0; b < a.nbits[k]; b++) ir_add_output(c, b < u.nbits ? u.bits[b] : GATE_CONST0);
            for (int i = 0; i < out[k].form.n; i++) {
                int32_t g = c->gates[out[k].form.t[i].src].level;
                lvl = lvl > g ? lvl : g;
            }
            val_free(&u);
            val_free(&out[k]);
        }
        /* the scores' thermometers (1), one level per round (the payload
         * ANDs sit one level above their round's compare) */
        CHECK(lvl <= rounds + 2, "tournament_values n=%d: values at level %d, %d rounds", n, lvl, rounds);
        CHECK(ir_check(c) == NULL, "tournament_values n=%d: checker", n);
        long bad = eval_all(c, n, p, tvalues_ok, &a);
        CHECK(bad == 0, "tournament_values p=%d n=%d: %ld inputs wrong", p, n, bad);
        printf("  %-12s p=%d n=%d: %d gates, %d wires, level %d, all %ld inputs\n", "tvalues", p, n, made,
               (int)c->n_terms, lvl, 1L << (n * p));
        for (int j = 0; j < 2 * n; j++) val_free(&pay[j]);
        for (int j = 0; j < n; j++) val_free(&x[j]);
        free(pay);
        free(x);
        ir_free(c);
    }
}

/* ---- binary codes from adders (compiler/binary.c): the bits of a form
 * over many gates with random weights (negative ones too), one level of
 * nested sum nodes, and of requantizations, by every construction:
 * blocks in one step, blocks of 2 and 3 operands, the compressor tree. ---- */

static int64_t bw[6]; /* the current random weights and constant */

static void draw_weights(int p) {
    for (int i = 0; i < 6; i++) {
        int64_t m = (int64_t)1 << (p + 1);
        bw[i] = (int64_t)(next_rand() % (uint64_t)(2 * m + 1)) - m;
    }
}

/* y = w0 x0 + w1 x1 + w2 x2 + w3 held as a sum node, then z = w4 y + 3 x0
 * - x2 + w5 (the same gates again, through a nested node): the flattened
 * form merges them. */
static Val adder_form(Circuit *c, Val *x) {
    Form f;
    form_init(&f, bw[3]);
    for (int i = 0; i < 3; i++) form_add(&f, &x[i].form, bw[i]);
    int64_t lo, hi;
    ir_form_bounds(c, &f, &lo, &hi);
    Val y = val_form_in(c, &f, lo, hi);
    Form g;
    form_init(&g, bw[5]);
    form_add(&g, &y.form, bw[4]);
    form_add(&g, &x[0].form, 3);
    form_add(&g, &x[2].form, -1);
    ir_form_bounds(c, &g, &lo, &hi);
    Val z = val_form_in(c, &g, lo, hi);
    val_free(&y);
    return z;
}
static int64_t adder_ref_val(const int64_t *x) {
    int64_t y = bw[0] * x[0] + bw[1] * x[1] + bw[2] * x[2] + bw[3];
    return bw[4] * y + 3 * x[0] - x[2] + bw[5];
}

/* M_j + 1 summed over the bits: the one-step gate count of binary.c for
 * the flattened weights wt[0..n-1] (one per input gate) and constant k0 */
static int64_t onestep_bound(const int64_t *wt, int n, int64_t k0, int nb) {
    uint64_t mask = nb >= 64 ? ~0ull : (1ull << nb) - 1, K = (uint64_t)k0;
    int64_t a[64];
    for (int i = 0; i < n; i++) {
        uint64_t r = (uint64_t)wt[i] & mask;
        int64_t b = r > (1ull << (nb - 1)) ? (int64_t)r - ((int64_t)1 << nb) : (int64_t)r;
        if (b < 0) K += (uint64_t)b;
        a[i] = b < 0 ? -b : b;
    }
    int64_t gates = 0;
    for (int j = 0; j < nb; j++) {
        int64_t B = (int64_t)1 << (j + 1), smax = (int64_t)(K & (uint64_t)(B - 1));
        for (int i = 0; i < n; i++) smax += a[i] & (B - 1);
        gates += smax / B + 1;
    }
    return gates;
}

static int adder_depth_max; /* the depth the current construction allows (-1: not checked) */

static Val b_adder(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val z = adder_form(c, x);
    int32_t before = c->n_gates - c->n_sums;
    z.nbits = 0;
    while (((int64_t)1 << z.nbits) <= z.hi - z.lo) z.nbits++;
    z.bits = xmalloc(sizeof *z.bits * (size_t)(z.nbits ? z.nbits : 1));
    CHECK(val_bits_adder(c, &z, z.bits), "adder p=%d: not built", p);
    int64_t made = c->n_gates - c->n_sums - before;
    int lvl = 0;
    for (int b = 0; b < z.nbits; b++) lvl = c->gates[z.bits[b]].level > lvl ? c->gates[z.bits[b]].level : lvl;
    if (adder_depth_max >= 0)
        CHECK(lvl <= adder_depth_max, "adder p=%d: bits at level %d, more than %d", p, lvl, adder_depth_max);
    if (lower_opts.bits_adder == BITS_ADDER_BLOCKS && lower_opts.bits_block == 0 && lower_opts.bits_split_terms == 0) {
        int64_t wt[64], k0 = bw[4] * bw[3] + bw[5] - z.lo;
        for (int i = 0; i < 3; i++) {
            int64_t wi = bw[4] * bw[i] + (i == 0 ? 3 : i == 2 ? -1 : 0);
            for (int b = 0; b < p; b++) wt[i * p + b] = wi * (b == p - 1 ? -((int64_t)1 << b) : (int64_t)1 << b);
        }
        int64_t bound = onestep_bound(wt, 3 * p, k0, z.nbits);
        CHECK(made <= bound, "adder p=%d: %lld gates, more than sum (M_j + 1) = %lld", p, (long long)made,
              (long long)bound);
    }
    printf("    adder %s block %d split %d p=%d: range %lld, %d bits, %lld gates (thermometer: %lld + %d), level %d\n",
           lower_opts.bits_adder == BITS_ADDER_TREE  ? "tree"
           : lower_opts.bits_adder == BITS_ADDER_TAP ? "tap"
                                                     : "blocks",
           lower_opts.bits_block, lower_opts.bits_split_terms, p, (long long)(z.hi - z.lo), z.nbits, (long long)made,
           (long long)(z.hi - z.lo), z.nbits - 1, lvl);
    *g = -1;
    *d = -1;
    return z; /* run_prim reads the bits */
}
static int r_adder(const int64_t *x, int p, int64_t *out) {
    (void)p;
    *out = adder_ref_val(x);
    return 1;
}

/* A table's form (deltas over x0's thermometer: dependent gates, so the
 * range is far inside the term-wise bound and the constant K of binary.c
 * is negative before its reduction) plus w1 x1. */
static int64_t adder_table_fn(int64_t v, int p) { return (v * v * 7 + v * 3) % (((int64_t)1 << p) + 5) - 2 * v; }
static Val b_adder_table(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    int64_t *t = xmalloc(sizeof *t << p);
    for (int64_t v = pmin(p); v <= pmax(p); v++) t[v - pmin(p)] = adder_table_fn(v, p);
    Val y = val_table(c, &x[0], t, p);
    free(t);
    Val z = val_lin(&y, 1, &x[1], bw[1], bw[3]);
    val_free(&y);
    int32_t before = c->n_gates - c->n_sums;
    z.nbits = 0;
    while (((int64_t)1 << z.nbits) <= z.hi - z.lo) z.nbits++;
    z.bits = xmalloc(sizeof *z.bits * (size_t)(z.nbits ? z.nbits : 1));
    CHECK(val_bits_adder(c, &z, z.bits), "adder_table p=%d: not built", p);
    int lvl = 0;
    for (int b = 0; b < z.nbits; b++) lvl = c->gates[z.bits[b]].level > lvl ? c->gates[z.bits[b]].level : lvl;
    if (adder_depth_max >= 0) /* one level more: the thermometer */
        CHECK(lvl <= adder_depth_max + 1, "adder_table p=%d: bits at level %d, more than %d", p, lvl,
              adder_depth_max + 1);
    (void)before;
    *g = -1;
    *d = -1;
    return z; /* run_prim reads the bits */
}
static int r_adder_table(const int64_t *x, int p, int64_t *out) {
    *out = adder_table_fn(x[0], p) + bw[1] * x[1] + bw[3];
    return 1;
}

/* Requantization into binary: sat_p(floor((w0 x0 + w1 x1 + w3 + r)/2^2))
 * and the residual form sat_p(x2 + floor((w0 x0 + r)/2)), saturating. */
static Val b_requant_bits(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val l = val_lin(&x[0], bw[0], &x[1], bw[1], bw[3]);
    int64_t saved = lower_opts.requant_bits_min_range;
    lower_opts.requant_bits_min_range = 0;
    Val y = val_requant(c, &l, NULL, 2, p);
    lower_opts.requant_bits_min_range = saved;
    CHECK(y.bits && !y.thermo, "requant_bits p=%d: not built in binary", p);
    int lvl = 0;
    for (int b = 0; y.bits && b < y.nbits; b++) lvl = c->gates[y.bits[b]].level > lvl ? c->gates[y.bits[b]].level : lvl;
    if (adder_depth_max >= 0)
        CHECK(lvl <= adder_depth_max, "requant_bits p=%d: bits at level %d, more than %d", p, lvl, adder_depth_max);
    val_free(&l);
    *g = -1;
    *d = -1;
    return y;
}
static int r_requant_bits(const int64_t *x, int p, int64_t *out) {
    *out = requant(p, bw[0] * x[0] + bw[1] * x[1] + bw[3], 2);
    return 1;
}
static Val b_resid_bits(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val l = val_lin(&x[0], bw[0], NULL, 0, 0);
    int64_t saved = lower_opts.requant_bits_min_range;
    lower_opts.requant_bits_min_range = 0;
    Val y = val_requant(c, &l, &x[2], 1, p);
    lower_opts.requant_bits_min_range = saved;
    CHECK(y.bits && !y.thermo, "resid_bits p=%d: not built in binary", p);
    val_free(&l);
    *g = -1;
    *d = -1;
    return y;
}
static int r_resid_bits(const int64_t *x, int p, int64_t *out) {
    *out = requant_res(p, x[2], bw[0] * x[0], 1);
    return 1;
}

static void test_binary_adders(void) {
    static const Prim adders[] = {
        {"adder", 3, 0, b_adder, r_adder},
        {"adder_table", 2, 0, b_adder_table, r_adder_table},
        {"requant_bits", 3, 0, b_requant_bits, r_requant_bits},
        {"resid_bits", 3, 0, b_resid_bits, r_resid_bits},
    };
    /* (construction, block, split, the depth it allows over level-0 inputs):
     * split 0 flattens the nested sum node; split 4 sums it to binary first */
    static const struct {
        BitsAdder how;
        int block, split, depth;
    } ways[] = {{BITS_ADDER_BLOCKS, 0, 0, 2},  {BITS_ADDER_BLOCKS, 0, 4, 4}, {BITS_ADDER_BLOCKS, 2, 0, -1},
                {BITS_ADDER_BLOCKS, 3, 4, -1}, {BITS_ADDER_TREE, 0, 0, -1},  {BITS_ADDER_TREE, 0, 4, -1},
                {BITS_ADDER_TAP, 0, 0, 3}}; /* a tap: 2 levels, the clamp 1 more */
    LowerOpts saved = lower_opts;
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        lower_opts.bits_adder = ways[w].how;
        lower_opts.bits_block = ways[w].block;
        lower_opts.bits_split_terms = ways[w].split;
        adder_depth_max = ways[w].depth;
        for (size_t i = 0; i < sizeof adders / sizeof adders[0]; i++) {
            const Prim *P = &adders[i];
            for (int p = 2; p <= 6; p++) { /* 3 operands: 2^18 inputs at p = 6 */
                for (int rep = 0; rep < (p <= 4 ? 3 : 1); rep++) {
                    draw_weights(p);
                    run_prim(P, p, 1, 0);
                }
            }
            draw_weights(8);
            run_prim(P, 8, 0, 20000);
            if (i == 1) continue; /* a table's form at p >= 12 has 2^p terms */
            draw_weights(12);
            run_prim(P, 12, 0, 5000);
            draw_weights(16);
            run_prim(P, 16, 0, 2000);
        }
    }
    lower_opts = saved;
}

/* ---- primitives over binary codes (compiler/binary.c, docs/lowering.md
 * "Primitives over binary codes").  Operand i is made binary by
 * val_requant_bits: y_i = sat_p(round(x_i / 2^shift_i)) with bits and no
 * thermometer.  The result is read through its flattened form (sum nodes
 * expanded: reading builds no gate) and, when it has bits, through them
 * too.  Exhaustive for p = 2..6 (random past 2^18 inputs), random at p =
 * 8, 12 and 16; each checks the gate count, the depth over the operands'
 * bits, and that neither operands nor result got a thermometer. ---- */

typedef struct {
    const char *name;
    int k;
    int shift[MAXK];
    Val (*build)(Circuit *c, Val *x, int p, int64_t *want_gates, int *want_depth);
    int (*ref)(const int64_t *y, int p, int64_t *out); /* y: the operand values */
    bool bits;                                         /* the result must be binary */
} BinPrim;

/* in with its sum nodes expanded (ir_form_flatten) */
static void flat_form(const Circuit *c, const Form *in, Form *out) {
    if (!ir_form_flatten(c, in, INT64_MAX, out)) BUG("flat_form: too many terms");
}

static int max_bit_level(const Circuit *c, const Val *x) {
    int l = 0;
    for (int b = 0; x->bits && b < x->nbits; b++) l = c->gates[x->bits[b]].level > l ? c->gates[x->bits[b]].level : l;
    return l;
}

static void run_bin(const BinPrim *P, int p, int exhaustive, long count) {
    int k = P->k;
    Circuit *c = ir_new(k * p);
    Val x[MAXK];
    int base = 0;
    for (int i = 0; i < k; i++) {
        GateId in_bits[64];
        for (int b = 0; b < p; b++) in_bits[b] = ir_input(i * p + b);
        Val t = val_from_twos(in_bits, p);
        CHECK(val_requant_bits(c, &t, NULL, P->shift[i], p, &x[i]) && val_is_binary(&x[i]),
              "%s p=%d: operand %d not binary", P->name, p, i);
        val_free(&t);
        base = max_bit_level(c, &x[i]) > base ? max_bit_level(c, &x[i]) : base;
    }
    int32_t before = c->n_gates - c->n_sums;
    int64_t want_gates = -1;
    int want_depth = -1;
    Val r = P->build(c, x, p, &want_gates, &want_depth);
    int64_t made = c->n_gates - c->n_sums - before;
    int depth = val_depth(c, &r) - base;
    if (want_gates >= 0)
        CHECK(made == want_gates, "%s p=%d: %lld gates, formula says %lld", P->name, p, (long long)made,
              (long long)want_gates);
    if (want_depth >= 0)
        CHECK(depth == want_depth, "%s p=%d: depth %d over the bits, formula says %d", P->name, p, depth, want_depth);
    for (int i = 0; i < k; i++) CHECK(!x[i].thermo, "%s p=%d: operand %d got a thermometer", P->name, p, i);
    CHECK(!r.thermo, "%s p=%d: the result has a thermometer", P->name, p);
    if (P->bits) CHECK(val_is_binary(&r) || r.lo == r.hi, "%s p=%d: the result is not binary", P->name, p);
    /* readouts: the value's flattened form, then each bit's */
    int nread = 1 + (r.bits ? r.nbits : 0);
    Form *rd = xcalloc((size_t)nread, sizeof *rd);
    int *off = xcalloc((size_t)nread + 1, sizeof *off);
    flat_form(c, &r.form, &rd[0]);
    for (int b = 1; b < nread; b++) {
        Form one;
        form_init(&one, 0);
        form_add_term(&one, r.bits[b - 1], 1);
        flat_form(c, &one, &rd[b]);
        form_free(&one);
    }
    for (int q = 0; q < nread; q++) {
        off[q] = c->n_outputs;
        for (int i = 0; i < rd[q].n; i++) ir_add_output(c, rd[q].t[i].src);
    }
    const char *err = ir_check(c);
    CHECK(err == NULL, "%s p=%d: checker: %s", P->name, p, err ? err : "");
    Evaluator *e = eval_new(c);
    long total = exhaustive ? 1L << (k * p) : count;
    uint64_t in[MAXK * 16], *out = xcalloc((size_t)c->n_outputs + 1, sizeof *out);
    int64_t ys[64][MAXK];
    long bad = 0, checked = 0;
    for (long b0 = 0; b0 < total; b0 += 64) {
        memset(in, 0, sizeof in);
        for (int l = 0; l < 64; l++) {
            long idx = b0 + l < total ? b0 + l : b0;
            for (int i = 0; i < k; i++) {
                uint64_t u = exhaustive ? ((uint64_t)idx >> (i * p)) & ((1u << p) - 1) : next_rand() & ((1u << p) - 1);
                int64_t v = (int64_t)u - ((u >> (p - 1)) ? ((int64_t)1 << p) : 0);
                ys[l][i] = requant(p, v, P->shift[i]);
                for (int b = 0; b < p; b++) in[i * p + b] |= ((u >> b) & 1) << l;
            }
        }
        eval_run(e, in, out);
        for (int l = 0; l < 64 && b0 + l < total; l++) {
            int64_t want;
            if (!P->ref(ys[l], p, &want)) continue;
            int64_t got[65] = {0};
            for (int q = 0; q < nread; q++) {
                got[q] = rd[q].c;
                for (int i = 0; i < rd[q].n; i++) got[q] += rd[q].t[i].w * (int64_t)((out[off[q] + i] >> l) & 1);
            }
            int64_t from_bits = r.lo;
            for (int b = 1; b < nread; b++) from_bits += got[b] << (b - 1);
            bool bits_ok = true;
            for (int b = 1; b < nread; b++) bits_ok = bits_ok && (got[b] == 0 || got[b] == 1);
            checked++;
            if ((got[0] != want || (nread > 1 && (!bits_ok || from_bits != want))) && bad++ < 3)
                CHECK(0, "%s p=%d operands (%lld, %lld, %lld): form %lld, bits %lld, reference %lld", P->name, p,
                      (long long)ys[l][0], (long long)(k > 1 ? ys[l][1] : 0), (long long)(k > 2 ? ys[l][2] : 0),
                      (long long)got[0], (long long)(nread > 1 ? from_bits : got[0]), (long long)want);
        }
    }
    CHECK(bad == 0, "%s p=%d: %ld of %ld inputs wrong", P->name, p, bad, checked);
    CHECK(checked > 0, "%s p=%d: no input checked", P->name, p);
    printf("  %-12s p=%d: %6lld gates, %7d wires, depth +%d over the bits, %ld inputs\n", P->name, p, (long long)made,
           (int)c->n_terms, depth, checked);
    eval_free(e);
    for (int q = 0; q < nread; q++) form_free(&rd[q]);
    free(rd);
    free(off);
    free(out);
    val_free(&r);
    for (int i = 0; i < k; i++) val_free(&x[i]);
    ir_free(c);
}

/* [x0 >= 1] + 2 [x0 >= pmin + 2] + 4 [x0 >= x1] + 8 [x1 >= x0]: one gate
 * each over the bits */
static Val bb_ge(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Form f;
    form_init(&f, 0);
    form_add_term(&f, val_ge(c, &x[0], 1), 1);
    form_add_term(&f, val_ge(c, &x[0], pmin(p) + 2), 2);
    form_add_term(&f, val_ge_val(c, &x[0], &x[1]), 4);
    form_add_term(&f, val_ge_val(c, &x[1], &x[0]), 8);
    *g = 4;
    *d = 1;
    return val_form_in(c, &f, 0, 15);
}
static int rb_ge(const int64_t *y, int p, int64_t *out) {
    *out = (y[0] >= 1) + 2 * (y[0] >= pmin(p) + 2) + 4 * (y[0] >= y[1]) + 8 * (y[1] >= y[0]);
    return 1;
}

/* x0 x1: nbits(x0) nbits(x1) ANDs of bit pairs, whatever the range */
static int popc(int64_t v) { return __builtin_popcountll((unsigned long long)(v < 0 ? -v : v)); }
static Val bb_mul(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    int n = x[0].nbits, m = x[1].nbits;
    *g = (int64_t)n * m;
    *d = 1;
    Val r = val_mul(c, &x[0], &x[1]);
    /* the adder reads the n m gates and, per bit of each operand's base, a
     * row of the other's bits: the base is lo, or with taps (Baugh-Wooley,
     * lower.c mul_signed) lo + 2^(nbits-1) when that has fewer bits */
    int64_t rows = (int64_t)popc(x[0].lo) * m + (int64_t)popc(x[1].lo) * n;
    int64_t srows =
        (int64_t)popc(x[0].lo + ((int64_t)1 << (n - 1))) * m + (int64_t)popc(x[1].lo + ((int64_t)1 << (m - 1))) * n;
    if (lower_opts.bits_adder == BITS_ADDER_TAP && n >= 2 && m >= 2 && srows < rows) rows = srows;
    Form fl;
    flat_form(c, &r.form, &fl);
    CHECK(fl.n == (int)(n * m + rows), "product p=%d: %d terms read, %lld expected", p, fl.n,
          (long long)(n * m + rows));
    form_free(&fl);
    return r;
}
static int rb_mul(const int64_t *y, int p, int64_t *out) {
    (void)p;
    *out = y[0] * y[1];
    return 1;
}

/* table lookups: one gate per change point of the table over x0's range */
static int64_t step_fn(int64_t v, int p) { return v < -1 ? -1 : v < 2 ? 0 : pmax(p); }
static Val table_bin(Circuit *c, Val *x, int p, int64_t (*fn)(int64_t, int), int64_t *g, int *d) {
    int64_t *t = xmalloc(sizeof *t << p), changes = 0;
    for (int64_t v = pmin(p); v <= pmax(p); v++) t[v - pmin(p)] = fn(v, p);
    for (int64_t v = x[0].lo + 1; v <= x[0].hi; v++) changes += t[v - pmin(p)] != t[v - 1 - pmin(p)];
    Val y = val_table(c, &x[0], t, p);
    *g = changes;
    *d = changes ? 1 : -1; /* no change point: a constant */
    int nb = x[0].nbits;
    if (val_is_binary(&y)) {
        /* val_table_blocks (taps, nb >= 6): each bit of y - lo by blocks or
         * by its change points, at most 4 levels over x's bits (a half's
         * comparators, a block's function, the AND with [H = hb], the OR) */
        CHECK(lower_opts.bits_adder == BITS_ADDER_TAP && nb >= 6, "table p=%d: binary without taps", p);
        int lvl = max_bit_level(c, &y) - max_bit_level(c, &x[0]);
        CHECK(lvl >= 1 && lvl <= 4, "table p=%d: bits %d levels over x's", p, lvl);
        *g = -1;
        *d = -1;
    } else if (lower_opts.bits_adder == BITS_ADDER_TAP && nb >= 6 && changes) {
        /* val_code_ge: per change point u = v - lo (u >> s = uh, u mod 2^s
         * = ul, s = nb / 2) the bank gates [H >= uh] (uh > 0), and when ul >
         * 0 also [H >= uh + 1] (below 2^(nb-s)), [L >= ul] and one gate
         * over the three; the bank gates are shared */
        int s = nb / 2;
        int64_t hmax = ((int64_t)1 << (nb - s)) - 1, combines = 0, banks = 0;
        bool *hset = xcalloc((size_t)hmax + 2, 1), *lset = xcalloc((size_t)1 << s, 1);
        for (int64_t v = x[0].lo + 1; v <= x[0].hi; v++) {
            if (t[v - pmin(p)] == t[v - 1 - pmin(p)]) continue;
            int64_t u = v - x[0].lo, uh = u >> s, ul = u & (((int64_t)1 << s) - 1);
            if (uh > 0) hset[uh] = true;
            if (ul == 0) continue;
            if (uh + 1 <= hmax) hset[uh + 1] = true;
            lset[ul] = true;
            combines++;
        }
        for (int64_t k = 0; k <= hmax; k++) banks += hset[k];
        for (int64_t k = 0; k < ((int64_t)1 << s); k++) banks += lset[k];
        free(hset);
        free(lset);
        *g = banks + combines;
        *d = combines ? 2 : 1;
    }
    free(t);
    return y;
}
static Val bb_table(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val y = table_bin(c, x, p, table_fn, g, d);
    /* the GELU-like table has a change point per value on its rising side:
     * with taps and an 8-bit or wider code it is taken in binary */
    if (lower_opts.bits_adder == BITS_ADDER_TAP && p >= 8)
        CHECK(val_is_binary(&y), "table p=%d: not taken in binary by blocks", p);
    return y;
}
static int rb_table(const int64_t *y, int p, int64_t *out) {
    *out = table_fn(y[0], p);
    return 1;
}
static Val bb_step(Circuit *c, Val *x, int p, int64_t *g, int *d) { return table_bin(c, x, p, step_fn, g, d); }
static int rb_step(const int64_t *y, int p, int64_t *out) {
    *out = step_fn(y[0], p);
    return 1;
}

/* A 0/1 table of runs (each entry flips with probability 1/3, from a fixed
 * seed per p) as one gate: val_table, by blocks (val_table_blocks) where it applies and
 * chooses blocks, else its change points; with taps at p >= 8 the blocks
 * are taken, at most 4 levels over the code's bits. */
static int64_t *bit_table(int p) {
    static int64_t *t[17];
    if (!t[p]) {
        t[p] = xmalloc(sizeof *t[p] << p);
        uint64_t st = 0x9e3779b97f4a7c15u ^ (uint64_t)p;
        int64_t b = 0;
        for (int64_t v = 0; v < ((int64_t)1 << p); v++) {
            st = st * 6364136223846793005u + 1442695040888963407u;
            if ((st >> 33) % 3 == 0) b ^= 1;
            t[p][v] = b;
        }
    }
    return t[p];
}
static Val bb_bit_table(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    /* as a softmax head builds its weights' bits: the table, then [y >= 1] */
    Val y = val_table(c, &x[0], bit_table(p), p);
    bool blocks = val_is_binary(&y); /* val_table_blocks took it */
    GateId out = val_ge(c, &y, 1);
    val_free(&y);
    if (lower_opts.bits_adder == BITS_ADDER_TAP && p >= 8) CHECK(blocks, "bit table p=%d: no blocks", p);
    if (blocks) {
        int lvl = c->gates[out].level - max_bit_level(c, &x[0]);
        CHECK(lvl >= 2 && lvl <= 4, "bit table p=%d: %d levels over x's bits", p, lvl);
    }
    Form f;
    form_init(&f, 0);
    form_add_term(&f, out, 1);
    *g = -1;
    *d = -1;
    return val_form_in(c, &f, 0, 1);
}
static int rb_bit_table(const int64_t *y, int p, int64_t *out) {
    *out = bit_table(p)[y[0] - pmin(p)];
    return 1;
}

/* the maximum of k operands: k(k-1)/2 comparisons, k flags, one fused AND
 * per operand bit; binary when the operands' lo agree */
static Val bb_max(Circuit *c, Val *x, int p, int64_t *g, int *d, int k) {
    (void)p;
    int64_t ands = 0;
    for (int j = 0; j < k; j++) ands += x[j].nbits;
    *g = k * (k - 1) / 2 + k + ands;
    *d = 2;
    return val_max(c, x, k);
}
static Val bb_max3(Circuit *c, Val *x, int p, int64_t *g, int *d) { return bb_max(c, x, p, g, d, 3); }
static Val bb_max4(Circuit *c, Val *x, int p, int64_t *g, int *d) { return bb_max(c, x, p, g, d, 4); }
static int rb_max(const int64_t *y, int k, int64_t *out) {
    *out = y[0];
    for (int j = 1; j < k; j++) *out = y[j] > *out ? y[j] : *out;
    return 1;
}
static int rb_max3(const int64_t *y, int p, int64_t *out) { return (void)p, rb_max(y, 3, out); }
static int rb_max4(const int64_t *y, int p, int64_t *out) { return (void)p, rb_max(y, 4, out); }

/* leftmost argmax index + 4 sum_j 2^j tie_j over 3 operands: 3 comparisons
 * each way, 3 flags, 3 ties, all 2 levels over the bits; tie_0 is flag_0
 * (nothing to the left), so 2 n + n (n - 1) - 1 = 11 gates */
static Val bb_argmax(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    (void)p;
    GateId flags[3], ties[3];
    val_argmax(c, x, 3, NULL, flags, ties);
    Form f;
    form_init(&f, 0);
    for (int j = 0; j < 3; j++) {
        form_add_term(&f, flags[j], j);
        form_add_term(&f, ties[j], 4 << j);
    }
    *g = 11;
    *d = 2;
    return val_form_in(c, &f, 0, 30);
}
static int rb_argmax(const int64_t *y, int p, int64_t *out) {
    (void)p;
    int best = 0;
    for (int j = 1; j < 3; j++)
        if (y[j] > y[best]) best = j;
    *out = best;
    for (int j = 0; j < 3; j++) *out += (y[j] == y[best]) * (4 << j);
    return 1;
}

/* floor(4 x0 / z), z = x1 - pmin in [0, 2^p - 1] (z = 0 only with x0 = 0),
 * clamped to [qlo, qhi] = p bits, at most 8 (2^16 candidates at p = 16
 * take seconds to build; the operands stay p-bit), quotient in binary:
 * qhi - qlo candidates and nbits - 1 alternating sums (the top bit is a
 * candidate), 2 levels over the bits */
static int64_t div_qlo(int p) { return pmin(p < 8 ? p : 8); }
static int64_t div_qhi(int p) { return pmax(p < 8 ? p : 8); }
static Val bb_div(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    Val n = val_lin(&x[0], 4, NULL, 0, 0);
    Val z = val_lin(&x[1], 1, NULL, 0, -pmin(p));
    Val q = val_div_bits(c, &n, &z, div_qlo(p), div_qhi(p));
    *g = div_qhi(p) - div_qlo(p) + bit_length(div_qhi(p) - div_qlo(p)) - 1;
    *d = 2;
    val_free(&n);
    val_free(&z);
    return q;
}
static int rb_div(const int64_t *y, int p, int64_t *out) {
    int64_t n = 4 * y[0], z = y[1] - pmin(p);
    if (z == 0 && n != 0) return 0;
    *out = z ? min64(max64(floor_div(n, z), div_qlo(p)), div_qhi(p)) : 0;
    return 1;
}

/* Restoring division (val_div_restoring), its quotient range wide enough
 * that nothing saturates (the caller's guarantee): floor(4 x0 / z) with
 * z = x1 - pmin in [0, 2^p - 1] (z = 0 only with x0 = 0: the result is 0),
 * and with z = x1 + x2 - 2 pmin + 1 >= 1, a sum of two operands (Z's
 * compressor tree has carries), where the quotient is binary. */
static Val divr(Circuit *c, Val *x, Val z, int p, int64_t *g, int *d) {
    Val n = val_lin(&x[0], 4, NULL, 0, 0);
    Val q = val_div_restoring(c, &n, &z, 4 * pmin(p), 4 * pmax(p));
    *g = -1;
    *d = -1;
    val_free(&n);
    val_free(&z);
    return q;
}
static Val bb_divr(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    return divr(c, x, val_lin(&x[1], 1, NULL, 0, -pmin(p)), p, g, d);
}
static int rb_divr(const int64_t *y, int p, int64_t *out) {
    int64_t n = 4 * y[0], z = y[1] - pmin(p);
    if (z == 0 && n != 0) return 0;
    *out = z ? floor_div(n, z) : 0;
    return 1;
}
static Val bb_divr2(Circuit *c, Val *x, int p, int64_t *g, int *d) {
    return divr(c, x, val_lin(&x[1], 1, &x[2], 1, 1 - 2 * pmin(p)), p, g, d);
}
static int rb_divr2(const int64_t *y, int p, int64_t *out) {
    *out = floor_div(4 * y[0], y[1] + y[2] - 2 * pmin(p) + 1);
    return 1;
}

/* A requantization whose input is a code of fewer values than its bits
 * can hold: x0 = requant_6(3 t, 2) lies in [-24, 23], a 6-bit code (0..63),
 * so 5 x0 as a form over the code's bits reaches 5 (63 - 24) = 195 where
 * it truly stops at 115.  y = requant_7(5 x0, 1) lies in [-60, 58], inside
 * p = 7: it saturates on neither side, and neither saturation gate may be
 * built (by the form's bounds the top one would be: 196 >= 118).  With taps
 * that leaves one tap per bit.  Exhaustive over the 6-bit t, both adders. */
static void test_requant_code_range(void) {
    LowerOpts saved = lower_opts;
    lower_opts.requant_bits_min_range = 0;
    for (int tap = 0; tap < 2; tap++) {
        lower_opts.bits_adder = tap ? BITS_ADDER_TAP : saved.bits_adder;
        const int p = 6;
        Circuit *c = ir_new(p);
        GateId in_bits[6];
        for (int b = 0; b < p; b++) in_bits[b] = ir_input(b);
        Val t = val_from_twos(in_bits, p), t3 = val_lin(&t, 3, NULL, 0, 0), x0 = {0}, x5 = {0}, y = {0};
        int32_t before = 0;
        bool built = val_requant_bits(c, &t3, NULL, 2, p, &x0);
        CHECK(built && x0.lo == -24 && x0.hi == 23 && x0.nbits == 6, "code_range: x0 in [%lld, %lld], %d bits",
              (long long)x0.lo, (long long)x0.hi, x0.nbits);
        if (built) {
            x5 = val_lin(&x0, 5, NULL, 0, 0);
            before = c->n_gates - c->n_sums;
            built = val_requant_bits(c, &x5, NULL, 1, 7, &y);
            CHECK(built && y.lo == -60 && y.hi == 58, "code_range: y in [%lld, %lld]", (long long)y.lo,
                  (long long)y.hi);
        }
        if (built) { /* else failed above: nothing to evaluate */
            int32_t made = c->n_gates - c->n_sums - before;
            if (tap)
                CHECK(made == y.nbits, "code_range tap: %d gates for %d bits (a saturation gate built)", made, y.nbits);
            for (int b = 0; b < y.nbits; b++) ir_add_output(c, y.bits[b]);
            Evaluator *e = eval_new(c);
            uint64_t in[6] = {0}, out[8] = {0};
            for (int l = 0; l < 64; l++)
                for (int b = 0; b < p; b++) in[b] |= (uint64_t)((l >> b) & 1) << l;
            eval_run(e, in, out);
            for (int l = 0; l < 64; l++) {
                int64_t v = l >= 32 ? l - 64 : l, want = requant(7, 5 * requant(p, 3 * v, 2), 1), got = y.lo;
                for (int b = 0; b < y.nbits; b++) got += (int64_t)((out[b] >> l) & 1) << b;
                CHECK(got == want, "code_range %s: t = %lld gives %lld, want %lld", tap ? "tap" : "adder", (long long)v,
                      (long long)got, (long long)want);
            }
            eval_free(e);
        }
        val_free(&y);
        val_free(&x5);
        val_free(&x0);
        val_free(&t3);
        val_free(&t);
        ir_free(c);
    }
    lower_opts = saved;
}

static void test_binary_prims_with(BitsAdder how);
/* the primitives over operands built by the one-step adder (the default),
 * then over operands that are bit taps (--bits tap; the primitives' own
 * codes of sums are taps too) */
static void test_binary_prims(void) {
    LowerOpts saved = lower_opts;
    test_binary_prims_with(BITS_ADDER_BLOCKS);
    test_binary_prims_with(BITS_ADDER_TAP);
    lower_opts = saved;
}

static void test_binary_prims_with(BitsAdder how) {
    lower_opts.bits_adder = how;
    static const BinPrim bp[] = {
        {"bin_ge", 2, {0, 1}, bb_ge, rb_ge, false},
        {"bin_product", 2, {0, 1}, bb_mul, rb_mul, false},
        {"bin_table", 1, {0}, bb_table, rb_table, false},
        {"bin_step", 1, {1}, bb_step, rb_step, false},
        {"bin_bit_table", 1, {0}, bb_bit_table, rb_bit_table, false},
        {"bin_bit_table_lo", 1, {1}, bb_bit_table, rb_bit_table, false},
        {"bin_max", 3, {0, 0, 0}, bb_max3, rb_max3, true},
        {"bin_max_lo", 3, {0, 1, 0}, bb_max3, rb_max3, false},
        {"bin_max4", 4, {1, 1, 1, 1}, bb_max4, rb_max4, true},
        {"bin_argmax", 3, {0, 1, 0}, bb_argmax, rb_argmax, false},
        {"bin_div", 2, {0, 0}, bb_div, rb_div, true},
        {"bin_div_restoring", 2, {0, 0}, bb_divr, rb_divr, false},
        {"bin_div_restoring_sum", 3, {0, 0, 1}, bb_divr2, rb_divr2, true},
    };
    for (size_t i = 0; i < sizeof bp / sizeof bp[0]; i++) {
        for (int p = 2; p <= 6; p++) {
            if (bp[i].k * p <= 18) run_bin(&bp[i], p, 1, 0);
            else run_bin(&bp[i], p, 0, 50000);
        }
        run_bin(&bp[i], 8, 0, 20000);
        run_bin(&bp[i], 12, 0, 5000);
        run_bin(&bp[i], 16, 0, 2000);
    }
}

int main(void) {
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        const Prim *P = &prims[i];
        for (int p = 2; p <= 6; p++) {
            if (P->k * p > 18) continue; /* 3 operands: exhaustive up to p = 6 is 2^18 */
            run_prim(P, p, 1, 0);
        }
        run_prim(P, 8, 0, 100000);
    }
    for (size_t i = 0; i < sizeof new_prims / sizeof new_prims[0]; i++) {
        const Prim *P = &new_prims[i];
        if (i < 2) {
            for (int p = 2; p <= 6; p++) run_prim(P, p, 1, 0);
            run_prim(P, 8, 0, 100000);
        }
        run_prim(P, 12, 0, 20000);
        run_prim(P, 16, 0, 5000);
    }
    /* the other product route at small p */
    int64_t saved = lower_opts.product_direct_max;
    lower_opts.product_direct_max = 0;
    for (int p = 2; p <= 6; p++) run_prim(&prims[5], p, 1, 0);
    lower_opts.product_direct_max = saved;
    test_prefix_sums();
    test_argmax_many();
    test_tournament();
    test_tournament_values();
    test_binary_adders();
    test_requant_code_range();
    test_binary_prims();
    return check_done("test_lower");
}
