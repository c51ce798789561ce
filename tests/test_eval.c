/*
 * test_eval.c - the bit-sliced evaluator (eval.c) against a naive one
 * written here: per vector, per gate, the weighted sum in 128-bit
 * integers.  Random layered circuits made with ir_thr (fan-in 1..40,
 * unit, small, large and mixed weights, AND/OR/NOT and other 2-input
 * gates), a circuit of a few thousand gates, and hand-made gates that
 * ir_thr would have normalized away (constant thresholds, terms on the
 * constant gates, weights near 2^62).
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

/* ---- a small deterministic generator (xorshift64*) ---- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd64(void) { return rng_next(&rng_state); } /* verify.c's xorshift64* */

static int64_t rnd(int64_t n) { return (int64_t)(rnd64() % (uint64_t)n); } /* [0, n) */

/* ---- the naive evaluator: one vector at a time ---- */

static void naive_run(const Circuit *c, const uint64_t *in, uint64_t *out) {
    i128 *v = xcalloc((size_t)c->n_gates, sizeof *v); /* a sum node's value is its sum */
    memset(out, 0, sizeof *out * (size_t)c->n_outputs);
    for (int lane = 0; lane < 64; lane++) {
        v[GATE_CONST0] = 0;
        v[GATE_CONST1] = 1;
        for (int i = 0; i < c->n_inputs; i++) v[2 + i] = (in[i] >> lane) & 1;
        for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
            const Term *t = ir_terms(c, g);
            i128 sum = 0;
            for (uint32_t k = 0; k < c->gates[g].n_in; k++) sum += v[t[k].src] * (i128)t[k].w;
            v[g] = c->gates[g].kind == G_SUM ? sum : sum >= c->gates[g].thr;
        }
        for (int k = 0; k < c->n_outputs; k++) out[k] |= (uint64_t)v[c->outputs[k]] << lane;
    }
    free(v);
}

/* Random input words: uniform, sparse, dense, all 0, all 1. */
static uint64_t rnd_word(int mode) {
    switch (mode % 5) {
    case 0: return rnd64();
    case 1: return rnd64() & rnd64() & rnd64();
    case 2: return rnd64() | rnd64() | rnd64();
    case 3: return 0;
    default: return ~(uint64_t)0;
    }
}

/* Compares eval_run with naive_run on `batches` random batches; returns
 * the number of batches that differ. */
static int compare(const Circuit *c, int batches, const char *what) {
    Evaluator *e = eval_new(c);
    uint64_t *in = xcalloc((size_t)c->n_inputs + 1, sizeof *in);
    uint64_t *got = xcalloc((size_t)c->n_outputs + 1, sizeof *got);
    uint64_t *want = xcalloc((size_t)c->n_outputs + 1, sizeof *want);
    int bad = 0;
    for (int b = 0; b < batches; b++) {
        int mode = (int)rnd(8); /* mostly uniform, sometimes sparse, dense or mixed */
        for (int i = 0; i < c->n_inputs; i++) in[i] = rnd_word(mode < 4 ? 0 : mode < 6 ? mode - 3 : (int)rnd(5));
        eval_run(e, in, got);
        naive_run(c, in, want);
        int first = -1;
        for (int k = 0; k < c->n_outputs && first < 0; k++)
            if (got[k] != want[k]) first = k;
        CHECK(first < 0, "%s, batch %d: output %d (gate %d) is %016llx, expected %016llx", what, b, first,
              first < 0 ? 0 : c->outputs[first], first < 0 ? 0ull : (unsigned long long)got[first],
              first < 0 ? 0ull : (unsigned long long)want[first]);
        if (first >= 0) {
            bad++;
            if (bad == 1 && c->n_gates < 200) ir_dump(c, stderr);
        }
    }
    free(in);
    free(got);
    free(want);
    eval_free(e);
    return bad;
}

/* ---- random layered circuits ---- */

typedef enum { W_UNIT, W_SMALL, W_LARGE, W_MIXED } WeightKind;

static int64_t rnd_weight(WeightKind kind) {
    int64_t w;
    switch (kind) {
    case W_UNIT: w = 1; break;
    case W_SMALL: w = 1 + rnd(9); break;
    case W_LARGE: w = 1 + rnd((int64_t)1 << 20); break;
    default: w = rnd(4) == 0 ? 1 + rnd((int64_t)1 << 20) : rnd(3) == 0 ? (int64_t)1 << rnd(21) : 1 + rnd(9); break;
    }
    return rnd(2) ? w : -w;
}

/* A random threshold for a form: mostly near the middle of its range, or
 * anywhere in it, sometimes just outside. */
static int64_t rnd_threshold(const Form *f) {
    int64_t lo, hi;
    form_bounds(f, &lo, &hi);
    switch (rnd(4)) {
    case 0: return lo + rnd(hi - lo + 1);
    case 1: return rnd(2) ? lo - rnd(3) : hi + 1 + rnd(3);
    default: {
        int64_t mid = lo + (hi - lo) / 2, span = (hi - lo) / 8 + 1;
        return mid - span + rnd(2 * span + 1);
    }
    }
}

/* A source for a gate in a layer: mostly the previous layer, else any
 * older gate or input; a sum node only when sums may be read (small
 * weights: nested sums stay far below 2^62). */
static GateId rnd_source(const Circuit *c, bool sums, GateId prev_first, GateId prev_end, GateId end) {
    for (;;) {
        GateId g = prev_end > prev_first && rnd(4) != 0 ? prev_first + (GateId)rnd(prev_end - prev_first)
                                                        : 2 + (GateId)rnd(end - 2);
        if (sums || !ir_is_sum(c, g)) return g;
    }
}

static Circuit *random_circuit(int n_inputs, int layers, int width, int max_fanin, WeightKind kind) {
    Circuit *c = ir_new(n_inputs);
    GateId prev_first = 2, prev_end = 2 + n_inputs;
    for (int L = 0; L < layers; L++) {
        GateId first = c->n_gates;
        for (int i = 0; i < width; i++) {
            GateId end = c->n_gates, g;
            bool sums = kind == W_UNIT || kind == W_SMALL;
            GateId a = rnd_source(c, false, prev_first, prev_end, end),
                   b = rnd_source(c, false, prev_first, prev_end, end);
            int r = (int)rnd(16);
            if (r == 0) g = ir_and(c, a, b);
            else if (r == 1) g = ir_or(c, a, b);
            else if (r == 2) g = ir_not(c, a);
            else {
                Form f;
                form_init(&f, 0);
                int n = r == 3 ? 2 : 1 + (int)rnd(max_fanin);
                WeightKind k = r == 4 ? W_UNIT : kind;
                for (int j = 0; j < n; j++)
                    form_add_term(&f, rnd_source(c, sums, prev_first, prev_end, end), rnd_weight(k));
                int64_t lo, hi;
                ir_form_bounds(c, &f, &lo, &hi);
                g = ir_thr(c, &f, lo - 1 + rnd(hi - lo + 3));
                form_free(&f);
            }
            if (!ir_is_sum(c, g)) ir_add_output(c, g);
        }
        prev_first = first;
        prev_end = c->n_gates;
    }
    return c;
}

static void test_random(void) {
    static const char *const kinds[] = {"unit", "small", "large", "mixed"};
    for (int round = 0; round < 40; round++) {
        WeightKind kind = (WeightKind)(round % 4);
        int n_inputs = 1 + (int)rnd(40), layers = 1 + (int)rnd(6), width = 1 + (int)rnd(30);
        Circuit *c = random_circuit(n_inputs, layers, width, 40, kind);
        CHECK(ir_check(c) == NULL, "random circuit: %s", ir_check(c));
        char what[96];
        snprintf(what, sizeof what, "random circuit %d (%s weights, %d gates)", round, kinds[kind], c->n_gates);
        compare(c, 40, what);
        ir_free(c);
    }
}

/* Gates of every size up to 64 inputs, all weights the same kind, on all
 * inputs at once: exercises the adder's columns at every fan-in. */
static void test_fanin_sweep(void) {
    for (int kind = 0; kind < 4; kind++)
        for (int n = 1; n <= 64; n++) {
            Circuit *c = ir_new(n);
            for (int rep = 0; rep < 12; rep++) {
                Form f;
                form_init(&f, 0);
                for (int i = 0; i < n; i++) form_add_term(&f, ir_input(i), rnd_weight((WeightKind)kind));
                ir_add_output(c, ir_thr(c, &f, rnd_threshold(&f)));
                form_free(&f);
            }
            char what[64];
            snprintf(what, sizeof what, "fan-in %d, weight kind %d", n, kind);
            compare(c, 8, what);
            ir_free(c);
        }
}

/* Thermometers: many thresholds over one form in a row (the evaluator
 * reuses the sum), forms taking turns, AND/OR gates among them. */
static void test_thermometer(void) {
    for (int round = 0; round < 24; round++) {
        int n_inputs = 1 + (int)rnd(24);
        Circuit *c = ir_new(n_inputs);
        Form f[2];
        for (int j = 0; j < 2; j++) {
            form_init(&f[j], 0);
            int n = 1 + (int)rnd(n_inputs + 8);
            for (int k = 0; k < n; k++)
                form_add_term(&f[j], 2 + (GateId)rnd(n_inputs), rnd_weight((WeightKind)(round % 4)));
        }
        int64_t lo[2], hi[2];
        for (int j = 0; j < 2; j++) form_bounds(&f[j], &lo[j], &hi[j]);
        /* every threshold of form 0 in order, then both forms taking turns */
        int64_t step = (hi[0] - lo[0]) / 64 + 1;
        for (int64_t t = lo[0]; t <= hi[0] + 1; t += step) ir_add_output(c, ir_thr(c, &f[0], t));
        for (int k = 0; k < 32; k++) {
            int j = (int)rnd(2);
            ir_add_output(c, ir_thr(c, &f[j], lo[j] + rnd(hi[j] - lo[j] + 2)));
        }
        /* a second layer: thermometer of a form over the first */
        Form g;
        form_init(&g, 0);
        for (int k = 0; k < 12 && k < c->n_outputs; k++)
            form_add_term(&g, c->outputs[rnd(c->n_outputs)], rnd_weight(W_MIXED));
        int64_t glo, ghi;
        form_bounds(&g, &glo, &ghi);
        for (int64_t t = glo; t <= ghi + 1; t += (ghi - glo) / 32 + 1) ir_add_output(c, ir_thr(c, &g, t));
        form_free(&g);
        for (int j = 0; j < 2; j++) form_free(&f[j]);
        char what[64];
        snprintf(what, sizeof what, "thermometer %d (%d gates)", round, c->n_gates);
        compare(c, 16, what);
        ir_free(c);
    }
}

static void test_big(void) {
    Circuit *c = random_circuit(64, 12, 250, 32, W_MIXED);
    CHECK(c->n_gates >= 1000, "big circuit has only %d gates", c->n_gates);
    CHECK(ir_check(c) == NULL, "big circuit: %s", ir_check(c));
    compare(c, 20, "big circuit");
    ir_free(c);
}

/* ---- hand-made gates, past ir_thr's normalization ---- */

static void raw_gate(Circuit *c, const Term *t, uint32_t n, int64_t thr) {
    if (c->n_gates == c->cap_gates) {
        c->cap_gates = c->cap_gates ? 2 * c->cap_gates : 64;
        c->gates = xrealloc(c->gates, sizeof *c->gates * (size_t)c->cap_gates);
    }
    while (c->n_terms + n > c->cap_terms) {
        c->cap_terms = c->cap_terms ? 2 * c->cap_terms : 64;
        c->terms = xrealloc(c->terms, sizeof *c->terms * c->cap_terms);
    }
    Gate *G = &c->gates[c->n_gates];
    memset(G, 0, sizeof *G);
    G->kind = G_THR;
    G->hi = 1;
    G->n_in = n;
    G->term_off = c->n_terms;
    G->thr = thr;
    G->group = 0;
    int32_t level = 0;
    for (uint32_t k = 0; k < n; k++)
        if (c->gates[t[k].src].level > level) level = c->gates[t[k].src].level;
    G->level = level + 1;
    if (n) memcpy(c->terms + c->n_terms, t, sizeof *t * n);
    c->n_terms += n;
    c->n_groups = 1;
    ir_add_output(c, c->n_gates++);
}

static void test_raw(void) {
    const int64_t big = ((int64_t)1 << 62) - 1, naf_heavy = 0x2db6db6db6db6db7; /* 0b1011011... */
    Circuit *c = ir_new(4);
    GateId x = ir_input(0), y = ir_input(1), z = ir_input(2), u = ir_input(3);
    /* constants: threshold at or below the minimum, above the maximum */
    raw_gate(c, (Term[]){{x, 1}, {y, -1}}, 2, -1);
    raw_gate(c, (Term[]){{x, 1}, {y, -1}}, 2, 2);
    raw_gate(c, (Term[]){{x, 3}}, 1, 0);
    raw_gate(c, (Term[]){{x, 3}}, 1, 4);
    raw_gate(c, NULL, 0, 0);
    raw_gate(c, NULL, 0, 1);
    /* not gcd-normalized, a single input with weight > 1, terms on the
     * constant gates, duplicate sources */
    raw_gate(c, (Term[]){{x, 2}, {y, 2}}, 2, 3);
    raw_gate(c, (Term[]){{x, 5}}, 1, 3);
    raw_gate(c, (Term[]){{x, -5}}, 1, -3);
    raw_gate(c, (Term[]){{GATE_CONST1, 2}, {x, 1}, {GATE_CONST0, 7}}, 3, 3);
    raw_gate(c, (Term[]){{x, 1}, {x, 1}, {y, 1}}, 3, 2);
    raw_gate(c, (Term[]){{x, 2}, {y, 1}}, 2, 2);  /* = x */
    raw_gate(c, (Term[]){{x, -2}, {y, 1}}, 2, 0); /* = NOT x */
    /* huge weights: sums near 2^63, non-adjacent form past 2^64 */
    raw_gate(c, (Term[]){{x, big}, {y, -big}, {z, 1}}, 3, 1);
    raw_gate(c, (Term[]){{x, big}, {y, big}, {z, -big}, {u, -big}}, 4, 0);
    raw_gate(c, (Term[]){{x, naf_heavy}, {y, naf_heavy}, {z, -naf_heavy}, {u, 1}}, 4, naf_heavy);
    raw_gate(c, (Term[]){{x, naf_heavy}, {y, -naf_heavy}, {z, naf_heavy}, {u, -naf_heavy}}, 4, 1);
    raw_gate(c, (Term[]){{x, big}, {y, big}, {z, big}, {u, big}}, 4, 2 * big);
    /* the same terms again, other thresholds, another sum in between */
    raw_gate(c, (Term[]){{x, 3}, {y, -5}, {z, 7}, {u, 1}}, 4, 2);
    raw_gate(c, (Term[]){{x, 3}, {y, -5}, {z, 7}, {u, 1}}, 4, -1);
    raw_gate(c, (Term[]){{x, 3}, {y, -5}, {z, 7}, {u, 2}}, 4, 4);
    raw_gate(c, (Term[]){{x, 3}, {y, -5}, {z, 7}, {u, 1}}, 4, 6);
    raw_gate(c, (Term[]){{x, 3}, {y, -5}, {z, 7}, {u, 1}}, 4, 11); /* AND */
    raw_gate(c, (Term[]){{x, 3}, {y, -5}, {z, 7}, {u, 1}}, 4, 5);
    /* gates reading hand-made gates */
    raw_gate(c, (Term[]){{6, 1}, {12, 1}, {17, -1}, {20, 3}}, 4, 2);
    CHECK(ir_check(c) == NULL, "hand-made circuit: %s", ir_check(c));
    compare(c, 64, "hand-made gates");
    ir_free(c);
}

/* The evaluator can be run many times and on circuits with no gates or
 * no outputs. */
static void test_edges(void) {
    Circuit *c = ir_new(0);
    ir_add_output(c, GATE_CONST0);
    ir_add_output(c, GATE_CONST1);
    Evaluator *e = eval_new(c);
    uint64_t out[2] = {1, 2};
    eval_run(e, NULL, out);
    CHECK(out[0] == 0 && out[1] == ~(uint64_t)0, "constants: %llx %llx", (unsigned long long)out[0],
          (unsigned long long)out[1]);
    eval_free(e);
    ir_free(c);

    c = ir_new(3);
    GateId maj;
    {
        Form f;
        form_init(&f, 0);
        for (int i = 0; i < 3; i++) form_add_term(&f, ir_input(i), 1);
        maj = ir_thr(c, &f, 2);
        form_free(&f);
    }
    ir_add_output(c, maj);
    ir_add_output(c, ir_input(1));
    e = eval_new(c);
    uint64_t in[3] = {0xff00ff00ff00ff00ull, 0xf0f0f0f0f0f0f0f0ull, 0xccccccccccccccccull}, o[2];
    for (int rep = 0; rep < 3; rep++) {
        eval_run(e, in, o);
        CHECK(o[0] == ((in[0] & in[1]) | (in[0] & in[2]) | (in[1] & in[2])), "majority: %llx",
              (unsigned long long)o[0]);
        CHECK(o[1] == in[1], "input passed through: %llx", (unsigned long long)o[1]);
    }
    eval_free(e);
    eval_free(NULL);
    ir_free(c);
}

int main(void) {
    test_edges();
    test_raw();
    test_fanin_sweep();
    test_random();
    test_thermometer();
    test_big();
    return check_done("test_eval");
}
