/*
 * ref.c - the bit-exact reference evaluator.  Plain integer C, written to be
 * read next to docs/numerics.md: every step below names the section that
 * defines it.  The loader's bounds (model.c) keep every sum inside int64.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

int model_n_outputs(const Model *m, int n) { return m->out.kind == OUT_ACCEPT ? 1 : n; }

static void trace_vec(FILE *t, const char *what, int pos, const int64_t *v, int n) {
    fprintf(t, "  %-10s pos %2d: [", what, pos);
    for (int i = 0; i < n; i++) fprintf(t, "%s%lld", i ? " " : "", (long long)v[i]);
    fprintf(t, "]\n");
}

/* out[r] = requant(W x + b, shift) for r < W.rows (numerics 3.1). */
static void affine_requant(int p, const Mat *w, const int64_t *b, int shift, const int64_t *x, int64_t *out) {
    for (int r = 0; r < w->rows; r++) {
        int64_t acc = b[r];
        for (int c = 0; c < w->cols; c++) acc += MAT(*w, r, c) * x[c];
        out[r] = requant(p, acc, shift);
    }
}

/* x <- residual ? sat(x + round(u / 2^s)) : requant(u, s), u = W y + b
 * (numerics 3.2). */
static void affine_residual(int p, const Mat *w, const int64_t *b, int shift, bool residual, const int64_t *y,
                            int64_t *x) {
    for (int r = 0; r < w->rows; r++) {
        int64_t acc = b[r];
        for (int c = 0; c < w->cols; c++) acc += MAT(*w, r, c) * y[c];
        x[r] = residual ? requant_res(p, x[r], acc, shift) : requant(p, acc, shift);
    }
}

/* One attention head: writes d_head values per position into a (numerics 4). */
static void run_head(const Model *m, const Head *h, int N, const int64_t *X, int64_t *A, int a_stride, FILE *t) {
    int p = m->p, d = m->d_model, dh = h->d_head;
    int64_t *Q = xcalloc((size_t)N * (size_t)dh, sizeof *Q);
    int64_t *K = xcalloc((size_t)N * (size_t)dh, sizeof *K);
    int64_t *V = xcalloc((size_t)N * (size_t)dh, sizeof *V);
    int64_t *S = xcalloc((size_t)N, sizeof *S);
    for (int i = 0; i < N; i++) {
        affine_requant(p, &h->wv, h->bv, h->v_shift, X + (size_t)i * d, V + (size_t)i * dh);
        if (h->kind != ATTN_UNIFORM) {
            affine_requant(p, &h->wq, h->bq, h->q_shift, X + (size_t)i * d, Q + (size_t)i * dh);
            affine_requant(p, &h->wk, h->bk, h->k_shift, X + (size_t)i * d, K + (size_t)i * dh);
        }
    }
    if (t) {
        for (int i = 0; i < N && h->kind != ATTN_UNIFORM; i++) trace_vec(t, "q", i, Q + (size_t)i * dh, dh);
        for (int i = 0; i < N && h->kind != ATTN_UNIFORM; i++) trace_vec(t, "k", i, K + (size_t)i * dh, dh);
        for (int i = 0; i < N; i++) trace_vec(t, "v", i, V + (size_t)i * dh, dh);
    }
    for (int i = 0; i < N; i++) {
        int last = h->causal ? i : N - 1; /* positions 0..last are visible */
        int64_t *a = A + (size_t)i * a_stride;
        if (h->kind == ATTN_UNIFORM) { /* 4.2 */
            for (int c = 0; c < dh; c++) {
                int64_t sum = 0;
                for (int j = 0; j <= last; j++) sum += V[(size_t)j * dh + c];
                a[c] = floor_div(sum, last + 1);
            }
            continue;
        }
        int64_t best = INT64_MIN;
        for (int j = 0; j <= last; j++) { /* 4.1 scores */
            int64_t dot = 0;
            for (int c = 0; c < dh; c++) dot += Q[(size_t)i * dh + c] * K[(size_t)j * dh + c];
            S[j] = requant(p, dot, h->score_shift);
            if (S[j] > best) best = S[j];
        }
        if (t) trace_vec(t, "scores", i, S, last + 1);
        if (h->kind == ATTN_HARD) { /* 4.3: the leftmost argmax */
            int js = 0;
            while (S[js] != best) js++;
            memcpy(a, V + (size_t)js * dh, sizeof *a * (size_t)dh);
        } else if (h->kind == ATTN_SATURATED) { /* 4.4 */
            int64_t count = 0;
            for (int j = 0; j <= last; j++) count += S[j] == best;
            for (int c = 0; c < dh; c++) {
                int64_t sum = 0;
                for (int j = 0; j <= last; j++)
                    if (S[j] == best) sum += V[(size_t)j * dh + c];
                a[c] = floor_div(sum, count);
            }
        } else { /* 4.5 softmax through the exp table, indexed by s - pmin or, with
                  * subtract_max, by s - max + 2^p - 1 */
            int64_t z = 0, base = h->subtract_max ? ((int64_t)1 << p) - 1 - best : -pmin(p);
            for (int j = 0; j <= last; j++) z += h->exp[S[j] + base];
            for (int c = 0; c < dh; c++) {
                int64_t num = 0;
                for (int j = 0; j <= last; j++) num += h->exp[S[j] + base] * V[(size_t)j * dh + c];
                a[c] = z > 0 ? floor_div(num, z) : 0;
            }
        }
    }
    free(Q);
    free(K);
    free(V);
    free(S);
}

/* x_i <- LN(x_i) for every position (numerics 7.1), into Y when Y != X. */
static void layer_norm(const Model *m, const LayerNorm *ln, int N, const int64_t *X, int64_t *Y, const char *what,
                       FILE *t) {
    int d = m->d_model;
    if (Y != X) memcpy(Y, X, sizeof *Y * (size_t)N * (size_t)d);
    for (int i = 0; i < N; i++) ln_ref(ln, m->p, d, Y + (size_t)i * d);
    if (t) {
        fprintf(t, "%s:\n", what);
        for (int i = 0; i < N; i++) trace_vec(t, "ln", i, Y + (size_t)i * d, d);
    }
}

void ref_run(const Model *m, const int *tokens, int n, int *out, FILE *t) {
    int p = m->p, d = m->d_model, N = n + m->has_bos;
    int64_t *X = xcalloc((size_t)N * (size_t)d, sizeof *X);
    /* 2: embedding */
    for (int i = 0; i < N; i++) {
        int tok = m->has_bos ? (i == 0 ? m->n_vocab : tokens[i - 1]) : tokens[i];
        for (int c = 0; c < d; c++)
            X[(size_t)i * d + c] =
                sat_p(p, MAT(m->tok_emb, tok, c) + MAT(m->pos_emb, i, c) + pos_terms_value(m, i, N, c));
    }
    if (t) {
        fprintf(t, "embedding:\n");
        for (int i = 0; i < N; i++) trace_vec(t, "x", i, X + (size_t)i * d, d);
    }
    for (int l = 0; l < m->n_layers; l++) {
        const Attn *at = &m->layers[l].attn;
        const Ffn *ff = &m->layers[l].ffn;
        /* 7.2: a pre-LN sublayer reads Y = LN(X); the residual stays X */
        int64_t *Y = xcalloc((size_t)N * (size_t)d, sizeof *Y);
        if (at->present) {
            int width = at->wo.cols;
            int64_t *A = xcalloc((size_t)N * (size_t)width, sizeof *A);
            int off = 0;
            const int64_t *in = X;
            if (at->ln_pre.present) {
                layer_norm(m, &at->ln_pre, N, X, Y, "pre-LN (attention)", t);
                in = Y;
            }
            for (int h = 0; h < at->n_heads; h++) {
                if (t)
                    fprintf(t, "layer %d head %d (%s%s):\n", l, h, at->heads[h].causal ? "causal " : "",
                            attn_kind_name(at->heads[h].kind));
                run_head(m, &at->heads[h], N, in, A + off, width, t);
                off += at->heads[h].d_head;
            }
            if (t) {
                fprintf(t, "layer %d attention:\n", l);
                for (int i = 0; i < N; i++) trace_vec(t, "heads", i, A + (size_t)i * width, width);
            }
            for (int i = 0; i < N; i++)
                affine_residual(p, &at->wo, at->bo, at->shift, at->residual, A + (size_t)i * width, X + (size_t)i * d);
            free(A);
            if (t)
                for (int i = 0; i < N; i++) trace_vec(t, "x", i, X + (size_t)i * d, d);
            if (at->ln_post.present) layer_norm(m, &at->ln_post, N, X, X, "post-LN (attention)", t);
        }
        if (ff->present) { /* 5: feed-forward */
            int64_t *H = xcalloc((size_t)ff->d_ff, sizeof *H);
            const int64_t *in = X;
            if (ff->ln_pre.present) {
                layer_norm(m, &ff->ln_pre, N, X, Y, "pre-LN (feed-forward)", t);
                in = Y;
            }
            if (t) fprintf(t, "layer %d feed-forward:\n", l);
            for (int i = 0; i < N; i++) {
                affine_requant(p, &ff->w1, ff->b1, ff->shift1, in + (size_t)i * d, H);
                if (t) trace_vec(t, "hidden", i, H, ff->d_ff);
                for (int c = 0; c < ff->d_ff; c++) H[c] = ff->act.table[H[c] - pmin(p)];
                if (t) trace_vec(t, "act", i, H, ff->d_ff);
                affine_residual(p, &ff->w2, ff->b2, ff->shift2, ff->residual, H, X + (size_t)i * d);
            }
            free(H);
            if (t)
                for (int i = 0; i < N; i++) trace_vec(t, "x", i, X + (size_t)i * d, d);
            if (ff->ln_post.present) layer_norm(m, &ff->ln_post, N, X, X, "post-LN (feed-forward)", t);
        }
        free(Y);
    }
    if (m->ln_final.present) layer_norm(m, &m->ln_final, N, X, X, "final LN", t);
    /* 6: output head */
    const Output *o = &m->out;
    if (o->kind == OUT_ACCEPT) {
        int pos = o->at_first ? 0 : N - 1;
        int64_t y = o->b[0];
        for (int c = 0; c < d; c++) y += o->w.v[c] * X[(size_t)pos * d + c];
        if (t) fprintf(t, "output: position %d, score %lld\n", pos, (long long)y);
        out[0] = y > 0;
    } else {
        for (int i = m->has_bos; i < N; i++) {
            int best = 0;
            int64_t best_y = 0;
            for (int r = 0; r < o->n_labels; r++) {
                int64_t y = o->b[r];
                for (int c = 0; c < d; c++) y += MAT(o->w, r, c) * X[(size_t)i * d + c];
                if (r == 0 || y > best_y) {
                    best = r;
                    best_y = y;
                }
            }
            out[i - m->has_bos] = best;
        }
    }
    free(X);
}
