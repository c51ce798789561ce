/*
 * eval.c - gate-level evaluation of a circuit on 64 input vectors at once.
 *
 * Bit-slicing: the value of a gate is one 64-bit word whose bit l belongs
 * to input vector l, so one word operation does one Boolean operation for
 * all 64 vectors.  Gates run in index order, which is topological.
 *
 * eval_new compiles every threshold gate [sum_i w_i x_i >= t] once into
 * the cheapest of these forms (a Step):
 *
 *   Literal form.  With w x = |w| (1 - x) - |w| for w < 0, the gate is
 *   [sum_i |w_i| l_i >= t'] over literals l_i = x_i, or ~x_i where w_i < 0,
 *   and t' = t + sum_(w_i<0) |w_i|.  A literal is stored as src << 1 | neg.
 *   t' <= 0 makes the gate constant 1, t' > sum |w_i| constant 0.
 *
 *   AND / OR.  When every literal alone reaches t' (min |w_i| >= t') the
 *   gate is the OR of its literals; when every literal is needed
 *   (sum |w_i| - min |w_i| < t') it is their AND.  That covers [x >= 1],
 *   NOT and the AND / OR gates: n_in - 1 word operations.
 *
 *   COUNT (all |w_i| = 1).  The literals are added by a bit-sliced adder
 *   (below) into a binary count, which is compared with t'.
 *
 *   SUM (any weights).  Each weight is recoded in non-adjacent form,
 *   w = sum_k d_k 2^k with digits d_k in {-1, 0, 1}, at most every other
 *   one nonzero (a third of the bits on average).  A digit +1 adds the
 *   bit-plane x into column k of the adder; a digit -1 adds ~x into
 *   column k and 2^k to the threshold, since -2^k x = 2^k (1 - x) - 2^k.
 *   Everything added is then non-negative, and the gate is [sum >= t'].
 *
 * The adder is carry-save: column k (weight 2^k) holds up to two
 * bit-planes.  A third plane runs a full adder over the three (5 word
 * operations): the sum bit stays in column k, the carry moves on to column
 * k+1.  So a plane costs about one full adder whatever the fan-in.  The
 * adder has K columns, K the bit length of the largest possible sum; a
 * carry out of column K-1 is 0 in every lane (the sum never reaches 2^K),
 * so it is dropped.  At the end a ripple-carry pass adds the two rows and
 * compares the result with the constant t' from the lowest bit up:
 * "low bits >= low bits of t'" is ge = t'_k ? sum_k & ge : sum_k | ge.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

enum { S_CONST0, S_CONST1, S_AND, S_OR, S_COUNT, S_SUM };

typedef struct {
    uint8_t kind;
    uint8_t cols;   /* COUNT, SUM: K, the adder's columns */
    uint32_t n;     /* literals (AND, OR, COUNT) or terms (SUM) */
    size_t first;   /* first one in Evaluator.lits or .digits */
    uint64_t thr;   /* COUNT, SUM: t' */
} Step;

/* A SUM term: weight w = plus - minus, both bit masks (non-adjacent form). */
typedef struct {
    uint32_t src;
    uint64_t plus, minus;
} Digits;

struct Evaluator {
    const Circuit *c;
    Step *steps;     /* one per gate from 2 + n_inputs on */
    uint32_t *lits;  /* src << 1 | negated */
    Digits *digits;
    uint64_t *val;   /* one word per gate */
};

static int bit_length(i128 v) { /* v >= 0 */
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 1;
    }
    return b;
}

/* Non-adjacent form of v < 2^62: v = plus - minus, no two adjacent bits. */
static void naf(uint64_t v, uint64_t *plus, uint64_t *minus) {
    uint64_t h = v >> 1, t = v + h, c = h ^ t;
    *plus = t & c;
    *minus = h & c;
}

/* Compiles gate g into e->steps[g - first gate]; lits and digits grow by
 * what the step uses (the arrays have room for the gate's fan-in). */
static void compile_gate(Evaluator *e, GateId g, size_t *n_lits, size_t *n_digits) {
    const Circuit *c = e->c;
    const Gate *G = &c->gates[g];
    const Term *t = ir_terms(c, g);
    Step *s = &e->steps[g - 2 - c->n_inputs];
    memset(s, 0, sizeof *s);
    s->n = G->n_in;

    /* literal form */
    i128 total = 0, thr = G->thr, wmin = 0;
    bool unit = true;
    for (uint32_t k = 0; k < G->n_in; k++) {
        i128 w = t[k].w < 0 ? -(i128)t[k].w : t[k].w;
        total += w;
        if (t[k].w < 0) thr += w;
        if (k == 0 || w < wmin) wmin = w;
        unit &= w == 1;
    }
    if (thr <= 0) {
        s->kind = S_CONST1;
        return;
    }
    if (thr > total) {
        s->kind = S_CONST0;
        return;
    }
    if (wmin >= thr || total - wmin < thr || unit) {
        s->kind = wmin >= thr ? S_OR : total - wmin < thr ? S_AND : S_COUNT;
        s->first = *n_lits;
        for (uint32_t k = 0; k < G->n_in; k++)
            e->lits[(*n_lits)++] = (uint32_t)t[k].src << 1 | (uint32_t)(t[k].w < 0);
        if (s->kind == S_COUNT) {
            s->thr = (uint64_t)thr;
            s->cols = (uint8_t)bit_length(total);
        }
        return;
    }

    /* SUM: signed digits, non-adjacent form unless its sum would not fit
     * in 64 bits (then plain binary, whose sum is sum |w_i|) */
    s->kind = S_SUM;
    s->first = *n_digits;
    for (int use_naf = 1; use_naf >= 0; use_naf--) {
        Digits *d = e->digits + s->first;
        total = 0;
        thr = G->thr;
        for (uint32_t k = 0; k < G->n_in; k++) {
            int64_t w = t[k].w;
            uint64_t mag = w < 0 ? (uint64_t)0 - (uint64_t)w : (uint64_t)w, plus = mag, minus = 0;
            if (use_naf && mag >> 62 == 0) naf(mag, &plus, &minus);
            if (w < 0) {
                uint64_t x = plus;
                plus = minus;
                minus = x;
            }
            d[k] = (Digits){(uint32_t)t[k].src, plus, minus};
            total += (i128)plus + minus;
            thr += minus;
        }
        if (total < (i128)1 << 64) break;
        if (!use_naf) BUG("eval: gate %d: the sum of |weights| does not fit in 64 bits", g);
    }
    *n_digits += G->n_in;
    s->thr = (uint64_t)thr; /* 0 < thr <= total: the literal form was not constant */
    s->cols = (uint8_t)bit_length(total);
}

Evaluator *eval_new(const Circuit *c) {
    Evaluator *e = xcalloc(1, sizeof *e);
    e->c = c;
    int32_t first = 2 + c->n_inputs;
    size_t n_steps = c->n_gates > first ? (size_t)(c->n_gates - first) : 0;
    size_t edges = 0;
    for (GateId g = first; g < c->n_gates; g++) edges += c->gates[g].n_in;
    e->steps = xcalloc(n_steps ? n_steps : 1, sizeof *e->steps);
    e->lits = xcalloc(edges ? edges : 1, sizeof *e->lits);
    e->digits = xcalloc(edges ? edges : 1, sizeof *e->digits);
    e->val = xcalloc((size_t)c->n_gates, sizeof *e->val);
    size_t n_lits = 0, n_digits = 0;
    for (GateId g = first; g < c->n_gates; g++) compile_gate(e, g, &n_lits, &n_digits);
    e->lits = xrealloc(e->lits, sizeof *e->lits * (n_lits ? n_lits : 1));
    e->digits = xrealloc(e->digits, sizeof *e->digits * (n_digits ? n_digits : 1));
    return e;
}

void eval_free(Evaluator *e) {
    if (!e) return;
    free(e->steps);
    free(e->lits);
    free(e->digits);
    free(e->val);
    free(e);
}

/* ---- the carry-save adder ---- */

typedef struct {
    int cols;
    uint8_t n[64];      /* planes in column k: 0, 1 or 2 */
    uint64_t a[64], b[64];
} Adder;

static inline void add_plane(Adder *ad, int k, uint64_t x) {
    while (k < ad->cols) {
        if (ad->n[k] == 0) {
            ad->a[k] = x;
            ad->n[k] = 1;
            return;
        }
        if (ad->n[k] == 1) {
            ad->b[k] = x;
            ad->n[k] = 2;
            return;
        }
        uint64_t p = ad->a[k] ^ ad->b[k];
        uint64_t carry = (ad->a[k] & ad->b[k]) | (p & x);
        ad->a[k] = p ^ x;
        ad->n[k] = 1;
        x = carry;
        k++;
    }
}

/* [sum >= thr] for every lane; empties the adder. */
static inline uint64_t adder_ge(Adder *ad, uint64_t thr) {
    uint64_t carry = 0, ge = ~(uint64_t)0;
    for (int k = 0; k < ad->cols; k++) {
        uint64_t a = ad->n[k] >= 1 ? ad->a[k] : 0, b = ad->n[k] == 2 ? ad->b[k] : 0;
        ad->n[k] = 0;
        uint64_t p = a ^ b, sum = p ^ carry;
        carry = (a & b) | (p & carry);
        ge = (thr >> k) & 1 ? sum & ge : sum | ge;
    }
    return ge;
}

static inline uint64_t lit(const uint64_t *val, uint32_t l) { return val[l >> 1] ^ ((uint64_t)0 - (l & 1)); }

void eval_run(Evaluator *e, const uint64_t *in, uint64_t *out) {
    const Circuit *c = e->c;
    uint64_t *val = e->val;
    val[GATE_CONST0] = 0;
    val[GATE_CONST1] = ~(uint64_t)0;
    if (c->n_inputs) memcpy(val + 2, in, sizeof *in * (size_t)c->n_inputs);
    Adder ad;
    memset(ad.n, 0, sizeof ad.n);
    int32_t first = 2 + c->n_inputs;
    for (GateId g = first; g < c->n_gates; g++) {
        const Step *s = &e->steps[g - first];
        const uint32_t *l = e->lits + s->first;
        uint64_t v = 0;
        switch (s->kind) {
        case S_CONST0: v = 0; break;
        case S_CONST1: v = ~(uint64_t)0; break;
        case S_AND:
            v = ~(uint64_t)0;
            for (uint32_t k = 0; k < s->n; k++) v &= lit(val, l[k]);
            break;
        case S_OR:
            for (uint32_t k = 0; k < s->n; k++) v |= lit(val, l[k]);
            break;
        case S_COUNT:
            ad.cols = s->cols;
            for (uint32_t k = 0; k < s->n; k++) add_plane(&ad, 0, lit(val, l[k]));
            v = adder_ge(&ad, s->thr);
            break;
        case S_SUM: {
            const Digits *d = e->digits + s->first;
            ad.cols = s->cols;
            for (uint32_t k = 0; k < s->n; k++) {
                uint64_t x = val[d[k].src];
                for (uint64_t m = d[k].plus; m; m &= m - 1) add_plane(&ad, __builtin_ctzll(m), x);
                for (uint64_t m = d[k].minus; m; m &= m - 1) add_plane(&ad, __builtin_ctzll(m), ~x);
            }
            v = adder_ge(&ad, s->thr);
            break;
        }
        default: BUG("eval: bad step kind %d", s->kind);
        }
        val[g] = v;
    }
    for (int i = 0; i < c->n_outputs; i++) out[i] = val[c->outputs[i]];
}
