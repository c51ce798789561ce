/*
 * verify.c - checks a compiled circuit against the reference evaluator:
 * all |V|^n strings when asked and there are at most exhaustive_max (default
 * 2^20) of them, else o->random seeded random strings.  64 strings per circuit evaluation (bit-sliced).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

void tokens_to_string(const Model *m, const int *tokens, int n, char *buf) {
    for (int i = 0; i < n; i++) buf[i] = m->vocab[tokens[i]];
    buf[n] = '\0';
}

void tokens_from_index(const Model *m, uint64_t k, int n, int *tokens) {
    for (int i = 0; i < n; i++, k /= (uint64_t)m->n_vocab) tokens[i] = (int)(k % (uint64_t)m->n_vocab);
}

void model_print_outputs(const Model *m, const int *out, int n, FILE *f) {
    if (m->out.kind == OUT_ACCEPT) {
        fprintf(f, "%s", out[0] ? "accept" : "reject");
        return;
    }
    for (int i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", m->out.labels[out[i]]);
}

long verify_circuit(const Model *m, const Compiled *cm, const VerifyOpts *o, bool *exhaustive) {
    int n = cm->n, nout = model_n_outputs(m, n);
    double space = 1;
    for (int i = 0; i < n; i++) space *= m->n_vocab;
    uint64_t limit = o->exhaustive_max ? o->exhaustive_max : (uint64_t)1 << 20;
    *exhaustive = o->exhaustive_ok && space <= (double)limit;
    uint64_t total = *exhaustive ? (uint64_t)space : (uint64_t)o->random;
    Evaluator *e = eval_new(cm->c);
    uint64_t *in = xcalloc((size_t)cm->c->n_inputs + 1, sizeof *in);
    uint64_t *out = xcalloc((size_t)cm->c->n_outputs + 1, sizeof *out);
    int *tok[64];
    for (int l = 0; l < 64; l++) tok[l] = xcalloc((size_t)n + 1, sizeof(int));
    int *want = xcalloc((size_t)nout, sizeof *want), *got = xcalloc((size_t)nout, sizeof *got);
    uint64_t seed = o->seed;
    long checked = 0;
    for (uint64_t base = 0; base < total && checked >= 0; base += 64) {
        int count = total - base < 64 ? (int)(total - base) : 64;
        for (int l = 0; l < count; l++) {
            if (*exhaustive) tokens_from_index(m, base + (uint64_t)l, n, tok[l]);
            else
                for (int i = 0; i < n; i++) tok[l][i] = (int)(rng_next(&seed) % (uint64_t)m->n_vocab);
        }
        compiled_pack_inputs(cm, tok, count, in);
        eval_run(e, in, out);
        for (int l = 0; l < count; l++) {
            ref_run(m, tok[l], n, want, NULL);
            compiled_unpack_outputs(cm, m, out, l, got);
            if (memcmp(want, got, sizeof *want * (size_t)nout) != 0) {
                char *s = xmalloc((size_t)n + 1);
                tokens_to_string(m, tok[l], n, s);
                fprintf(stderr, "MISMATCH on \"%s\" (string %ld checked):\n  reference: ", s, checked + 1);
                model_print_outputs(m, want, n, stderr);
                fprintf(stderr, "\n  circuit:   ");
                model_print_outputs(m, got, n, stderr);
                fputc('\n', stderr);
                free(s);
                checked = -1;
                break;
            }
            checked++;
        }
    }
    for (int l = 0; l < 64; l++) free(tok[l]);
    free(in);
    free(out);
    free(want);
    free(got);
    eval_free(e);
    return checked;
}
