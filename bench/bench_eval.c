/*
 * bench_eval.c - throughput of the bit-sliced evaluator (eval.c) against a
 * naive one (per vector, per gate, the weighted sum in int64), side by
 * side on random layered circuits of 10^5 threshold gates, fan-in 8..32:
 *
 *   unit    weights +-1 (counting gates)
 *   small   weights +-1..+-7
 *   large   weights +-1..+-2^20
 *   thermo  weights +-1..+-2^20, 15 thresholds over each weighted sum (the
 *           thermometer gates of a requantization, DESIGN.md section 3)
 *
 * and on a real circuit: bench/models/bench_softmax.json compiled at n = 16
 * (skipped when that model is absent).
 *
 * For each circuit it prints "name: value unit" lines (bench/run.sh
 * collects them): gate evaluations per second (gates x vectors / s), fan-in
 * edges per second (edges x vectors / s), for eval_run and for the naive
 * evaluator, and the ratio.  The two evaluators must agree on every batch.
 * Times are CPU time of the process, so that other jobs on the machine
 * disturb the figures less.  Built and run by bench/run.sh (`make bench`).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N_INPUTS = 256, LAYERS = 50, WIDTH = 2000, MIN_FANIN = 8, MAX_FANIN = 32 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void) { return rng_next(&rng_state); } /* verify.c's xorshift64* */

static int64_t rnd(int64_t n) { return (int64_t)(rnd64() % (uint64_t)n); }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* LAYERS x WIDTH gates; each reads MIN_FANIN..MAX_FANIN gates, mostly of
 * the previous layer.  Every weighted sum gets per_sum thresholds spread
 * over the middle of its range (so that few gates are constant and ir_thr
 * keeps them). */
static Circuit *build(int64_t max_w, int per_sum) {
    Circuit *c = ir_new(N_INPUTS);
    GateId prev_first = 2, prev_end = 2 + N_INPUTS;
    for (int L = 0; L < LAYERS; L++) {
        GateId first = c->n_gates;
        for (int i = 0; i < WIDTH; i += per_sum) {
            Form f;
            form_init(&f, 0);
            int n = MIN_FANIN + (int)rnd(MAX_FANIN - MIN_FANIN + 1);
            for (int k = 0; k < n; k++) {
                GateId src;
                do /* 0/1 gates only: sum nodes are read through the gates over them */
                    src = rnd(4) ? prev_first + (GateId)rnd(prev_end - prev_first) : 2 + (GateId)rnd(c->n_gates - 2);
                while (ir_is_sum(c, src));
                int64_t w = 1 + rnd(max_w);
                form_add_term(&f, src, rnd(2) ? w : -w);
            }
            int64_t lo, hi;
            form_bounds(&f, &lo, &hi);
            int64_t span = (hi - lo) / 2 + 1, base = lo + (hi - lo) / 4;
            for (int j = 0; j < per_sum; j++) {
                int64_t t = per_sum == 1 ? base + rnd(span) : base + span * j / per_sum;
                GateId g = ir_thr(c, &f, t);
                if (L == LAYERS - 1 || rnd(16) == 0) ir_add_output(c, g);
            }
            form_free(&f);
        }
        prev_first = first;
        prev_end = c->n_gates;
    }
    return c;
}

/* The naive evaluator: one vector at a time, every node in order; a shared
 * sum node (ir.c) is summed once per vector into s. */
static void naive_run(const Circuit *c, uint8_t *v, int64_t *s, const uint64_t *in, uint64_t *out) {
    memset(out, 0, sizeof *out * (size_t)c->n_outputs);
    for (int lane = 0; lane < 64; lane++) {
        v[GATE_CONST0] = 0;
        v[GATE_CONST1] = 1;
        for (int i = 0; i < c->n_inputs; i++) v[2 + i] = (in[i] >> lane) & 1;
        for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
            const Gate *G = &c->gates[g];
            const Term *t = c->terms + G->term_off;
            int64_t sum = 0;
            for (uint32_t k = 0; k < G->n_in; k++)
                sum += c->gates[t[k].src].kind == G_SUM ? s[t[k].src] * t[k].w : v[t[k].src] ? t[k].w : 0;
            if (G->kind == G_SUM) s[g] = sum;
            else v[g] = sum >= G->thr;
        }
        for (int k = 0; k < c->n_outputs; k++) out[k] |= (uint64_t)v[c->outputs[k]] << lane;
    }
}

/* Measures both evaluators on c (taken) and prints the figures. */
static int measure(const char *name, Circuit *c) {
    const char *err = ir_check(c);
    if (err) {
        fprintf(stderr, "bench_eval: %s: bad circuit: %s\n", name, err);
        return 1;
    }
    CircuitStats st;
    ir_stats(c, &st);
    uint64_t *in = xcalloc((size_t)c->n_inputs + 1, sizeof *in);
    uint64_t *fast = xcalloc((size_t)c->n_outputs, sizeof *fast);
    uint64_t *slow = xcalloc((size_t)c->n_outputs, sizeof *slow);
    uint8_t *v = xcalloc((size_t)c->n_gates, 1);
    int64_t *sv = xcalloc((size_t)c->n_gates, sizeof *sv);

    double t0 = now();
    Evaluator *e = eval_new(c);
    double t_new = now() - t0;

    /* side by side: each evaluator for half a second, at least 3 batches;
     * the outputs compared on every batch the naive one runs */
    long fast_batches = 0, naive_batches = 0;
    double t_fast = 0, t_naive = 0;
    int bad = 0;
    while (t_naive < 0.5 || naive_batches < 3) {
        for (int i = 0; i < c->n_inputs; i++) in[i] = rnd64();
        t0 = now();
        naive_run(c, v, sv, in, slow);
        t_naive += now() - t0;
        naive_batches++;
        t0 = now();
        eval_run(e, in, fast);
        t_fast += now() - t0;
        fast_batches++;
        bad += memcmp(fast, slow, sizeof *fast * (size_t)c->n_outputs) != 0;
    }
    while (t_fast < 0.5 || fast_batches < 3) {
        for (int i = 0; i < c->n_inputs; i++) in[i] = rnd64();
        t0 = now();
        eval_run(e, in, fast);
        t_fast += now() - t0;
        fast_batches++;
    }
    if (bad) {
        fprintf(stderr, "bench_eval: %s: eval_run and the naive evaluator differ on %d batches\n", name, bad);
        return 1;
    }

    double gates = (double)st.gates, edges = (double)st.edges;
    double fast_rate = gates * 64.0 * (double)fast_batches / t_fast;
    double naive_rate = gates * 64.0 * (double)naive_batches / t_naive;
    printf("eval_%s_gates: %lld gates\n", name, (long long)st.gates);
    printf("eval_%s_edges: %lld edges\n", name, (long long)st.edges);
    printf("eval_%s_compile: %.4f s\n", name, t_new);
    printf("eval_%s_fast: %.4g gate_evals/s\n", name, fast_rate);
    printf("eval_%s_fast_edges: %.4g edges/s\n", name, edges * 64.0 * (double)fast_batches / t_fast);
    printf("eval_%s_naive: %.4g gate_evals/s\n", name, naive_rate);
    printf("eval_%s_naive_edges: %.4g edges/s\n", name, edges * 64.0 * (double)naive_batches / t_naive);
    printf("eval_%s_speedup: %.1f x\n", name, fast_rate / naive_rate);
    fflush(stdout);

    eval_free(e);
    free(in);
    free(fast);
    free(slow);
    free(v);
    free(sv);
    ir_free(c);
    return 0;
}

/* The circuit of a real model, when the compile benchmark's model is there
 * (bench/models/bench_softmax.json at n = 16: about 7 * 10^4 gates). */
static int measure_model(const char *name, const char *path, int n) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    fclose(f);
    Model *m = model_load(path);
    if (!m) return 1;
    CompileOpts o = {.n = n, .quiet = true};
    Compiled cm;
    if (!compile_model(m, &o, &cm)) return 1;
    int rc = measure(name, cm.c);
    cm.c = NULL;
    compiled_free(&cm);
    model_free(m);
    return rc;
}

int main(void) {
    int rc = 0;
    rc |= measure("unit", build(1, 1));
    rc |= measure("small", build(7, 1));
    rc |= measure("large", build((int64_t)1 << 20, 1));
    rc |= measure("thermo", build((int64_t)1 << 20, 15));
    rc |= measure_model("softmax_n16", "bench/models/bench_softmax.json", 16);
    return rc;
}
