/*
 * compile.c - lowers a whole model, for inputs of exactly n tokens, into a
 * threshold circuit (docs/lowering.md).  The model's values become Vals
 * (lower.c); every step follows docs/numerics.md and names its section.
 * Affine maps, residuals and tables compose linear forms and cost no gate;
 * gates appear where the numerics need a code: requantization with a shift
 * or with possible saturation, products, max/argmax, division.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const Model *m;
    Circuit *c;
    int n, N; /* tokens, positions (tokens + BOS) */
    bool quiet;
    Val *X;             /* N x d_model: the residual stream */
    ReprCtx rc;         /* the representations chosen (represent.c) */
    ReprReaders stream; /* what reads the residual stream (stream_readers) */
} Ctx;

int model_token_bits(const Model *m) {
    int b = 0;
    while ((1 << b) < m->n_vocab) b++;
    return b;
}

static void progress(const Ctx *C, const char *what, int layer, int head) {
    if (C->quiet) return;
    if (head >= 0)
        fprintf(stderr, "tc0c: n=%d layer %d head %d %s: %d gates so far\n", C->n, layer, head, what, C->c->n_gates);
    else if (layer >= 0) fprintf(stderr, "tc0c: n=%d layer %d %s: %d gates so far\n", C->n, layer, what, C->c->n_gates);
    else fprintf(stderr, "tc0c: n=%d %s: %d gates so far\n", C->n, what, C->c->n_gates);
}

/* b + sum_c w[row][c] x[c]: a form, no gates (numerics 3.1 before rounding). */
static Val affine(Circuit *cc, const Mat *w, int row, int64_t b, const Val *x) {
    int nz = 0, last = 0;
    for (int c = 0; c < w->cols; c++)
        if (MAT(*w, row, c)) nz++, last = c;
    if (nz == 1) return val_lin(&x[last], MAT(*w, row, last), NULL, 0, b); /* keeps x's codes */
    Form f;
    form_init(&f, b);
    int64_t lo = b, hi = b;
    for (int c = 0; c < w->cols; c++) {
        int64_t k = MAT(*w, row, c);
        if (!k) continue;
        form_add(&f, &x[c].form, k);
        lo += min64(k * x[c].lo, k * x[c].hi);
        hi += max64(k * x[c].lo, k * x[c].hi);
    }
    return val_form_in(cc, &f, lo, hi);
}

/* What reads the residual stream (represent.c): the next affine maps and
 * the output read forms; a layer norm reads thermometers. */
static ReprReaders stream_readers(const Model *m) {
    bool ln = m->ln_final.present;
    for (int l = 0; l < m->n_layers; l++)
        ln = ln || m->layers[l].attn.ln_pre.present || m->layers[l].attn.ln_post.present ||
             m->layers[l].ffn.ln_pre.present || m->layers[l].ffn.ln_post.present;
    return (ReprReaders){ln ? USE_THERMO : USE_FORM, 0, NULL};
}

/* When the table is affine (f(v) = a v + b) on [x.lo, x.hi] it is a form. */
static bool table_affine(const int64_t *t, int p, const Val *x, int64_t *a, int64_t *b) {
    int64_t f0 = t[x->lo - pmin(p)];
    *a = x->hi > x->lo ? t[x->lo + 1 - pmin(p)] - f0 : 0;
    *b = f0 - *a * x->lo;
    for (int64_t v = x->lo; v <= x->hi; v++)
        if (t[v - pmin(p)] != *a * v + *b) return false;
    return true;
}

/* What a table over values in [lo, hi] reads: the form when affine there,
 * else the table itself (its thermometer or its bits, represent.c). */
static ReprReaders table_readers(const Ctx *C, const int64_t *t, int64_t lo, int64_t hi) {
    Val r = {.lo = lo, .hi = hi};
    int64_t a, b;
    return (ReprReaders){table_affine(t, C->m->p, &r, &a, &b) ? USE_FORM : USE_TABLE, 0, t};
}

static Val table(Ctx *C, Val *x, const int64_t *t) {
    int64_t a, b;
    if (table_affine(t, C->m->p, x, &a, &b)) return val_lin(x, a, NULL, 0, b);
    return val_table(C->c, x, t, C->m->p);
}

/* ---- 2: embedding: x_i = sat_p(tok[t_i] + pos[i]) ---- */
static void embed(Ctx *C) {
    const Model *m = C->m;
    int bits = model_token_bits(m), d = m->d_model;
    C->c->cur_origin = origin_make(-1, -1, OP_EMBED);
    for (int i = 0; i < C->N; i++) {
        int tok_pos = i - m->has_bos; /* index among the input tokens */
        /* The token as one-hot flags: for BOS constants; for two symbols
         * the input wire b and the form 1 - b; else one gate per symbol. */
        Form oh[MAX_VOCAB + 1];
        int ntok = m->n_vocab + m->has_bos;
        for (int t = 0; t < ntok; t++) form_init(&oh[t], tok_pos < 0 ? t == m->n_vocab : 0);
        if (tok_pos >= 0 && m->n_vocab == 1) {
            oh[0].c = 1;
        } else if (tok_pos >= 0 && m->n_vocab == 2) {
            oh[0].c = 1;
            form_add_term(&oh[0], ir_input(tok_pos), -1);
            form_add_term(&oh[1], ir_input(tok_pos), 1);
        } else if (tok_pos >= 0) {
            for (int t = 0; t < m->n_vocab; t++) {
                Form f;
                form_init(&f, 0);
                int ones = 0;
                for (int k = 0; k < bits; k++) {
                    form_add_term(&f, ir_input(tok_pos * bits + k), (t >> k) & 1 ? 1 : -1);
                    ones += (t >> k) & 1;
                }
                form_add_term(&oh[t], ir_thr(C->c, &f, ones), 1);
                form_free(&f);
            }
        }
        for (int c = 0; c < d; c++) {
            Form f;
            int64_t pos = MAT(m->pos_emb, i, c) + pos_terms_value(m, i, C->N, c); /* n fixed: a constant */
            form_init(&f, pos);
            int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (int t = 0; t < ntok; t++) {
                int64_t e = MAT(m->tok_emb, t, c);
                form_add(&f, &oh[t], e);
                if (tok_pos < 0 ? t == m->n_vocab : t < m->n_vocab) {
                    lo = min64(lo, e + pos);
                    hi = max64(hi, e + pos);
                }
            }
            Val raw = val_form_in(C->c, &f, lo, hi);
            C->X[(size_t)i * d + c] = repr_requant(C->c, &C->rc, &raw, NULL, 0, m->p, C->stream); /* sat_p */
            val_free(&raw);
        }
        for (int t = 0; t < ntok; t++) form_free(&oh[t]);
    }
}

/* The Val of a prefix sum (taken) in [lo, hi]. */
static Val val_prefix(Circuit *c, Form *p, int64_t lo, int64_t hi) {
    Form f;
    form_copy(&f, p);
    return val_form_in(c, &f, lo, hi);
}

/* The number of heads of kind `kind` before head h of layer l (the bit of
 * a LowerOpts mask: tournament, div_restoring); l = n_layers: all of them. */
static int kind_ordinal(const Model *m, int l, int h, AttnKind kind) {
    int k = 0;
    for (int a = 0; a <= l && a < m->n_layers; a++)
        for (int b = 0; m->layers[a].attn.present && b < m->layers[a].attn.n_heads && (a < l || b < h); b++)
            k += m->layers[a].attn.heads[b].kind == kind;
    return k;
}

/* ---- 4: one attention head; writes A[i*width + off + c] ---- */
/* One head's working set: its q, k, v per position, the scores of the
 * current query, the flags, and what is built once per head. */
typedef struct {
    Ctx *C;
    int l, h, N, dh, p;
    const Head *hd;
    int hard_k, softmax_k; /* the head's bit in the LowerOpts masks of its kind, -1 for another kind */
    Val *Q, *K, *V;        /* [j * dh + k] */
    Val *S;                /* the current query's scores s_0..s_(cnt-1) */
    GateId *flag, *tie;
    int64_t *bt; /* softmax: the tables of the bits of exp[s], bt_bits of them */
    int bt_bits;
    Form *P[MAX_D_HEAD]; /* causal uniform: the prefix sums of each value channel */
    int64_t *plo[MAX_D_HEAD], *phi[MAX_D_HEAD];
} HeadCtx;

/* The width hi - lo of requant(a, shift): -1 for a constant. */
static int64_t requant_width(const Val *a, int shift, int p) {
    int64_t lo, hi;
    requant_range(a, NULL, shift, p, &lo, &hi);
    return hi > lo ? hi - lo : -1;
}

/* What reads q_i (or k_j, `key`): the products q_i k_j of the visible
 * pairs (val_mul), over bits when every such product has more than
 * product_direct_max thermometer pairs, a scaling when the other side is
 * a constant (the form), else over thermometers. */
static ReprReaders qk_readers(const HeadCtx *H, const int64_t *wq, const int64_t *wk, int pos, int k, bool key) {
    int64_t me = key ? wk[pos * H->dh + k] : wq[pos * H->dh + k];
    bool bits = true;
    int64_t products = 0;
    for (int o = 0; o < H->N; o++) {
        bool sees = !H->hd->causal || (key ? o >= pos : o <= pos);
        int64_t other = key ? wq[o * H->dh + k] : wk[o * H->dh + k];
        if (!sees || other < 0 || me < 0) continue;
        products++;
        if (me * other <= lower_opts.product_direct_max) bits = false;
    }
    return (ReprReaders){!products ? USE_FORM : bits ? USE_BITS : USE_THERMO, products, NULL};
}

/* What reads v_j: the division of a uniform head (the form), a tournament
 * that carries values (thermometer levels), else the flag x value ANDs of
 * every query that sees j (times the exp bits for softmax). */
static ReprReaders v_readers(const HeadCtx *H, int j) {
    const Head *hd = H->hd;
    if (hd->kind == ATTN_UNIFORM) return (ReprReaders){USE_FORM, 0, NULL};
    if (H->hard_k >= 0 && (lower_opts.tournament_values >> H->hard_k & 1)) return (ReprReaders){USE_THERMO, 0, NULL};
    int64_t queries = hd->causal ? H->N - j : H->N;
    return (ReprReaders){USE_AND, queries * (hd->kind == ATTN_SOFTMAX ? max64(H->bt_bits, 1) : 1), NULL};
}

/* q, k, v of every position (k and q not for a uniform head): the affine
 * maps first, then each requantization with its readers (represent.c) */
static void head_qkv(HeadCtx *H) {
    const Head *hd = H->hd;
    int dh = H->dh, d = H->C->m->d_model, N = H->N, p = H->p;
    bool qk = hd->kind != ATTN_UNIFORM;
    H->C->c->cur_origin = origin_make(H->l, H->h, OP_QKV);
    Val *aq = xcalloc((size_t)N * (size_t)dh, sizeof *aq), *ak = xcalloc((size_t)N * (size_t)dh, sizeof *ak);
    int64_t *wq = xcalloc((size_t)N * (size_t)dh, sizeof *wq), *wk = xcalloc((size_t)N * (size_t)dh, sizeof *wk);
    for (int j = 0; qk && j < N; j++)
        for (int k = 0; k < dh; k++) {
            const Val *x = H->C->X + (size_t)j * d;
            aq[j * dh + k] = affine(H->C->c, &hd->wq, k, hd->bq[k], x);
            ak[j * dh + k] = affine(H->C->c, &hd->wk, k, hd->bk[k], x);
            wq[j * dh + k] = requant_width(&aq[j * dh + k], hd->q_shift, p);
            wk[j * dh + k] = requant_width(&ak[j * dh + k], hd->k_shift, p);
        }
    for (int j = 0; j < N; j++)
        for (int k = 0; k < dh; k++) {
            const Val *x = H->C->X + (size_t)j * d;
            Val a = affine(H->C->c, &hd->wv, k, hd->bv[k], x);
            H->V[j * dh + k] = repr_requant(H->C->c, &H->C->rc, &a, NULL, hd->v_shift, p, v_readers(H, j));
            val_free(&a);
            if (qk) {
                H->Q[j * dh + k] = repr_requant(H->C->c, &H->C->rc, &aq[j * dh + k], NULL, hd->q_shift, p,
                                                qk_readers(H, wq, wk, j, k, false));
                H->K[j * dh + k] = repr_requant(H->C->c, &H->C->rc, &ak[j * dh + k], NULL, hd->k_shift, p,
                                                qk_readers(H, wq, wk, j, k, true));
            }
        }
    for (int j = 0; j < N * dh; j++) {
        val_free(&aq[j]);
        val_free(&ak[j]);
    }
    free(aq);
    free(ak);
    free(wq);
    free(wk);
}

/* softmax: the tables of the bits of exp[s], built once per head */
static void head_exp_bits(HeadCtx *H) {
    int p = H->p;
    int64_t emax = 0;
    for (int64_t v = 0; v < ((int64_t)1 << p); v++) emax = max64(emax, H->hd->exp[v]);
    while (((int64_t)1 << H->bt_bits) <= emax) H->bt_bits++;
    H->bt = xmalloc(sizeof *H->bt * ((size_t)(H->bt_bits ? H->bt_bits : 1) << p));
    for (int b = 0; b < H->bt_bits; b++)
        for (int64_t v = 0; v < ((int64_t)1 << p); v++) H->bt[((size_t)b << p) + (size_t)v] = (H->hd->exp[v] >> b) & 1;
}

/* causal uniform: the prefix sums of each value channel, shared by the
 * positions (docs/lowering.md "Prefix sums shared across positions") */
static void head_prefix_sums(HeadCtx *H) {
    int N = H->N, dh = H->dh;
    H->C->c->cur_origin = origin_make(H->l, H->h, OP_DIV);
    Form *x = xcalloc((size_t)N, sizeof *x);
    for (int k = 0; k < dh; k++) {
        H->P[k] = xcalloc((size_t)N, sizeof *H->P[k]);
        H->plo[k] = xcalloc((size_t)N, sizeof *H->plo[k]);
        H->phi[k] = xcalloc((size_t)N, sizeof *H->phi[k]);
        for (int j = 0; j < N; j++) {
            x[j] = H->V[j * dh + k].form; /* borrowed */
            H->plo[k][j] = (j ? H->plo[k][j - 1] : 0) + H->V[j * dh + k].lo;
            H->phi[k][j] = (j ? H->phi[k][j - 1] : 0) + H->V[j * dh + k].hi;
        }
        form_prefix_sums(H->C->c, x, N, H->P[k]);
    }
    free(x);
}

/* 4.2 uniform: a[k] = floor(sum of v over the cnt visible positions / cnt) */
static void head_uniform(HeadCtx *H, int i, int cnt, Val *a) {
    Circuit *c = H->C->c;
    int dh = H->dh;
    c->cur_origin = origin_make(H->l, H->h, OP_DIV);
    for (int k = 0; k < dh; k++) {
        Val sum = H->hd->causal ? val_prefix(c, H->P[k] + i, H->plo[k][i], H->phi[k][i]) : val_const(0);
        for (int j = 0; !H->hd->causal && j < cnt; j++) {
            Val t = val_lin(&sum, 1, &H->V[j * dh + k], 1, 0);
            val_free(&sum);
            sum = t;
        }
        Val z = val_const(cnt);
        a[k] = val_div(c, &sum, &z, floor_div(sum.lo, cnt), floor_div(sum.hi, cnt));
        val_free(&sum);
    }
}

/* 4.1: S[j] = requant(q_i . k_j, score_shift) for the visible j */
static void head_scores(HeadCtx *H, int i, int cnt) {
    Circuit *c = H->C->c;
    int dh = H->dh;
    c->cur_origin = origin_make(H->l, H->h, OP_SCORE);
    for (int j = 0; j < cnt; j++) {
        Val dot = val_const(0);
        for (int k = 0; k < dh; k++) {
            Val pr = val_mul(c, &H->Q[i * dh + k], &H->K[j * dh + k]);
            Val t = val_lin(&dot, 1, &pr, 1, 0);
            val_free(&dot);
            val_free(&pr);
            dot = t;
        }
        /* max, argmax, the exp table and the tournaments read its thermometer */
        H->S[j] = repr_requant(c, &H->C->rc, &dot, NULL, H->hd->score_shift, H->p, (ReprReaders){USE_THERMO, 0, NULL});
        val_free(&dot);
    }
}

/* 4.3 hard and 4.4 saturated: the selection by flags (max + argmax, or
 * the tournament argmax), or for a hard head the tournament that carries
 * the values; vlo, vhi: each channel's range over the visible positions */
static void head_select(HeadCtx *H, int cnt, Val *a, const int64_t *vlo, const int64_t *vhi) {
    Circuit *c = H->C->c;
    const Head *hd = H->hd;
    int dh = H->dh;
    c->cur_origin = origin_make(H->l, H->h, OP_SELECT);
    if (H->hard_k >= 0 && (lower_opts.tournament_values >> H->hard_k & 1)) {
        select_tournament_values(c, H->S, cnt, H->V, dh, a); /* select.c: no flags, no mix */
        return;
    }
    if (H->hard_k >= 0 && (lower_opts.tournament >> H->hard_k & 1)) {
        select_tournament(c, H->S, cnt, H->flag); /* select.c: log depth, O(cnt) comparisons */
    } else {
        Val mx = val_max(c, H->S, cnt);
        val_argmax(c, H->S, cnt, &mx, H->flag, H->tie);
        val_free(&mx);
    }
    const GateId *sel = hd->kind == ATTN_HARD ? H->flag : H->tie;
    c->cur_origin = origin_make(H->l, H->h, OP_MIX);
    for (int k = 0; k < dh; k++) {
        Form f;
        form_init(&f, 0);
        for (int j = 0; j < cnt; j++) {
            Val pr = val_gate_mul(c, sel[j], &H->V[j * dh + k]);
            form_add(&f, &pr.form, 1);
            val_free(&pr);
        }
        if (hd->kind == ATTN_HARD) { /* 4.3: exactly one flag is set */
            a[k] = val_form_in(c, &f, vlo[k], vhi[k]);
        } else { /* 4.4: floor(sum over ties / number of ties) */
            Val num = val_form_in(c, &f, INT64_MIN / 4, INT64_MAX / 4);
            Form zf;
            form_init(&zf, 0);
            for (int j = 0; j < cnt; j++) form_add_term(&zf, H->tie[j], 1);
            Val z = val_form_in(c, &zf, 1, cnt); /* at least one maximum */
            c->cur_origin = origin_make(H->l, H->h, OP_DIV);
            a[k] = val_div(c, &num, &z, vlo[k], vhi[k]);
            c->cur_origin = origin_make(H->l, H->h, OP_MIX);
            val_free(&num);
            val_free(&z);
        }
    }
}

/* 4.5 softmax: w = exp[s], floor(sum w v / sum w), 0 if sum w = 0 */
static void head_softmax(HeadCtx *H, int cnt, Val *a, const int64_t *vlo, const int64_t *vhi) {
    Circuit *c = H->C->c;
    const Head *hd = H->hd;
    int dh = H->dh, p = H->p;
    c->cur_origin = origin_make(H->l, H->h, OP_MIX);
    if (hd->subtract_max) softmax_center(c, H->S, cnt, p); /* norm.c: S_j <- s_j - max + pmax */
    bool restoring = lower_opts.div_restoring >> H->softmax_k & 1;
    /* Z = sum_j w_j: over the weights' tables, or for restoring division
     * over the weights' bits (a compressor tree's operands, binary.c) */
    Form zf;
    form_init(&zf, 0);
    int64_t zlo = 0, zhi = 0;
    /* the bits of w_j = exp[s_j], each one gate over s_j's thermometer */
    int wbits = H->bt_bits;
    GateId *wb = xcalloc((size_t)cnt * (size_t)(wbits ? wbits : 1), sizeof *wb);
    for (int j = 0; j < cnt; j++) {
        Val w = table(H->C, &H->S[j], hd->exp);
        if (!restoring) form_add(&zf, &w.form, 1);
        zlo += w.lo;
        zhi += w.hi;
        val_free(&w);
        /* the bit tables read s_j's thermometer; a code tapped from its
         * adder (LUT targets) they read in binary (val_code_ge) */
        if (!(lower_opts.bits_adder == BITS_ADDER_TAP && val_is_binary(&H->S[j]))) val_thermo(c, &H->S[j]);
        for (int b = 0; b < wbits; b++) {
            Val bv = table(H->C, &H->S[j], H->bt + ((size_t)b << p));
            wb[j * wbits + b] = val_ge(c, &bv, 1);
            val_free(&bv);
            if (restoring) form_add_term(&zf, wb[j * wbits + b], (int64_t)1 << b);
        }
    }
    Val z = val_form_in(c, &zf, zlo, zhi);
    for (int k = 0; k < dh; k++) {
        Form f;
        form_init(&f, 0);
        for (int j = 0; j < cnt; j++)
            for (int b = 0; b < wbits; b++) {
                if (wb[j * wbits + b] == GATE_CONST0) continue;
                Val pr = val_gate_mul(c, wb[j * wbits + b], &H->V[j * dh + k]);
                form_add(&f, &pr.form, (int64_t)1 << b);
                val_free(&pr);
            }
        Val num = val_form_in(c, &f, INT64_MIN / 4, INT64_MAX / 4);
        int64_t qlo = vlo[k], qhi = vhi[k];
        if (z.lo == 0) {
            qlo = min64(qlo, 0);
            qhi = max64(qhi, 0);
        }
        c->cur_origin = origin_make(H->l, H->h, OP_DIV);
        a[k] = restoring ? val_div_restoring(c, &num, &z, qlo, qhi) : val_div(c, &num, &z, qlo, qhi);
        c->cur_origin = origin_make(H->l, H->h, OP_MIX);
        val_free(&num);
    }
    val_free(&z);
    free(wb);
}

static void head_free(HeadCtx *H) {
    for (int j = 0; j < H->N * H->dh; j++) {
        val_free(&H->Q[j]);
        val_free(&H->K[j]);
        val_free(&H->V[j]);
    }
    for (int k = 0; k < H->dh; k++) {
        for (int i = 0; H->P[k] && i < H->N; i++) form_free(&H->P[k][i]);
        free(H->P[k]);
        free(H->plo[k]);
        free(H->phi[k]);
    }
    free(H->Q);
    free(H->K);
    free(H->V);
    free(H->S);
    free(H->flag);
    free(H->tie);
    free(H->bt);
}

static void head(Ctx *C, int l, int h, const Head *hd, Val *A, int width, int off) {
    int N = C->N, dh = hd->d_head;
    HeadCtx H = {.C = C,
                 .l = l,
                 .h = h,
                 .N = N,
                 .dh = dh,
                 .p = C->m->p,
                 .hd = hd,
                 .hard_k = hd->kind == ATTN_HARD ? (int)min64(kind_ordinal(C->m, l, h, ATTN_HARD), 63) : -1,
                 .softmax_k = hd->kind == ATTN_SOFTMAX ? (int)min64(kind_ordinal(C->m, l, h, ATTN_SOFTMAX), 63) : -1};
    H.Q = xcalloc((size_t)N * (size_t)dh, sizeof *H.Q);
    H.K = xcalloc((size_t)N * (size_t)dh, sizeof *H.K);
    H.V = xcalloc((size_t)N * (size_t)dh, sizeof *H.V);
    H.S = xcalloc((size_t)N, sizeof *H.S);
    H.flag = xcalloc((size_t)N, sizeof *H.flag);
    H.tie = xcalloc((size_t)N, sizeof *H.tie);
    if (hd->kind == ATTN_SOFTMAX) head_exp_bits(&H); /* before q, k, v: v's readers count its bits */
    head_qkv(&H);
    if (hd->kind == ATTN_UNIFORM && hd->causal) head_prefix_sums(&H);
    for (int i = 0; i < N; i++) {
        int cnt = hd->causal ? i + 1 : N; /* visible positions 0..cnt-1 */
        Val *a = A + (size_t)i * width + off;
        if (hd->kind == ATTN_UNIFORM) {
            head_uniform(&H, i, cnt, a);
            continue;
        }
        head_scores(&H, i, cnt);
        int64_t vlo[MAX_D_HEAD] = {0}, vhi[MAX_D_HEAD] = {0}; /* (set below; initialized for the analyzer) */
        for (int k = 0; k < dh; k++) {
            vlo[k] = INT64_MAX;
            vhi[k] = INT64_MIN;
            for (int j = 0; j < cnt; j++) {
                vlo[k] = min64(vlo[k], H.V[j * dh + k].lo);
                vhi[k] = max64(vhi[k], H.V[j * dh + k].hi);
            }
        }
        if (hd->kind == ATTN_SOFTMAX) head_softmax(&H, cnt, a, vlo, vhi);
        else head_select(&H, cnt, a, vlo, vhi);
        for (int j = 0; j < cnt; j++) val_free(&H.S[j]);
    }
    head_free(&H);
}

/* x <- residual ? sat(x + round(u / 2^s)) : requant(u, s) (numerics 3.2) */
static void residual_update(Ctx *C, const Mat *w, const int64_t *b, int shift, bool residual, const Val *y, Val *x) {
    for (int r = 0; r < w->rows; r++) {
        Val u = affine(C->c, w, r, b[r], y);
        Val nx = repr_requant(C->c, &C->rc, &u, residual ? &x[r] : NULL, shift, C->m->p, C->stream);
        val_free(&u);
        val_free(&x[r]);
        x[r] = nx;
    }
}

/* ---- 7: layer norm (norm.c); a pre-LN copy, or in place ---- */
static Val *ln_copy(Ctx *C, const LayerNorm *ln, int l) {
    int d = C->m->d_model;
    Val *Y = xcalloc((size_t)C->N * (size_t)d, sizeof *Y);
    C->c->cur_origin = origin_make(l, -1, OP_OTHER);
    for (int k = 0; k < C->N * d; k++) Y[k] = val_copy(&C->X[k]);
    for (int i = 0; i < C->N; i++) ln_lower(C->c, ln, C->m->p, d, Y + (size_t)i * d);
    return Y;
}

static void ln_in_place(Ctx *C, const LayerNorm *ln, int l) {
    C->c->cur_origin = origin_make(l, -1, OP_OTHER);
    for (int i = 0; i < C->N; i++) ln_lower(C->c, ln, C->m->p, C->m->d_model, C->X + (size_t)i * C->m->d_model);
    progress(C, "layer norm", l, -1);
}

static void free_vals(Val *v, int n) {
    for (int k = 0; k < n; k++) val_free(&v[k]);
    free(v);
}

static void attention(Ctx *C, int l) {
    const Attn *at = &C->m->layers[l].attn;
    int N = C->N, d = C->m->d_model, width = at->wo.cols;
    Val *A = xcalloc((size_t)N * (size_t)width, sizeof *A);
    int off = 0;
    Val *X = C->X, *Y = at->ln_pre.present ? ln_copy(C, &at->ln_pre, l) : NULL;
    if (Y) C->X = Y; /* the heads read LN(x); the residual stays x */
    for (int h = 0; h < at->n_heads; h++) {
        head(C, l, h, &at->heads[h], A, width, off);
        off += at->heads[h].d_head;
        progress(C, attn_kind_name(at->heads[h].kind), l, h);
    }
    C->X = X;
    if (Y) free_vals(Y, N * d);
    C->c->cur_origin = origin_make(l, -1, OP_ATTN_OUT);
    for (int i = 0; i < N; i++)
        residual_update(C, &at->wo, at->bo, at->shift, at->residual, A + (size_t)i * width, C->X + (size_t)i * d);
    for (int k = 0; k < N * width; k++) val_free(&A[k]);
    free(A);
    if (at->ln_post.present) ln_in_place(C, &at->ln_post, l);
}

/* ---- 5: feed-forward ---- */
static void ffn(Ctx *C, int l) {
    const Ffn *f = &C->m->layers[l].ffn;
    int d = C->m->d_model;
    Val *H = xcalloc((size_t)f->d_ff, sizeof *H);
    Val *Y = f->ln_pre.present ? ln_copy(C, &f->ln_pre, l) : NULL; /* the hidden units read LN(x) */
    for (int i = 0; i < C->N; i++) {
        Val *x = C->X + (size_t)i * d, *in = Y ? Y + (size_t)i * d : x;
        for (int k = 0; k < f->d_ff; k++) {
            C->c->cur_origin = origin_make(l, -1, OP_FFN_HIDDEN);
            Val a = affine(C->c, &f->w1, k, f->b1[k], in);
            int64_t lo, hi;
            requant_range(&a, NULL, f->shift1, C->m->p, &lo, &hi);
            Val h = repr_requant(C->c, &C->rc, &a, NULL, f->shift1, C->m->p, table_readers(C, f->act.table, lo, hi));
            val_free(&a);
            H[k] = table(C, &h, f->act.table);
            val_free(&h);
        }
        C->c->cur_origin = origin_make(l, -1, OP_FFN_OUT);
        residual_update(C, &f->w2, f->b2, f->shift2, f->residual, H, x);
        for (int k = 0; k < f->d_ff; k++) val_free(&H[k]);
    }
    free(H);
    if (Y) free_vals(Y, C->N * d);
    progress(C, "feed-forward", l, -1);
    if (f->ln_post.present) ln_in_place(C, &f->ln_post, l);
}

/* ---- 6: output ---- */
static GateId positive(Ctx *C, const Mat *w, int row, int64_t b, const Val *x) {
    Val y = affine(C->c, w, row, b, x);
    GateId g = val_ge(C->c, &y, 1); /* y > 0 */
    val_free(&y);
    return g;
}

static void output(Ctx *C, Compiled *cm) {
    const Model *m = C->m;
    const Output *o = &m->out;
    int d = m->d_model;
    C->c->cur_origin = origin_make(-1, -1, OP_OUTPUT);
    if (o->kind == OUT_ACCEPT) {
        int pos = o->at_first ? 0 : C->N - 1;
        ir_add_output(C->c, positive(C, &o->w, 0, o->b[0], C->X + (size_t)pos * d));
        return;
    }
    int L = o->n_labels, lb = 0;
    while ((1 << lb) < L) lb++;
    cm->label_bits = lb;
    GateId *flag = xcalloc((size_t)L, sizeof *flag);
    for (int i = m->has_bos; i < C->N; i++) {
        const Val *x = C->X + (size_t)i * d;
        Val *y = xcalloc((size_t)L, sizeof *y);
        for (int r = 0; r < L; r++) y[r] = affine(C->c, &o->w, r, o->b[r], x);
        /* label r wins iff y_r > y_r' for r' < r and y_r >= y_r' for r' > r */
        for (int r = 0; r < L; r++) {
            Form all;
            form_init(&all, 0);
            for (int q = 0; q < L; q++) {
                if (q == r) continue;
                Val diff = val_lin(&y[r], 1, &y[q], -1, q < r ? -1 : 0);
                form_add_term(&all, val_ge(C->c, &diff, 0), 1);
                val_free(&diff);
            }
            flag[r] = ir_thr(C->c, &all, L - 1);
            form_free(&all);
        }
        for (int b = 0; b < lb; b++) {
            Form f;
            form_init(&f, 0);
            for (int r = 0; r < L; r++)
                if ((r >> b) & 1) form_add_term(&f, flag[r], 1);
            ir_add_output(C->c, ir_thr(C->c, &f, 1));
            form_free(&f);
        }
        for (int r = 0; r < L; r++) val_free(&y[r]);
        free(y);
    }
    free(flag);
}

/* One build of the model with the current lower_opts. */
static void build(const Model *m, const CompileOpts *o, Compiled *out) {
    int bits = model_token_bits(m);
    Ctx C = {.m = m,
             .n = o->n,
             .N = o->n + m->has_bos,
             .quiet = o->quiet,
             .rc = {.target = o->target, .trace = getenv("TC0C_REPR_TRACE") != NULL},
             .stream = stream_readers(m)};
    C.c = ir_new(o->n * bits);
    C.c->max_gates = o->max_gates ? o->max_gates + 2 + o->n * bits : 0;
    C.c->max_mem = o->max_mem;
    C.c->what = m->path;
    C.X = xcalloc((size_t)C.N * (size_t)m->d_model, sizeof *C.X);
    embed(&C);
    for (int l = 0; l < m->n_layers; l++) {
        if (m->layers[l].attn.present) attention(&C, l);
        if (m->layers[l].ffn.present) ffn(&C, l);
    }
    if (m->ln_final.present) ln_in_place(&C, &m->ln_final, -1);
    out->c = C.c;
    out->n = o->n;
    out->bits_per_token = bits;
    memcpy(out->repr, C.rc.n, sizeof out->repr);
    repr_free(&C.rc);
    output(&C, out);
    for (int k = 0; k < C.N * m->d_model; k++) val_free(&C.X[k]);
    free(C.X);
    int32_t before = C.c->n_gates;
    ir_sweep(C.c);
    const char *err = ir_check(C.c);
    if (err) BUG("compiled circuit fails the checker: %s", err);
    if (!o->quiet)
        fprintf(stderr, "tc0c: n=%d done: %d gates (%d before dead-gate removal), depth %d\n", o->n,
                C.c->n_gates - 2 - C.c->n_inputs, before - 2 - C.c->n_inputs, ir_depth(C.c));
}

/* ---- the choice among lowering variants (docs/lowering.md "Depth budget
 * and the choice") ---- */

static int hard_heads(const Model *m, const CompileOpts *o) {
    (void)o;
    return kind_ordinal(m, m->n_layers, 0, ATTN_HARD);
}
static int softmax_heads(const Model *m, const CompileOpts *o) {
    (void)o;
    return kind_ordinal(m, m->n_layers, 0, ATTN_SOFTMAX);
}
static void set_tournament(LowerOpts *lo, uint64_t mask) { lo->tournament = mask; }
static void set_div_restoring(LowerOpts *lo, uint64_t mask) { lo->div_restoring = mask; }
/* flag x value products: the heads that select or weigh (not uniform); a
 * LUT-fabric construction (for thr the fused AND costs no level and no
 * more wires), so only with a LUT target */
static int and_places(const Model *m, const CompileOpts *o) {
    if (!o->target) return 0;
    for (int l = 0; l < m->n_layers; l++)
        for (int h = 0; m->layers[l].attn.present && h < m->layers[l].attn.n_heads; h++)
            if (m->layers[l].attn.heads[h].kind != ATTN_UNIFORM) return 1;
    return 0;
}
static void set_and_plain(LowerOpts *lo, uint64_t mask) { lo->and_plain = mask != 0; }
static void set_tournament_values(LowerOpts *lo, uint64_t mask) { lo->tournament_values = mask; }
/* --bits auto (represent.c): one place, the whole model */
static int repr_places(const Model *m, const CompileOpts *o) {
    (void)m;
    (void)o;
    return lower_opts.repr_auto ? 1 : 0;
}
/* every value a thermometer (the per-value choice off) */
static void set_bits_thermo(LowerOpts *lo, uint64_t mask) {
    if (mask) lo->repr_auto = false;
}
/* a binary code may be one level deeper than its readers' thermometer route
 * (off: the slack set by the caller, 0 by default) */
static void set_bits_slack(LowerOpts *lo, uint64_t mask) {
    if (mask && lo->repr_slack < 1) lo->repr_slack = 1;
}

/* every code as bit taps of one adder (binary.c tap_bits): a LUT-fabric
 * node, so only with a LUT target and threshold gates written as sums */
static int tap_places(const Model *m, const CompileOpts *o) {
    (void)m;
    return o->target && !o->threshold_only ? 1 : 0;
}
static void set_bits_tap(LowerOpts *lo, uint64_t mask) {
    if (!mask) return;
    lower_opts_binary(lo, BITS_ADDER_TAP);
    lo->repr_auto = false;
}

/* A switch: a construction with a choice at `count(m)` places of the model
 * (bit k of the mask: place k uses the alternative).  The choice builds
 * every combination of the switches' masks (all subsets while the total
 * stays within MAX_BUILDS, else each switch all-off or all-on) and keeps
 * the circuit with the fewest wires within the depth budget.  Adding a
 * construction with a choice is one row here. */
typedef struct {
    const char *name;
    int (*count)(const Model *m, const CompileOpts *o);
    void (*apply)(LowerOpts *lo, uint64_t mask);
} Switch;

static const Switch SWITCHES[] = {
    {"tournament", hard_heads, set_tournament}, /* hard attention by a tournament argmax (select.c) */
    /* the same carrying the winner's values instead of flags (select.c);
     * where both are set for a head, this one is built */
    {"tournament_values", hard_heads, set_tournament_values},
    /* --bits auto: the per-value choice off, or binary codes one level deeper
     * allowed (both on: the same circuit as the first alone, not built) */
    {"bits_thermo", repr_places, set_bits_thermo},
    {"bits_slack", repr_places, set_bits_slack},
    /* softmax division by restoring division (binary.c) */
    {"div_restoring", softmax_heads, set_div_restoring},
    /* flag x value ANDs as plain gates (lower.c gate_and_fused) */
    {"and_plain", and_places, set_and_plain},
    /* requantized values and binary codes as bit taps (binary.c) */
    {"bits_tap", tap_places, set_bits_tap},
};
#define N_SWITCHES ((int)(sizeof SWITCHES / sizeof SWITCHES[0]))
enum { MAX_BUILDS = 16 };

static bool build_choice(const Model *m, const CompileOpts *o, Compiled *out);

bool compile_model(const Model *m, const CompileOpts *o, Compiled *out) {
    memset(out, 0, sizeof *out);
    compile_estimate_full(m, o->n, &out->est);
    out->estimate = out->est.gates;
    const char *driver = out->est.driver;
    if (o->max_gates && out->estimate > o->max_gates) {
        fprintf(stderr,
                "tc0c: %s at n=%d: estimated %lld gates exceeds --max-gates %lld; the largest part is %s.\n"
                "      Lower n, p or that part's width, or raise --max-gates.\n",
                m->name, o->n, (long long)out->estimate, (long long)o->max_gates, driver);
        return false;
    }
    /* work that builds no gate (thresholds folded away, table scans) takes
     * time too: about 30 ns a step, so 2 x 10^8 steps is several seconds */
    int64_t max_work = o->max_gates ? max64((int64_t)200000000, 2 * o->max_gates) : 0;
    if (max_work && out->est.work > max_work) {
        fprintf(stderr,
                "tc0c: %s at n=%d: building would take about %lld steps (thresholds tried and table entries scanned, "
                "most of them building no gate), over the limit of %lld; the largest part is %s.\n"
                "      Lower n, p or that part's width, or raise --max-gates above %lld.\n",
                m->name, o->n, (long long)out->est.work, (long long)max_work, out->est.work_driver,
                (long long)(out->est.work / 2 + 1));
        return false;
    }
    if (o->max_mem && out->est.bytes > o->max_mem) {
        fprintf(stderr,
                "tc0c: %s (%s) at n=%d: estimated %lld wires, %lld MiB, exceeds --max-mem %lld MiB; the largest part "
                "is %s.\n"
                "      Lower n, p or that part's width, or raise --max-mem.\n",
                m->name, m->path ? m->path : "?", o->n, (long long)out->est.wires, (long long)(out->est.bytes >> 20),
                (long long)(o->max_mem >> 20), driver);
        return false;
    }
    return build_choice(m, o, out);
}

/* Builds the combinations of the switches and keeps the best in *out (its
 * estimate already set): with neither a budget nor the size objective,
 * today's lowering only (every switch off); with --variant, every switch
 * off (threshold) or all on (tournament).  The best so far stays in memory
 * while the next builds. */
static bool build_choice(const Model *m, const CompileOpts *o, Compiled *out) {
    int places[N_SWITCHES], bits = 0;
    bool subsets = true;
    for (int k = 0; k < N_SWITCHES; k++) {
        places[k] = SWITCHES[k].count(m, o);
        if (places[k] > 64) places[k] = 64; /* places past the 64th share bit 63 (all on or all off) */
        bits += places[k];
    }
    if (bits > 0 && ((int64_t)1 << (bits < 62 ? bits : 62)) > MAX_BUILDS) subsets = false;
    /* a LUT target always chooses: its default is the smallest LUT depth */
    bool choose = !o->variant && (o->max_depth || o->objective == OBJ_SIZE || o->target);
    /* --bits auto alone also builds every value a thermometer (bits_thermo)
     * and keeps the smaller depth, then the fewer wires: the per-value cost
     * is local and can be wrong (docs/lowering.md "Representation per
     * value"), this makes auto never larger nor deeper than thermo */
    bool auto_only = !choose && !o->variant && lower_opts.repr_auto;
    choose = choose || auto_only;
    int64_t n_combo = !choose ? 1 : subsets ? (int64_t)1 << bits : (int64_t)1 << N_SWITCHES;
    LowerOpts saved = lower_opts;
    Compiled best = {0};
    int32_t best_d = 0, min_d = INT32_MAX;
    int64_t best_w = 0;
    for (int64_t combo = 0; combo < n_combo; combo++) {
        lower_opts = saved;
        Compiled cm = *out;
        char *name = cm.variant;
        size_t len = 0;
        int shift = 0;
        bool dup = false;
        for (int k = 0; k < N_SWITCHES; k++) {
            uint64_t all = places[k] == 0 ? 0 : places[k] >= 64 ? ~0ull : ((uint64_t)1 << places[k]) - 1;
            uint64_t mask;
            if (!choose) mask = o->variant && !strcmp(o->variant, SWITCHES[k].name) ? all : 0;
            else if (subsets) mask = ((uint64_t)combo >> shift) & all;
            else {
                mask = (combo >> k) & 1 ? all : 0;
                dup = dup || ((combo >> k) & 1 && !all);
            }
            shift += places[k];
            SWITCHES[k].apply(&lower_opts, mask);
            if (mask && len + 24 < sizeof cm.variant)
                len += (size_t)snprintf(name + len, sizeof cm.variant - len, "%s%s=%llx", len ? "," : "",
                                        SWITCHES[k].name, (unsigned long long)mask);
        }
        if (!len) snprintf(name, sizeof cm.variant, "threshold");
        if (dup) continue; /* a switch with no place turned on: another combination's circuit */
        if (choose && (lower_opts.tournament & lower_opts.tournament_values)) continue; /* values win: built */
        if (choose && lower_opts.repr_slack && !lower_opts.repr_auto) continue;         /* bits_thermo: built */
        if (auto_only && (lower_opts.repr_slack || lower_opts.tournament != saved.tournament ||
                          lower_opts.tournament_values != saved.tournament_values))
            continue; /* auto alone: only bits_thermo besides the per-value choice */
        if (auto_only && best.c && !best.repr[REPR_BINARY]) continue; /* no binary value: the same circuit */
        build(m, o, &cm);
        /* depth and size: threshold levels and wires, or for a LUT target
         * the estimated LUT levels and LUTs (lutcost.c) */
        CircuitStats st;
        ir_stats(cm.c, &st);
        int32_t dep = st.depth;
        int64_t size = st.wires;
        if (o->target) {
            LutCost lc;
            lut_cost(cm.c, o->target, &lc);
            dep = lc.depth;
            size = lc.luts;
        }
        if (!o->quiet)
            fprintf(stderr, "tc0c: n=%d variant %s: depth %d, %lld gates, %lld wires\n", o->n, name, st.depth,
                    (long long)st.gates, (long long)st.wires);
        if (!o->quiet && o->target)
            fprintf(stderr, "tc0c: n=%d variant %s: about %lld LUT%ds at LUT depth %d (estimate)\n", o->n, name,
                    (long long)size, o->target, dep);
        if (dep < min_d) min_d = dep;
        bool fits = o->objective == OBJ_SIZE || !o->max_depth || dep <= o->max_depth;
        bool take;
        if (o->objective == OBJ_DEPTH && !o->max_depth) /* the smallest depth, then the smallest size */
            take = !best.c || dep < best_d || (dep == best_d && size < best_w);
        else take = fits && (!best.c || size < best_w || (size == best_w && dep < best_d));
        if (take) {
            compiled_free(&best);
            best = cm;
            best_d = dep;
            best_w = size;
        } else {
            compiled_free(&cm);
        }
    }
    lower_opts = saved;
    out->min_depth = min_d;
    out->objective = o->objective;
    out->max_depth = o->max_depth ? o->max_depth : min_d;
    out->target = o->target;
    if (!best.c) {
        out->below_min_depth = true;
        fprintf(stderr, "tc0c: %s (%s) at n=%d: --max-depth %d is below the smallest %s reachable, %d%s%s.\n", m->name,
                m->path ? m->path : "?", o->n, o->max_depth, o->target ? "estimated LUT depth" : "threshold depth",
                min_d, o->variant ? " with --variant " : "", o->variant ? o->variant : "");
        return false;
    }
    best.min_depth = out->min_depth;
    best.objective = out->objective;
    best.max_depth = out->max_depth;
    best.target = out->target;
    *out = best;
    return true;
}

void compiled_free(Compiled *cm) {
    ir_free(cm->c);
    cm->c = NULL;
}

void compiled_pack_inputs(const Compiled *cm, int *const *tokens, int count, uint64_t *in) {
    int b = cm->bits_per_token;
    memset(in, 0, sizeof *in * (size_t)cm->c->n_inputs);
    for (int l = 0; l < count; l++)
        for (int i = 0; i < cm->n; i++)
            for (int k = 0; k < b; k++) in[i * b + k] |= (uint64_t)((tokens[l][i] >> k) & 1) << l;
}

void compiled_unpack_outputs(const Compiled *cm, const Model *m, const uint64_t *out, int l, int *dst) {
    if (m->out.kind == OUT_ACCEPT) {
        dst[0] = (int)((out[0] >> l) & 1);
        return;
    }
    for (int i = 0; i < cm->n; i++) {
        int v = 0;
        for (int k = 0; k < cm->label_bits; k++) v |= (int)((out[i * cm->label_bits + k] >> l) & 1) << k;
        dst[i] = v;
    }
}
