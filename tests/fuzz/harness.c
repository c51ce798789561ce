/*
 * harness.c - the fuzzing harness of tc0c (docs/testing.md): one model file
 * in, one of three jobs, built with afl-clang-fast for `make fuzz` and with
 * the sanitizers for the replay in `make test` (tests/fuzz.sh).
 *   check FILE    load and validate, print the summary
 *   run FILE      load, evaluate the reference (with trace) on every string
 *                 of length 0..3 and on a few longer ones
 *   compile FILE  load, compile for n = min(max_len, 3) under a small size
 *                 guard, write the Verilog in all three gate styles and
 *                 pipelined, and verify circuit = reference on every string
 *                 (at most 4096); a mismatch aborts (a bug found)
 * Exit status: 0, or 2 when the model is invalid; anything else is a bug.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

static void run_all(const Model *m, FILE *sink) {
    int tokens[64], out[64];
    for (int n = 0; n <= 3 && n <= m->max_len; n++) {
        if (n == 0 && !m->has_bos) continue;
        uint64_t count = 1;
        for (int i = 0; i < n; i++) count *= (uint64_t)m->n_vocab;
        for (uint64_t k = 0; k < count && k < 512; k++) {
            tokens_from_index(m, k, n, tokens);
            ref_run(m, tokens, n, out, k == 0 ? sink : NULL);
        }
    }
    int n = m->max_len < 64 ? m->max_len : 64;
    for (int i = 0; i < n; i++) tokens[i] = (i * 7 + 3) % m->n_vocab;
    ref_run(m, tokens, n, out, sink);
}

static int compile_all(const Model *m, FILE *sink) {
    int n = m->max_len < 3 ? m->max_len : 3;
    CompileOpts co = {.n = n, .max_gates = 20000, .quiet = true};
    Compiled cm;
    if (!compile_model(m, &co, &cm)) {
        compiled_free(&cm);
        return 4;
    }
    static const GateStyle styles[] = {GATES_THR, GATES_MAJ, GATES_CELLS};
    for (int s = 0; s < 3; s++) {
        VerilogOpts vo = {.style = styles[s], .pipeline = s, .maj_max_fanin = 4096};
        int latency;
        verilog_write(m, &cm, &vo, "fuzz", sink, &latency);
    }
    VerifyOpts vo = {.random = 4096, .seed = 1, .exhaustive_ok = true, .exhaustive_max = 4096};
    bool exhaustive;
    long checked = verify_circuit(m, &cm, &vo, &exhaustive);
    compiled_free(&cm);
    if (checked < 0) abort(); /* circuit != reference: a compiler bug */
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: harness check|run|compile MODEL\n");
        return 1;
    }
    FILE *sink = fopen("/dev/null", "w");
    if (!sink) return 1;
    bug_set_context(argv[2]);
    Model *m = model_load(argv[2]);
    int rc = 2;
    if (m) {
        rc = 0;
        if (!strcmp(argv[1], "check")) model_summary(m, sink);
        else if (!strcmp(argv[1], "run")) run_all(m, sink);
        else if (!strcmp(argv[1], "compile")) rc = compile_all(m, sink);
        else rc = 1;
        model_free(m);
    }
    fclose(sink);
    return rc;
}
