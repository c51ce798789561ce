/*
 * ceval.c - the C evaluator (compiler/eval.c) as a third "simulator": reads
 * the same vector file as sim/tb.cpp and sim/tb_icarus.v, evaluates the
 * compiled circuit 64 vectors at a time (bit-sliced eval_run) and compares
 * every output with the reference.  bench/bench_sim.sh uses it for the
 * evaluator's throughput on the netlist the simulators run.
 *
 *   ceval MODEL N VECTORS [MIN_SECONDS]
 *
 * Repeats the whole file until eval_run has used MIN_SECONDS of CPU time
 * (default 0; at least one pass), then prints
 *   result: PASS|FAIL  N vectors checked, M mismatches [ceval TOP, ...]
 *   ceval_seconds: S s   (CPU time in eval_run only)
 *   ceval_vectors: V     (vectors evaluated, passes included)
 * Exit status 1 on a mismatch or when no vector was checked, 2 on errors.
 * Built by bench/bench_sim.sh against build/obj (like bench/run.sh).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    char *in, *out, *text; /* bit strings, MSB first; the string */
    int line;
} Vec;

/* Reads the vector lines of path; returns the count or -1. */
static long read_vectors(const char *path, Vec **out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ceval: cannot open %s\n", path);
        return -1;
    }
    Vec *v = NULL;
    long n = 0, cap = 0;
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t len;
    int ln = 0;
    while ((len = getline(&buf, &bcap, f)) >= 0) {
        ln++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
        if (len == 0 || buf[0] == '#') continue;
        char *a = strchr(buf, ' '), *b = a ? strchr(a + 1, ' ') : NULL;
        if (!a) {
            fprintf(stderr, "%s:%d: malformed vector\n", path, ln);
            free(buf);
            fclose(f);
            return -1;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            v = realloc(v, sizeof *v * (size_t)cap);
            if (!v) abort();
        }
        *a = 0;
        if (b) *b = 0;
        v[n].in = strdup(buf);
        v[n].out = strdup(a + 1);
        v[n].text = strdup(b ? b + 1 : "");
        v[n].line = ln;
        n++;
    }
    free(buf);
    fclose(f);
    *out = v;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ceval MODEL N VECTORS [MIN_SECONDS]\n");
        return 2;
    }
    double min_s = argc > 4 ? atof(argv[4]) : 0;
    Model *m = model_load(argv[1]);
    if (!m) return 2;
    CompileOpts o = {.n = atoi(argv[2]), .max_gates = 10000000, .quiet = true};
    Compiled cm;
    if (o.n < 1 || !compile_model(m, &o, &cm)) return 2;
    const Circuit *c = cm.c;
    Vec *v = NULL;
    long nv = read_vectors(argv[3], &v);
    if (nv < 0) return 2;
    int NI = c->n_inputs, NO = c->n_outputs;
    for (long i = 0; i < nv; i++)
        if ((int)strlen(v[i].in) != NI || (int)strlen(v[i].out) != NO) {
            fprintf(stderr, "%s:%d: %zu/%zu bits, the circuit has %d inputs and %d outputs\n", argv[3], v[i].line,
                    strlen(v[i].in), strlen(v[i].out), NI, NO);
            return 2;
        }

    /* pack the vectors 64 at a time: in[b][i] bit l = input i of vector 64b+l */
    long nb = (nv + 63) / 64;
    uint64_t *in = xcalloc((size_t)(nb * NI) + 1, sizeof *in);
    uint64_t *want = xcalloc((size_t)(nb * NO) + 1, sizeof *want);
    uint64_t *got = xcalloc((size_t)NO + 1, sizeof *got);
    for (long i = 0; i < nv; i++) {
        long b = i / 64;
        int l = (int)(i % 64);
        for (int k = 0; k < NI; k++)
            if (v[i].in[NI - 1 - k] == '1') in[b * NI + k] |= 1ull << l;
        for (int k = 0; k < NO; k++)
            if (v[i].out[NO - 1 - k] == '1') want[b * NO + k] |= 1ull << l;
    }

    Evaluator *e = eval_new(c);
    long checked = 0, mismatches = 0, evaluated = 0;
    double spent = 0;
    for (int pass = 0; pass == 0 || spent < min_s; pass++) {
        for (long b = 0; b < nb; b++) {
            double t0 = cpu_now();
            eval_run(e, in + b * NI, got);
            spent += cpu_now() - t0;
            long lanes = nv - b * 64 < 64 ? nv - b * 64 : 64;
            evaluated += lanes;
            if (pass) continue;
            for (int l = 0; l < lanes; l++) {
                long i = b * 64 + l;
                bool same = true;
                for (int k = 0; k < NO && same; k++) same = ((got[k] ^ want[b * NO + k]) >> l & 1) == 0;
                checked++;
                if (same) continue;
                if (mismatches++ == 0) {
                    printf("first mismatch: vector %ld (%s line %d): string \"%s\"\n  tokens   %s\n  expected %s\n"
                           "  got      ",
                           i, argv[3], v[i].line, v[i].text, v[i].in, v[i].out);
                    for (int k = NO - 1; k >= 0; k--) putchar((int)('0' + (got[k] >> l & 1)));
                    putchar('\n');
                }
            }
        }
    }
    bool pass = mismatches == 0 && checked > 0;
    printf("result: %s  %ld vectors checked, %ld mismatches [ceval %s_n%d, %lld gates]\n", pass ? "PASS" : "FAIL",
           checked, mismatches, m->name, cm.n, (long long)(c->n_gates - 2 - NI));
    printf("ceval_seconds: %.6f s\nceval_vectors: %ld vectors\n", spent, evaluated);
    eval_free(e);
    for (long i = 0; i < nv; i++) {
        free(v[i].in);
        free(v[i].out);
        free(v[i].text);
    }
    free(v);
    free(in);
    free(want);
    free(got);
    compiled_free(&cm);
    model_free(m);
    return pass ? 0 : 1;
}
