/*
 * eval.c - gate-level evaluation of a circuit on 64 input vectors at once.
 * (Straightforward version; see bench/ for its throughput.)
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

struct Evaluator {
    const Circuit *c;
    uint64_t *val; /* one word per gate */
};

Evaluator *eval_new(const Circuit *c) {
    Evaluator *e = xcalloc(1, sizeof *e);
    e->c = c;
    e->val = xcalloc((size_t)c->n_gates, sizeof *e->val);
    return e;
}

void eval_free(Evaluator *e) {
    if (!e) return;
    free(e->val);
    free(e);
}

void eval_run(Evaluator *e, const uint64_t *in, uint64_t *out) {
    const Circuit *c = e->c;
    uint64_t *val = e->val;
    val[GATE_CONST0] = 0;
    val[GATE_CONST1] = ~(uint64_t)0;
    memcpy(val + 2, in, sizeof *in * (size_t)c->n_inputs);
    int64_t acc[64];
    for (GateId g = 2 + c->n_inputs; g < c->n_gates; g++) {
        const Gate *G = &c->gates[g];
        const Term *t = c->terms + G->term_off;
        memset(acc, 0, sizeof acc);
        for (uint32_t k = 0; k < G->n_in; k++) {
            uint64_t x = val[t[k].src];
            int64_t w = t[k].w;
            for (int l = 0; l < 64; l++) acc[l] += (int64_t)((x >> l) & 1) * w;
        }
        uint64_t r = 0;
        for (int l = 0; l < 64; l++) r |= (uint64_t)(acc[l] >= G->thr) << l;
        val[g] = r;
    }
    for (int i = 0; i < c->n_outputs; i++) out[i] = val[c->outputs[i]];
}
