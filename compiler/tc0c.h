/*
 * tc0c.h - the one header of the tc0c compiler.
 *
 * tc0c turns a small quantized transformer into a constant-depth threshold
 * circuit.  This header is split into one banner section per source file:
 * util (arena, errors), model (the loaded model and its JSON loader), ref
 * (the bit-exact reference evaluator).  docs/architecture.md maps the
 * pipeline onto these files; docs/numerics.md is the contract every part
 * implements.
 */
#ifndef TC0C_H
#define TC0C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------------
 * util.c: arena allocation, errors, small integer helpers
 * ---------------------------------------------------------------------- */

/* Exit codes of the command-line tool. */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 1,    /* bad command line */
    EXIT_INVALID = 2,  /* invalid model or input string */
    EXIT_MISMATCH = 3, /* circuit and reference disagree */
    EXIT_TOO_BIG = 4,  /* circuit refused by the size guard */
};

/* One arena per model or compilation: many allocations, one free. */
typedef struct ArenaBlock ArenaBlock;
typedef struct {
    ArenaBlock *head;
    size_t bytes; /* total bytes handed out, for memory reports */
} Arena;

void *arena_alloc(Arena *a, size_t size);          /* zeroed, aborts on OOM */
char *arena_strdup(Arena *a, const char *s);
void arena_free(Arena *a);

void *xmalloc(size_t size);                        /* aborts on OOM */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* Internal error: a bug in tc0c, never a user error. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Exact integer helpers (docs/numerics.md section 1). */
int64_t floor_div(int64_t a, int64_t b);           /* b > 0 */
int64_t sat_p(int p, int64_t v);                   /* clamp to p-bit signed */
int64_t requant(int p, int64_t acc, int shift);    /* sat_p(round(acc/2^s)) */
int64_t requant_res(int p, int64_t x, int64_t acc, int shift); /* residual */
static inline int64_t pmin(int p) { return -((int64_t)1 << (p - 1)); }
static inline int64_t pmax(int p) { return ((int64_t)1 << (p - 1)) - 1; }

/* ------------------------------------------------------------------------
 * model.c: the model, loaded from JSON (docs/model-format.md)
 * ---------------------------------------------------------------------- */

#define MODEL_FORMAT "tc0c-model/1"

/* Limits that make int64 overflow impossible in the reference evaluator
 * (docs/numerics.md section 6 derives the bound from them). */
#define MAX_P 16
#define MAX_LEN 1024
#define MAX_D_MODEL 256
#define MAX_D_FF 1024
#define MAX_HEADS 16
#define MAX_D_HEAD 64
#define MAX_LAYERS 64
#define MAX_VOCAB 128
#define MAX_LABELS 64
#define MAX_SHIFT 40
#define MAX_WEIGHT ((int64_t)1 << 20) /* |weight| <= 2^20 */
#define MAX_BIAS ((int64_t)1 << 40)   /* |bias|   <= 2^40 */
#define MAX_EXP ((int64_t)1 << 20)    /* exp table entries in [0, 2^20] */

typedef struct {
    int rows, cols;
    int64_t *v; /* row-major, rows*cols entries */
} Mat;

#define MAT(m, r, c) ((m).v[(size_t)(r) * (size_t)(m).cols + (size_t)(c)])

typedef enum {
    ATTN_SOFTMAX,   /* weights exp[s], floor(sum w v / sum w) */
    ATTN_HARD,      /* value at the unique leftmost argmax */
    ATTN_SATURATED, /* floor of the average over all argmax positions */
    ATTN_UNIFORM,   /* floor of the average over all allowed positions */
} AttnKind;

typedef struct {
    AttnKind kind;
    bool causal;  /* position i sees positions j <= i only */
    int d_head;
    Mat wq, wk, wv; /* d_head x d_model (wq, wk unused for uniform) */
    int64_t *bq, *bk, *bv;
    int q_shift, k_shift, v_shift, score_shift;
    int64_t *exp; /* softmax only: 2^p entries, index s - pmin(p) */
} Head;

typedef struct {
    bool present;
    int n_heads;
    Head *heads;
    Mat wo;      /* d_model x (n_heads * d_head) */
    int64_t *bo; /* d_model */
    int shift;
    bool residual;
} Attn;

/* Elementwise activation: stored as the full table of 2^p values. */
typedef struct {
    const char *name; /* "relu", "identity" or "table" */
    int64_t *table;   /* 2^p entries, index h - pmin(p) */
} Act;

typedef struct {
    bool present;
    int d_ff;
    Mat w1; /* d_ff x d_model */
    int64_t *b1;
    int shift1;
    Act act;
    Mat w2; /* d_model x d_ff */
    int64_t *b2;
    int shift2;
    bool residual;
} Ffn;

typedef struct {
    Attn attn;
    Ffn ffn;
} Layer;

typedef enum {
    OUT_ACCEPT, /* accept iff w.x + b > 0 at one position */
    OUT_LABEL,  /* per token position: leftmost argmax of W x + b */
} OutKind;

typedef struct {
    OutKind kind;
    bool at_first; /* OUT_ACCEPT: read position 0 instead of the last */
    Mat w;         /* 1 x d_model (accept) or n_labels x d_model */
    int64_t *b;
    int n_labels;
    char **labels;
} Output;

typedef struct {
    Arena arena;
    const char *path; /* file it was loaded from, for messages */
    const char *name;
    const char *description;
    int p;            /* activation precision in bits */
    int n_vocab;      /* token symbols, not counting BOS */
    char vocab[MAX_VOCAB];
    bool has_bos;     /* a BOS/CLS symbol is prepended at position 0 */
    char bos;
    int max_len;      /* longest input string, in tokens (BOS excluded) */
    int d_model;
    Mat tok_emb;      /* (n_vocab + has_bos) x d_model, BOS row last */
    Mat pos_emb;      /* (max_len + has_bos) x d_model */
    int n_layers;
    Layer *layers;
    Output out;
} Model;

/* Loads and validates a model.  On error prints "FILE: PATH: message" (or
 * "FILE:LINE:COL: ..." for malformed JSON) to stderr and returns NULL. */
Model *model_load(const char *path);
void model_free(Model *m);
long model_param_count(const Model *m);
void model_summary(const Model *m, FILE *f);
const char *attn_kind_name(AttnKind k);

/* Converts a string (one character per token) to token indices.  Returns
 * the length, or -1 after printing an error naming the bad character. */
int model_tokenize(const Model *m, const char *s, int *tokens);

/* ------------------------------------------------------------------------
 * ref.c: the bit-exact reference evaluator (docs/numerics.md)
 * ---------------------------------------------------------------------- */

/* Number of output values for an input of n tokens: 1 for OUT_ACCEPT
 * (0 reject, 1 accept), n for OUT_LABEL (label indices). */
int model_n_outputs(const Model *m, int n);

/* Evaluates the model on n tokens; writes model_n_outputs() values to out.
 * With trace != NULL prints every intermediate vector. */
void ref_run(const Model *m, const int *tokens, int n, int *out, FILE *trace);

#endif
