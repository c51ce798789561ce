/*
 * test_compile.c - the whole-model compiler against the reference on random
 * models that use every feature of the format: all four attention kinds,
 * causal masks, several heads and layers, shifts with rounding and
 * saturation, relu/identity/explicit tables, exp tables with zeros (Z = 0),
 * BOS or not, vocabularies of 1 to 5 symbols, accept heads at either end
 * and label heads.  Every model is verified exhaustively at small n.
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

static uint64_t seed = 20261129;

static int64_t rnd(int64_t lo, int64_t hi) { return lo + (int64_t)(rng_next(&seed) % (uint64_t)(hi - lo + 1)); }

static Mat rmat(Model *m, int rows, int cols, int64_t lo, int64_t hi) {
    Mat x = {rows, cols, arena_alloc(&m->arena, sizeof(int64_t) * (size_t)(rows * cols))};
    for (int i = 0; i < rows * cols; i++) x.v[i] = rnd(0, 2) ? rnd(lo, hi) : 0;
    return x;
}

static int64_t *rvec(Model *m, int n, int64_t lo, int64_t hi) {
    int64_t *v = arena_alloc(&m->arena, sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = rnd(lo, hi);
    return v;
}

static int64_t *rtable(Model *m, int64_t lo, int64_t hi) { return rvec(m, 1 << m->p, lo, hi); }

static Model *random_model(int id) {
    Model *m = xcalloc(1, sizeof *m);
    m->path = "random";
    m->name = "random";
    m->description = "";
    m->p = (int)rnd(2, 5);
    int p = m->p;
    m->n_vocab = (int)rnd(1, 5);
    for (int i = 0; i < m->n_vocab; i++) m->vocab[i] = (char)('a' + i);
    m->has_bos = rnd(0, 3) != 0;
    m->bos = '^';
    m->max_len = 8;
    m->d_model = (int)rnd(1, 4);
    int d = m->d_model;
    m->tok_emb = rmat(m, m->n_vocab + m->has_bos, d, pmin(p), pmax(p));
    m->pos_emb = rmat(m, m->max_len + m->has_bos, d, pmin(p), pmax(p));
    m->n_layers = (int)rnd(1, 2);
    m->layers = arena_alloc(&m->arena, sizeof *m->layers * (size_t)m->n_layers);
    for (int l = 0; l < m->n_layers; l++) {
        Attn *a = &m->layers[l].attn;
        Ffn *f = &m->layers[l].ffn;
        a->present = rnd(0, 4) != 0;
        f->present = !a->present || rnd(0, 1);
        if (a->present) {
            a->n_heads = (int)rnd(1, 2);
            a->heads = arena_alloc(&m->arena, sizeof *a->heads * (size_t)a->n_heads);
            int width = 0;
            for (int h = 0; h < a->n_heads; h++) {
                Head *hd = &a->heads[h];
                hd->kind = (AttnKind)((id + h + l) % 4); /* every kind in turn */
                hd->causal = rnd(0, 1);
                hd->d_head = (int)rnd(1, 2);
                int dh = hd->d_head;
                hd->wq = rmat(m, dh, d, -2, 2);
                hd->wk = rmat(m, dh, d, -2, 2);
                hd->wv = rmat(m, dh, d, -3, 3);
                hd->bq = rvec(m, dh, -2, 2);
                hd->bk = rvec(m, dh, -2, 2);
                hd->bv = rvec(m, dh, -2, 2);
                hd->q_shift = (int)rnd(0, 1);
                hd->k_shift = (int)rnd(0, 1);
                hd->v_shift = (int)rnd(0, 2);
                hd->score_shift = (int)rnd(0, 2);
                if (hd->kind == ATTN_SOFTMAX) hd->exp = rtable(m, 0, rnd(0, 1) ? 3 : 40);
                width += dh;
            }
            a->wo = rmat(m, d, width, -3, 3);
            a->bo = rvec(m, d, -3, 3);
            a->shift = (int)rnd(0, 2);
            a->residual = rnd(0, 2) != 0;
        }
        if (f->present) {
            f->d_ff = (int)rnd(1, 3);
            f->w1 = rmat(m, f->d_ff, d, -3, 3);
            f->b1 = rvec(m, f->d_ff, -3, 3);
            f->shift1 = (int)rnd(0, 2);
            int kind = (int)rnd(0, 2);
            f->act.name = kind == 0 ? "relu" : kind == 1 ? "identity" : "table";
            int64_t *table = rtable(m, pmin(p), pmax(p));
            for (int64_t v = pmin(p); v <= pmax(p) && kind < 2; v++)
                table[v - pmin(p)] = kind == 0 ? (v > 0 ? v : 0) : v;
            f->act.table = table;
            f->w2 = rmat(m, d, f->d_ff, -3, 3);
            f->b2 = rvec(m, d, -3, 3);
            f->shift2 = (int)rnd(0, 2);
            f->residual = rnd(0, 2) != 0;
        }
    }
    Output *o = &m->out;
    if (rnd(0, 2)) {
        o->kind = OUT_ACCEPT;
        o->at_first = rnd(0, 3) == 0;
        o->w = rmat(m, 1, d, -3, 3);
        o->b = rvec(m, 1, -3, 3);
    } else {
        o->kind = OUT_LABEL;
        o->n_labels = (int)rnd(2, 4);
        o->labels = arena_alloc(&m->arena, sizeof(char *) * (size_t)o->n_labels);
        for (int r = 0; r < o->n_labels; r++)
            o->labels[r] = arena_strdup(&m->arena, r == 0 ? "A" : r == 1 ? "B" : r == 2 ? "C" : "D");
        o->w = rmat(m, o->n_labels, d, -3, 3);
        o->b = rvec(m, o->n_labels, -3, 3);
    }
    return m;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 300;
    long strings = 0, gates = 0;
    int kinds_seen[4] = {0};
    for (int id = 0; id < count; id++) {
        Model *m = random_model(id);
        for (int l = 0; l < m->n_layers; l++)
            for (int h = 0; m->layers[l].attn.present && h < m->layers[l].attn.n_heads; h++)
                kinds_seen[m->layers[l].attn.heads[h].kind]++;
        int nmax = m->n_vocab >= 4 ? 4 : 6;
        for (int n = 1; n <= nmax; n++) {
            CompileOpts co = {.n = n, .max_gates = 0, .quiet = true};
            Compiled cm;
            bool ok = compile_model(m, &co, &cm);
            CHECK(ok, "random model %d n=%d: compile refused", id, n);
            if (!ok) continue;
            const char *err = ir_check(cm.c);
            CHECK(err == NULL, "random model %d n=%d: checker: %s", id, n, err ? err : "");
            VerifyOpts vo = {.random = 2000, .seed = (uint64_t)id, .exhaustive_ok = true};
            bool exhaustive;
            long checked = verify_circuit(m, &cm, &vo, &exhaustive);
            CHECK(checked > 0, "random model %d (p=%d, vocab %d, bos %d) n=%d: circuit != reference", id, m->p,
                  m->n_vocab, m->has_bos, n);
            CHECK(exhaustive, "random model %d n=%d: not exhaustive", id, n);
            if (checked > 0) strings += checked;
            gates += cm.c->n_gates;
            compiled_free(&cm);
        }
        model_free(m);
    }
    for (int k = 0; k < 4; k++)
        CHECK(kinds_seen[k] > 0, "attention kind %s never generated", attn_kind_name((AttnKind)k));
    /* the representation per value (represent.c) with a depth slack large
     * enough that binary codes read by tables and products get built and
     * win: the circuit still equals the reference */
    LowerOpts saved = lower_opts;
    int64_t binary = 0;
    for (int id = 0; id < count / 3; id++) {
        Model *m = random_model(1000 + id);
        lower_opts.repr_auto = true;
        lower_opts.repr_slack = 4;
        CompileOpts co = {.n = 3, .max_gates = 0, .quiet = true, .variant = "threshold"};
        Compiled cm;
        bool ok = compile_model(m, &co, &cm);
        lower_opts = saved;
        CHECK(ok, "random model %d --bits auto slack 4: compile refused", 1000 + id);
        if (ok) {
            VerifyOpts vo = {.random = 2000, .seed = (uint64_t)id, .exhaustive_ok = true};
            bool exhaustive;
            CHECK(verify_circuit(m, &cm, &vo, &exhaustive) > 0,
                  "random model %d --bits auto slack 4: circuit != reference", 1000 + id);
            binary += cm.repr[REPR_BINARY];
            compiled_free(&cm);
        }
        model_free(m);
    }
    CHECK(binary > 0, "--bits auto slack 4: no value took binary");
    printf("test_compile: %d random models, %ld strings checked exhaustively, %ld gates built\n", count, strings,
           gates);
    return check_done("test_compile");
}
