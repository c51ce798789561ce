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
    EXIT_OUTPUT = 5,   /* cannot write an output file or directory */
};

/* One arena per model or compilation: many allocations, one free. */
typedef struct ArenaBlock ArenaBlock;
typedef struct {
    ArenaBlock *head;
    size_t bytes; /* total bytes handed out, for memory reports */
} Arena;

void *arena_alloc(Arena *a, size_t size); /* zeroed, aborts on OOM */
char *arena_strdup(Arena *a, const char *s);
void arena_free(Arena *a);

void *xmalloc(size_t size); /* aborts on OOM, after alloc_failed_hook */
/* Called (when set) before an allocation failure aborts: a circuit build
 * sets it to end with exit 4 and a message naming what was being built. */
extern void (*alloc_failed_hook)(size_t bytes);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* Internal error: a bug in tc0c, never a user error. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* What an internal error message names (the model file); NULL: nothing. */
void bug_set_context(const char *what);

/* Writes s to f with every control character (C0, DEL, C1) escaped as
 * \xNN, so that text from a model cannot drive the terminal. */
void fputs_safe(const char *s, FILE *f);

/* Exact integer helpers (docs/numerics.md section 1). */
int64_t floor_div(int64_t a, int64_t b);                       /* b > 0 */
int64_t gcd64(int64_t a, int64_t b);                           /* >= 0; gcd64(0, 0) = 0 */
int bit_length(int64_t v);                                     /* bits of v > 0; 0 for v <= 0 */
int64_t sat_p(int p, int64_t v);                               /* clamp to p-bit signed */
int64_t requant(int p, int64_t acc, int shift);                /* sat_p(round(acc/2^s)) */
int64_t requant_res(int p, int64_t x, int64_t acc, int shift); /* residual */
int64_t round_off(int shift); /* rounding offset of a right shift: 2^(s-1), 0 for s = 0 */
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
/* set bits of |v| */
static inline int popcount_abs(int64_t v) { return __builtin_popcountll((unsigned long long)(v < 0 ? -v : v)); }
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
#define MAX_WEIGHT ((int64_t)1 << 20)   /* |weight| <= 2^20 */
#define MAX_BIAS ((int64_t)1 << 40)     /* |bias|   <= 2^40 */
#define MAX_EXP ((int64_t)1 << 20)      /* exp table entries in [0, 2^20] */
#define MAX_LN_PARAM ((int64_t)1 << 20) /* layer norm |gamma|, |beta| <= 2^20 */
#define MAX_LN_SHIFT 20
#define MAX_LN_EPS ((int64_t)1 << 40)
#define MAX_POS_TERMS 64
#define MAX_POS_SCALE ((int64_t)1 << 20)

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
    bool causal; /* position i sees positions j <= i only */
    int d_head;
    Mat wq, wk, wv; /* d_head x d_model (wq, wk unused for uniform) */
    int64_t *bq, *bk, *bv;
    int q_shift, k_shift, v_shift, score_shift;
    const int64_t *exp; /* softmax only: 2^p entries, index s - pmin(p); shared by equal tables */
    bool subtract_max;  /* softmax: exp indexed by s - max + 2^p - 1 (numerics 4.5) */
} Head;

/* An integer layer norm (numerics 7.1); present = false: none. */
typedef struct {
    bool present;
    int64_t *gamma, *beta; /* d_model entries */
    int shift;             /* [0, MAX_LN_SHIFT] */
    int64_t eps;           /* [1, MAX_LN_EPS] */
} LayerNorm;

typedef struct {
    bool present;
    int n_heads;
    Head *heads;
    Mat wo;      /* d_model x (n_heads * d_head) */
    int64_t *bo; /* d_model */
    int shift;
    bool residual;
    LayerNorm ln_pre, ln_post; /* numerics 7.2 */
} Attn;

/* Elementwise activation: stored as the full table of 2^p values. */
typedef struct {
    const char *name;     /* "relu", "identity" or "table" */
    const int64_t *table; /* 2^p entries, index h - pmin(p); shared by equal tables */
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
    LayerNorm ln_pre, ln_post; /* numerics 7.2 */
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

/* A length-relative position term (numerics 2.1). */
typedef enum { POS_FRAC, POS_ALT } PosKind;
typedef struct {
    int channel;
    PosKind kind;
    int64_t scale;
} PosTerm;

typedef struct {
    Arena arena;
    const char *path; /* file it was loaded from, for messages */
    const char *name;
    const char *description;
    int p;       /* activation precision in bits */
    int n_vocab; /* token symbols, not counting BOS */
    char vocab[MAX_VOCAB];
    bool has_bos; /* a BOS/CLS symbol is prepended at position 0 */
    char bos;
    int max_len; /* longest input string, in tokens (BOS excluded) */
    int d_model;
    Mat tok_emb; /* (n_vocab + has_bos) x d_model, BOS row last */
    Mat pos_emb; /* (max_len + has_bos) x d_model */
    int n_pos_terms;
    PosTerm *pos_terms; /* numerics 2.1 */
    int n_layers;
    Layer *layers;
    LayerNorm ln_final; /* before the output head (numerics 7.2) */
    Output out;
} Model;

/* Loads and validates a model.  On error prints "FILE: PATH: message" (or
 * "FILE:LINE:COL: ..." for malformed JSON) to stderr and returns NULL. */
Model *model_load(const char *path);
void model_free(Model *m);
long model_param_count(const Model *m);
void model_summary(const Model *m, FILE *f);
const char *attn_kind_name(AttnKind k);

/* json.c: the strict RFC 8259 pre-scan every model passes before cJSON.
 * Rewrites unpaired surrogate escapes to \ufffd in place.  On error sets
 * offset (byte of the error), why, and for a NUL in a string or key the
 * JSON path of that string. */
#define JSON_MAX_DEPTH 256
#define JSON_MAX_NUMBER 63 /* characters; cJSON reads no more */
typedef struct {
    size_t offset;
    const char *why;
    char path[512];
} JsonError;
bool json_strict_scan(char *text, size_t len, JsonError *err);

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

/* ------------------------------------------------------------------------
 * norm.c: layer norm, max-subtracted softmax and length-relative positions
 * (numerics 2.1, 4.5, 7) in the reference and as threshold logic
 * ---------------------------------------------------------------------- */

/* The largest r >= 0 with r * r <= v, for 0 <= v < 2^63. */
int64_t isqrt64(int64_t v);
/* R_i[c] of numerics 2.1: the position terms' sum at position i of N. */
int64_t pos_terms_value(const Model *m, int i, int N, int c);
/* y = LN(x) in place over d values (numerics 7.1). */
void ln_ref(const LayerNorm *ln, int p, int d, int64_t *x);
/* The bound B with |floor(gamma d u / (2^s r))| <= B for every input. */
int64_t ln_quot_bound(const LayerNorm *ln, int d, int c);

/* ------------------------------------------------------------------------
 * ir.c: the threshold-circuit netlist (DESIGN.md section 4)
 *
 * One array of gates in topological order: a gate reads only older gates,
 * so the index is also an evaluation order.  Gate 0 is the constant 0,
 * gate 1 the constant 1, inputs next.  A threshold gate outputs 1 iff
 * sum_i w_i * x_i >= thr.  Gates are made only through ir_thr(), which
 * normalizes (merges terms, folds constants, divides by the weights' gcd,
 * sorts) and hashes, so equal gates are one gate.  Gates with the same
 * weighted sum (the same terms, any threshold) form one "sum group": the
 * Verilog backend builds that sum once (DESIGN.md: multi-threshold).
 * ---------------------------------------------------------------------- */

typedef int32_t GateId;

enum { GATE_CONST0 = 0, GATE_CONST1 = 1 };

typedef enum {
    G_CONST, /* gates 0 and 1 */
    G_INPUT,
    G_THR,
    G_SUM, /* a sum node: an integer sum_i w_i x_i over older gates and sum
            * nodes, no threshold; shared by every gate and form reading it */
    G_BIT, /* a bit tap: bit `bit` of the two's complement of sum_i w_i x_i +
            * thr; a LUT-target node (the bit of an adder, a wire there),
            * two threshold levels (docs/lowering.md "Bit taps") */
} GateKind;

/* Where a gate came from, for reports and Verilog comments. */
typedef enum {
    OP_INPUT,
    OP_EMBED,  /* token decoding and embedding */
    OP_QKV,    /* query/key/value requantization */
    OP_SCORE,  /* products q.k and the score */
    OP_SELECT, /* max, argmax, selection flags */
    OP_MIX,    /* products weight x value */
    OP_DIV,    /* division by the attention normalizer */
    OP_ATTN_OUT,
    OP_FFN_HIDDEN,
    OP_FFN_OUT,
    OP_OUTPUT,
    OP_BINARY, /* thermometer to binary */
    OP_OTHER,
    OP__COUNT
} Op;

const char *op_name(Op op);

/* origin = layer * 65536 + head * 256 + op; layer -1 (embedding/output) is
 * stored as 255, head -1 (not in a head) as 255. */
typedef uint32_t Origin;
static inline Origin origin_make(int layer, int head, Op op) {
    return (Origin)(((layer < 0 ? 255u : (unsigned)layer) << 16) | ((head < 0 ? 255u : (unsigned)head) << 8) |
                    (unsigned)op);
}
static inline int origin_layer(Origin o) { return (o >> 16) == 255 ? -1 : (int)(o >> 16); }
static inline int origin_head(Origin o) { return ((o >> 8) & 255) == 255 ? -1 : (int)((o >> 8) & 255); }
static inline Op origin_op(Origin o) { return (Op)(o & 255); }

typedef struct {
    GateId src;
    int64_t w;
} Term;

typedef struct {
    uint8_t kind;    /* GateKind */
    uint8_t bit;     /* G_BIT only: the bit index, 0..62 */
    int32_t level;   /* threshold depth: constants and inputs 0; a sum node
                      * has the level of its deepest input (sums cost none) */
    uint32_t n_in;   /* fan-in: stored terms (a sum node read counts once) */
    size_t term_off; /* first term in Circuit.terms */
    int64_t thr;     /* G_THR: the threshold; G_BIT: the constant added */
    int64_t lo, hi;  /* the node's value range: [0,1] for a gate, term-wise for a sum */
    int32_t group;   /* sum group: gates with identical terms share it (-1: sum node) */
    Origin origin;
    uint64_t hkey, hgroup; /* hashes of (terms, thr) and of the terms */
} Gate;

typedef struct {
    Gate *gates;
    int32_t n_gates, cap_gates;
    Term *terms;
    size_t n_terms, cap_terms;
    int32_t n_inputs; /* gates 2 .. 2+n_inputs-1 */
    GateId *outputs;
    int32_t n_outputs, cap_outputs;
    int32_t n_groups;
    /* structural hashing */
    uint64_t *hash; /* open addressing over gates: slot_make(), HASH_EMPTY */
    size_t hash_cap;
    bool hash_stale;      /* ir_sweep renumbered: rebuild (and rehash) before the next lookup */
    uint64_t *group_hash; /* open addressing over groups: slot_make() of a gate per group */
    size_t group_hash_cap;
    Term *scratch; /* ir_thr's buffer for gcd-divided terms */
    uint32_t cap_scratch;
    Origin cur_origin; /* stamped on new gates */
    int64_t max_gates; /* ir_thr refuses to grow past this (0: no limit) */
    int64_t max_mem;   /* bytes: building past this ends with exit 4 (0: no limit) */
    const char *what;  /* the model file, for exit-4 messages (may be NULL) */
    int32_t n_sums;    /* sum nodes among the gates */
    /* reachable values of sum nodes (a sorted superset, at most
     * IR_REACH_MAX values; ir_thr raises a threshold to the next one) */
    int32_t *reach_of; /* per node: offset in reach_pool (count, values...), -1 unknown */
    int64_t *reach_pool;
    size_t n_reach_pool, cap_reach_pool;
} Circuit;

/* A form with at least this many terms becomes a shared sum node when a
 * gate or a Val reads it (DESIGN.md section 7, docs/lowering.md). */
#define IR_SUM_MIN_TERMS 4
/* A sum node whose reachable values (over all 0/1 assignments of the gates
 * it reads) number at most this keeps them: a threshold between two
 * reachable values is one gate whatever its exact value. */
#define IR_REACH_MAX 256

Circuit *ir_new(int n_inputs);
void ir_free(Circuit *c);
static inline GateId ir_input(int i) { return 2 + i; }

/* A linear form c + sum_i w_i * g_i over gate outputs (compiler-side; not
 * stored in the circuit).  Forms own their term array. */
typedef struct {
    int64_t c;
    int n, cap;
    Term *t;
} Form;

void form_init(Form *f, int64_t c);
void form_free(Form *f);
void form_copy(Form *dst, const Form *src);
void form_add_term(Form *f, GateId g, int64_t w);          /* f += w * g */
void form_add(Form *f, const Form *g, int64_t scale);      /* f += scale * g */
void form_canon(Form *f);                                  /* merge, drop zeros and constants */
void form_bounds(const Form *f, int64_t *lo, int64_t *hi); /* term-wise bound, every term a 0/1 gate */
/* Term-wise bound with each source's own range (sum nodes included). */
void ir_form_bounds(const Circuit *c, const Form *f, int64_t *lo, int64_t *hi);
/* dst = a f + b g for canonical (sorted, merged) f and g, by merging: the
 * result is canonical too.  dst is initialized here. */
void form_combine(Form *dst, const Form *f, int64_t a, const Form *g, int64_t b);

/* The gate [f >= t], normalized and hashed; may return a constant gate or
 * an existing gate (x itself for [x >= 1]). */
GateId ir_thr(Circuit *c, const Form *f, int64_t t);
/* Absorbs inverters and canonicalizes f (as ir_form_prepare); then, when
 * it has IR_SUM_MIN_TERMS or more terms, replaces them by g * S, S the
 * shared sum node of the terms divided by their gcd g (sign normalized so
 * that F and -F share one node).  Sum nodes are hashed: equal sums are one
 * node.  Same value, no gate, no level. */
void ir_form_share(Circuit *c, Form *f);
/* Same from min_terms terms on (at least 2): for a form that many gates
 * will compare (a thermometer), sharing pays from two terms. */
void ir_form_share_min(Circuit *c, Form *f, int min_terms);
static inline bool ir_is_sum(const Circuit *c, GateId g) { return c->gates[g].kind == G_SUM; }
/* Weight arithmetic that would overflow, or memory past max_mem: prints
 * what (model file, layer, head, op) and the knob, exits 4. */
_Noreturn void ir_refuse(const Circuit *c, const char *why);
/* Small helpers built on ir_thr. */
/* [wa a + wb b >= t] */
GateId ir_thr2(Circuit *c, GateId a, int64_t wa, GateId b, int64_t wb, int64_t t);
GateId ir_and(Circuit *c, GateId a, GateId b);
/* The bit tap: bit j (0..62) of the two's complement of f's value (with
 * its constant), a G_BIT node over f's terms (shared as a sum node from 2
 * terms on, so that the taps of one value read one adder); constant when
 * f has no terms.  Level: f's deepest term + 2. */
GateId ir_bit(Circuit *c, const Form *f, int j);
GateId ir_or(Circuit *c, GateId a, GateId b);
GateId ir_not(Circuit *c, GateId a);

/* Absorbs inverters and canonicalizes f in place (same value), so that
 * many ir_thr calls on it take the fast path. */
void ir_form_prepare(const Circuit *c, Form *f);
void ir_add_output(Circuit *c, GateId g);
/* (No terms at all: c->terms is NULL, and NULL + 0 is undefined in C.) */
static inline const Term *ir_terms(const Circuit *c, GateId g) {
    return c->terms ? c->terms + c->gates[g].term_off : c->terms;
}

/* Removes gates no output depends on; renumbers (order kept). */
void ir_sweep(Circuit *c);
/* Read-only checker: returns NULL when the netlist is well formed, else a
 * description of the first problem (static buffer). */
const char *ir_check(const Circuit *c);
int32_t ir_depth(const Circuit *c);

typedef struct {
    int64_t gates; /* threshold gates and bit taps */
    int64_t taps;  /* bit taps among them */
    int64_t inputs, outputs;
    int64_t sums;      /* sum nodes */
    int64_t wires;     /* the shared DAG: terms of all sum nodes and gates */
    int64_t edges;     /* flattened fan-in of the threshold gates: each sum
                        * node read counts its own flattened terms (an upper
                        * bound where flattening would merge or cancel terms) */
    int64_t max_fanin; /* largest flattened fan-in (same bound) */
    int64_t bytes;     /* memory the netlist holds */
    int32_t depth;
    int32_t groups;           /* distinct weighted sums */
    int max_weight_bits;      /* bits of the largest |weight| or |threshold| */
    int64_t by_op[OP__COUNT]; /* gates per operation */
    int64_t edges_by_op[OP__COUNT];
    int64_t wires_by_op[OP__COUNT];
} CircuitStats;

/* Flattened fan-in of every node (sum nodes expanded, saturating at
 * INT64_MAX / 4); the caller frees the array. */
int64_t *ir_flat_fanin(const Circuit *c);
/* Gate g's terms with every sum node expanded into its own terms, merged:
 * [sum w_i x_i >= thr] over 0/1 gates only.  Returns false (nothing
 * allocated) when more than max_terms terms would be expanded. */
bool ir_flatten(const Circuit *c, GateId g, int64_t max_terms, Term **terms, uint32_t *n);
/* The same for a form: out (initialized here) is in with every sum node
 * expanded, over 0/1 gates only, merged; false (out untouched) past
 * max_terms terms. */
bool ir_form_flatten(const Circuit *c, const Form *in, int64_t max_terms, Form *out);

void ir_stats(const Circuit *c, CircuitStats *s);

/* lutcost.c: the circuit on a K-input LUT fabric (K = 4 or 6), estimated
 * from the netlist (docs/lowering.md, "LUT cost model"). */
typedef struct {
    int k;
    int64_t luts;
    int32_t depth;                 /* LUT levels */
    int64_t luts_by_op[OP__COUNT]; /* luts, by the origin of the node charged */
} LutCost;
void lut_cost(const Circuit *c, int k, LutCost *out);
/* The LUTs of node g alone, by the same rules (for comparing two lowerings
 * of one value: represent.c). */
int64_t lut_node_luts(const Circuit *c, GateId g, int k);
void ir_dump(const Circuit *c, FILE *f);

/* The majority-gate form of a threshold gate (DESIGN.md section 3): the
 * gate equals MAJ over lits (each an input, complemented when neg) plus
 * n_one constant 1s and n_zero constant 0s; the count is odd.  Returns
 * false when the total fan-in would exceed max_fanin. */
typedef struct {
    GateId src;
    bool neg;
} Lit;
bool ir_majority(const Circuit *c, GateId g, int64_t max_fanin, Lit **lits, int64_t *n_lits, int64_t *n_one,
                 int64_t *n_zero);

/* ------------------------------------------------------------------------
 * lower.c: exact integer arithmetic as threshold logic (DESIGN.md sec. 3)
 *
 * A Val is an integer known to lie in [lo, hi], held as a linear form over
 * gate outputs (always), and optionally also in thermometer code
 * (thermo[k-1] = [x >= lo + k], k = 1..hi-lo) and in offset binary
 * (x = lo + sum_k 2^k bits[k]).  Affine maps only compose forms (no gates);
 * gates are made where an operation needs a code: tables and max read the
 * thermometer, products use bits or thermometers; a binary value (bits, no
 * thermometer: binary.c) stays binary through tables, max, argmax and
 * products (docs/lowering.md "Primitives over binary codes").
 * ---------------------------------------------------------------------- */

typedef struct {
    int64_t lo, hi; /* every reachable value lies in [lo, hi] */
    Form form;      /* value = form */
    GateId *thermo; /* NULL or hi - lo gates */
    GateId *bits;   /* NULL or nbits gates */
    int nbits;
} Val;

/* Lowering choices (docs/lowering.md).  product_direct_max: a product of
 * two values whose thermometer codes have at most this many gate pairs is
 * built directly from them (one level, more gates); above it, from binary
 * bits (one level more, fewer gates). */
typedef enum {
    BITS_ADDER_BLOCKS, /* blocks of bits_block operands, one step each (binary.c) */
    BITS_ADDER_TREE,   /* a compressor tree of full adders */
    BITS_ADDER_TAP,    /* bit taps of one adder (G_BIT; LUT targets) */
} BitsAdder;

/* bits_adder_min_range: val_bits of a value without a thermometer whose
 * range hi - lo exceeds this builds the bits with an adder (binary.c), not
 * from a thermometer; requant_bits_min_range: a requantization whose output
 * range exceeds this is built in binary (no thermometer).  INT64_MAX (the
 * default): never.  bits_block: operands per block (0: all in one step,
 * depth 2).  bits_split_terms: a sum node nested in the form with at
 * least this many terms is summed to binary on its own and read through
 * its bits (shared by its readers; +1 round of depth); 0: every sum node
 * is expanded into the flattened form. */
typedef struct {
    int64_t product_direct_max;
    /* hard attention: bit k set = the k-th hard head of the model (layers,
     * then heads, in order; k < 64) uses select_tournament instead of
     * val_max + val_argmax */
    uint64_t tournament;
    /* the same mask for select_tournament_values (wins over tournament) */
    uint64_t tournament_values;
    /* softmax attention: bit k set = the k-th softmax head divides by
     * val_div_restoring instead of val_div */
    uint64_t div_restoring;
    /* flag x value ANDs as plain 2-input gates (one LUT each) instead of
     * folded into the flag's gate (gate_and_fused: no level, but a copy of
     * the flag's sum per AND) */
    bool and_plain;
    int64_t bits_adder_min_range, requant_bits_min_range;
    BitsAdder bits_adder;
    int bits_block, bits_split_terms;
    /* --bits auto: each requantization chooses thermometer or binary
     * (represent.c); repr_slack: levels a binary code may add over its
     * readers' thermometer route (0: never deeper) */
    bool repr_auto;
    int repr_slack;
} LowerOpts;

extern LowerOpts lower_opts;
/* Every requantization and every binary code of a value without a
 * thermometer built by the adder `how` (--bits blocks|tree|tap, the
 * choice's bits_tap). */
void lower_opts_binary(LowerOpts *lo, BitsAdder how);

void val_free(Val *v);
Val val_const(int64_t v);
/* Takes f; [lo, hi] must hold every value the form reaches in the model. */
Val val_form(Form *f, int64_t lo, int64_t hi);
/* Same, [lo, hi] also clipped to the form's bounds in c, and a form of
 * IR_SUM_MIN_TERMS or more terms shared as one sum node (ir_form_share). */
Val val_form_in(Circuit *c, Form *f, int64_t lo, int64_t hi);
Val val_copy(const Val *v); /* shares no memory */
/* The p-bit two's complement value on gates bits[0..p-1] (bit p-1 sign). */
Val val_from_twos(const GateId *bits, int p);
/* a*x + b*y + c as a form (interval arithmetic for the range). */
Val val_lin(const Val *x, int64_t a, const Val *y, int64_t b, int64_t c);

void val_thermo(Circuit *c, Val *x);          /* + (hi-lo) gates, depth + 1 */
void val_bits(Circuit *c, Val *x);            /* + nbits gates from the thermometer, depth + 1 */
GateId val_ge(Circuit *c, Val *x, int64_t t); /* [x >= t]; the thermometer gate when there is one */

/* sat_p(floor((x + r) / 2^s)) with r = round-half-up offset (numerics 1.2);
 * with residual (res != NULL): sat_p(res + floor((x + r) / 2^s)).  Free
 * (no gate) when s = 0 and no saturation is possible; else a thermometer of
 * (yhi - ylo) gates, depth + 1. */
Val val_requant(Circuit *c, const Val *x, const Val *res, int shift, int p);
/* Its output range [*lo, *hi]; false when it needs no gate (a form). */
bool requant_range(const Val *x, const Val *res, int shift, int p, int64_t *lo, int64_t *hi);
/* f(x) from a table over [pmin(p), pmax(p)] (index v - pmin): a form over
 * x's thermometer, no gates. */
Val val_table(Circuit *c, Val *x, const int64_t *table, int p);
/* x * y exactly (DESIGN.md 3.6). */
Val val_mul(Circuit *c, Val *x, Val *y);
/* floor(n / z) for z > 0, and 0 for z = 0 (the caller guarantees n = 0
 * whenever z = 0); q in [qlo, qhi] must hold.  qhi - qlo gates, depth + 1
 * over n and z. */
Val val_div(Circuit *c, const Val *n, const Val *z, int64_t qlo, int64_t qhi);
/* P[i] = x[0] + ... + x[i] for i < n, as forms over shared block sums
 * (sum nodes nested at most bitlen(n) deep, O(n log n) wires); P is
 * initialized here, the caller frees each P[i]. */
void form_prefix_sums(Circuit *c, const Form *x, int n, Form *P);
/* max over xs[0..n-1]: thermometer of (hi - lo) OR gates, depth + 1 over the
 * inputs' thermometers. */
Val val_max(Circuit *c, Val *xs, int n);
/* flags[j] = [xs[j] is the leftmost maximum] (DESIGN.md 3.8): needs max m
 * (from val_max); n gates [x_j >= m] then n gates for leftmost, depth + 2.
 * ties[j] (optional) receives [x_j >= m] (all maxima). */
void val_argmax(Circuit *c, Val *xs, int n, Val *m, GateId *flags, GateId *ties);
/* select.c: flags[j] = [xs[j] is the leftmost maximum] by a tournament of
 * pairwise comparisons (docs/lowering.md "Tournament argmax"): n - 1
 * comparisons and up to hi - lo OR gates per match below the final;
 * flags ceil(log2 n) + 1 levels above the thermometers (val_max +
 * val_argmax: 3).  Builds the thermometers when missing. */
void select_tournament(Circuit *c, Val *xs, int n, GateId *flags);
/* The same tournament carrying the winner's values: out[k] = vals[w * dv +
 * k] for the leftmost maximum w of xs[0..n-1]; two gates per match and
 * value level, one level per round (docs/lowering.md). */
void select_tournament_values(Circuit *c, Val *xs, int n, Val *vals, int dv, Val *out);
/* flag * x for a 0/1 gate: AND gates with x's thermometer (or bits when
 * cheaper), depth + 1 over the later of the two. */
Val val_gate_mul(Circuit *c, GateId flag, Val *x);
/* AND(a, b) of two 0/1 gates; when a is a threshold gate deeper than b,
 * one gate over a's inputs at a's level ([L + B b >= t + B]). */
GateId gate_and_fused(Circuit *c, GateId a, GateId b);
/* [f >= t] AND b as one gate, [f + B b >= t + B] with B = max(f) - t + 1
 * (at least 1): no level over f's and b's inputs.  Adds the term to f. */
GateId thr_and(Circuit *c, Form *f, int64_t t, GateId b);

/* ------------------------------------------------------------------------
 * binary.c: binary codes without a thermometer (docs/lowering.md, "Binary
 * codes from adders"): the value's form over 0/1 gates (sum nodes expanded,
 * weights modulo 2^nbits) summed by lower_opts.bits_adder.
 * ---------------------------------------------------------------------- */

/* Forms that would expand to more terms than this are left to the
 * thermometer (the functions below return false). */
#define BITS_FLAT_MAX ((int64_t)1 << 20)

/* bits[0 .. nbits(hi - lo) - 1] = offset binary of x - lo.  Blocks: depth
 * 2 per round over the form's gates; tree: 2 per full-adder level + 2. */
bool val_bits_adder(Circuit *c, const Val *x, GateId *bits);
/* *y = val_requant(c, x, res, shift, p) held in binary (y->bits, a form
 * over them, no thermometer); the saturation is folded into the last
 * step's gates, so blocks in one step put the bits 2 levels over x. */
bool val_requant_bits(Circuit *c, const Val *x, const Val *res, int shift, int p, Val *y);

/* Primitives over binary codes (docs/lowering.md, "Primitives over binary
 * codes").  A binary value has bits and no thermometer (val_requant_bits,
 * val_max_bits, val_div_bits); lower.c sends val_table, val_max,
 * val_argmax and val_mul on such values here, so it stays binary.  Each
 * gate reads an operand through its bits (lo + sum 2^k bits[k], one shared
 * sum node). */
static inline bool val_is_binary(const Val *x) { return x->bits && !x->thermo && x->lo < x->hi; }
/* [x >= y]: one gate over both codes, depth + 1. */
GateId val_ge_val(Circuit *c, const Val *x, const Val *y);
/* x's code as a shared form: lo + sum 2^k bits[k] when x has bits, else
 * its form (f initialized here).  val_table over a binary value reads it:
 * one gate [x >= lo + k] per change point of the table, depth + 1. */
void val_code_form(Circuit *c, const Val *x, Form *f);
/* [x >= t] over x's code form fx; with bit taps on and 6 or more bits, one
 * 3-input gate over comparators of the code's two halves (shared by all
 * of x's thresholds: docs/lowering.md "Bit taps"). */
GateId val_code_ge(Circuit *c, const Val *x, const Form *fx, int64_t t);
/* val_table over a binary x (bit taps on, 6 or more bits) in binary, by
 * blocks of the code's low half (docs/lowering.md "Bit taps", tables by
 * blocks): each bit of the entry minus its least is the OR over the high
 * half's values hb of [H = hb] AND (the block's entries as a function of
 * L), a run of all-one blocks two comparators of H, or, where cheaper,
 * [sum +-(x >= change point) >= 1].  Taken when those bits cost fewer LUTs
 * than the table's change points, which every reader's adder would read;
 * a 0/1 table when its blocks are cheaper than its change points.  False
 * (nothing built) otherwise. */
bool val_table_blocks(Circuit *c, const Val *x, const int64_t *t, int p, Val *y);
/* Leftmost maximum: n(n-1)/2 comparisons [x_j >= x_k] (j < k; with ties
 * also j > k), flags[j] = [x_j > x_k (k < j), x_j >= x_k (k > j)] (n
 * gates, depth + 2), ties[j] = [x_j >= x_k for all k] (n gates); *m (when
 * m) = the maximum: bit i = sum_j AND(f_j, bit_ji) (n nbits ANDs fused
 * into the flags' level; a sum node, no OR), a binary value when all lo
 * are equal, else a form. */
void val_argmax_bits(Circuit *c, Val *xs, int n, Val *m, GateId *flags, GateId *ties);
Val val_max_bits(Circuit *c, Val *xs, int n);
/* val_div's candidates, then the quotient's bits by alternating sums over
 * them (nbits - 1 gates, + 1 level); the result is binary. */
Val val_div_bits(Circuit *c, const Val *n, const Val *z, int64_t qlo, int64_t qhi);
/* floor(n / z) as val_div, by restoring division: Z's bits from a
 * compressor tree, then per quotient bit (bitlen(qhi - qlo) of them, from
 * the top) a compare [R - 2^k Z >= 0] and the remainder R less the bit
 * times 2^k Z (AND gates with Z's bits, one sum node per step): O(bits)
 * adders instead of qhi - qlo comparators, depth + 2 per bit.  The result is
 * binary when z >= 1 (docs/lowering.md "Restoring division"). */
Val val_div_restoring(Circuit *c, const Val *n, const Val *z, int64_t qlo, int64_t qhi);

/* represent.c: the representation of a requantized value (docs/lowering.md,
 * "Representation per value").  A requantization that needs no gate leaves
 * a form; otherwise the value is held as its thermometer or its binary
 * code, chosen per value (`--bits auto`, LowerOpts.repr_auto) from what
 * reads it, the cost of each in the objective's units (wires, or estimated
 * LUTs for a LUT target) and the depth rule: the binary code's level may
 * pass the level at which its readers get their code from the thermometer
 * by at most LowerOpts.repr_slack levels (0: never deeper). */
typedef enum { REPR_FORM, REPR_THERMO, REPR_BINARY, REPR__COUNT } Repr;
extern const char *const repr_name[REPR__COUNT]; /* "form", "thermo", "binary" */
/* What the readers of a value need, as compile.c knows them statically
 * (today's primitives, lower.c): */
typedef enum {
    USE_FORM,   /* only its form: affine maps, residual sums, division numerators */
    USE_AND,    /* flag x value ANDs (val_gate_mul) over its bits, the flags being deeper */
    USE_BITS,   /* its bits: products above product_direct_max (val_mul) */
    USE_THERMO, /* its thermometer: max/argmax, tournaments, layer norm */
    USE_TABLE,  /* one table (val_table): over the thermometer, or over the bits at its change points */
} ReprUse;
typedef struct {
    ReprUse use;
    int64_t ands;         /* USE_AND, USE_BITS: the products that read it */
    const int64_t *table; /* USE_TABLE: the table (2^p entries from pmin(p)) */
} ReprReaders;
typedef struct {
    int target;             /* 0: wires; 4 or 6: estimated LUTs (lutcost.c) */
    bool trace;             /* TC0C_REPR_TRACE set: each choice on stderr */
    int64_t n[REPR__COUNT]; /* values that took each representation */
    /* per node: built by a losing code and not yet read by a winner
     * (unpaid), and the visit stamp of the cost walk */
    uint8_t *unpaid;
    uint32_t *stamp, epoch;
    int32_t cap;
} ReprCtx;
void repr_free(ReprCtx *rc);
/* val_requant with the representation chosen for readers rd (counted in rc). */
Val repr_requant(Circuit *c, ReprCtx *rc, const Val *x, const Val *res, int shift, int p, ReprReaders rd);

/* norm.c, circuit side (docs/lowering.md "Layer norm").  ln_lower replaces
 * x[0..d-1] by LN(x) (numerics 7.1): depth + 3 over x's thermometers (+ 4
 * when x has none yet), constant in n.  softmax_center replaces the scores
 * S[0..cnt-1] by s_j - max + pmax(p), the exp index of numerics 4.5 shifted
 * into [pmin, pmax] so that a p-bit table reads it: depth + 1 over the max. */
void ln_lower(Circuit *c, const LayerNorm *ln, int p, int d, Val *x);
void softmax_center(Circuit *c, Val *S, int cnt, int p);
/* The estimate's share (estimate.c): what a layer norm over x costs. */
typedef struct {
    int64_t lo[MAX_D_MODEL], hi[MAX_D_MODEL]; /* in: x_c's range; out: y_c's */
    int64_t xgates[MAX_D_MODEL];              /* gates of x_c's thermometer */
    int64_t sgates;                           /* gates of the sum's thermometer */
    int64_t newgates;                         /* of all those, the ones not built yet */
    int64_t card;                             /* D and the quotients fold to this many values (0: they do not) */
    const bool *live;                         /* the channels read later (NULL: all) */
    int64_t wires;                            /* out */
} LnEstimate;
/* Returns the gates (e->wires: the wires). */
int64_t ln_estimate(const LayerNorm *ln, int p, int d, LnEstimate *e);

/* ------------------------------------------------------------------------
 * compile.c: a whole model for inputs of exactly n tokens -> a circuit
 *
 * Inputs: token i's code in binary, bits_per_token wires, LSB first, at
 * inputs [i*bits_per_token, (i+1)*bits_per_token).  A BOS token is a
 * constant.  Outputs: OUT_ACCEPT, one wire (1 = accept); OUT_LABEL, n
 * label indices of label_bits wires each, LSB first.  Codes >= n_vocab
 * are outside the circuit's domain.
 * ---------------------------------------------------------------------- */

/* What the choice among lowering variants minimizes (docs/lowering.md
 * "Depth budget and the choice"): wires within the depth budget, or wires
 * whatever the depth. */
typedef enum { OBJ_DEPTH, OBJ_SIZE } Objective;

typedef struct {
    int n;             /* input length in tokens */
    int64_t max_gates; /* refuse above this (estimate and build) */
    int64_t max_mem;   /* bytes: refuse an estimate above this, stop a build past it (0: none) */
    bool quiet;        /* no progress on stderr */
    int max_depth;     /* threshold levels of the whole circuit; 0: the minimum reachable */
    Objective objective;
    const char *variant; /* a switch's name ("tournament", ...) or "threshold": build only that; NULL: choose */
    int target;          /* 0: threshold gates and levels; 4 or 6: estimated K-input LUTs and LUT levels (lutcost.c) */
    bool threshold_only; /* threshold gates only (--gates maj, cells): no bit taps in the choice */
} CompileOpts;

/* The pre-build estimate (estimate.c; docs/lowering.md "The size guard"):
 * within 10x of what is built, either way, on models/ (tests/baselines.sh). */
typedef struct {
    int64_t gates, wires, bytes;
    const char *driver;      /* the largest contributor (static text) */
    int64_t work;            /* the build's steps: thresholds tried, table entries / 8 (most build no gate) */
    const char *work_driver; /* the part with the most steps */
} Estimate;

typedef struct {
    Circuit *c;
    int n;
    char variant[80]; /* the lowering variant built: "threshold", or each switch's name=mask */
    int min_depth;    /* the smallest depth among the variants built */
    int max_depth;    /* the budget applied (the minimum when none was given) */
    Objective objective;
    int target;           /* as CompileOpts.target: what depth and size above count */
    bool below_min_depth; /* compile_model failed: max_depth < min_depth */
    int bits_per_token;
    int label_bits;   /* OUT_LABEL: bits per position */
    int64_t estimate; /* the pre-build gate estimate */
    Estimate est;     /* the whole pre-build estimate */
    LutCost lut[2];   /* the LUT4 and LUT6 estimates, when lut_known (stats_lut_costs) */
    bool lut_known;
    int64_t repr[REPR__COUNT]; /* requantized values held as a form, thermometer, binary (represent.c) */
} Compiled;

int model_token_bits(const Model *m);
/* The estimate of the gate count, with the largest contributor named in
 * *driver (static text). */
int64_t compile_estimate(const Model *m, int n, const char **driver);
/* Gates, wires and bytes (docs/lowering.md, "The size guard"). */
void compile_estimate_full(const Model *m, int n, Estimate *e);
/* Returns false (after printing why) when the estimate exceeds max_gates,
 * or when o->max_depth is below every variant's depth (below_min_depth). */
bool compile_model(const Model *m, const CompileOpts *o, Compiled *out);
void compiled_free(Compiled *cm);
/* Packs token strings into bit-sliced input words (64 strings); tokens[l]
 * is string l's token array.  in has c->n_inputs words. */
void compiled_pack_inputs(const Compiled *cm, int *const *tokens, int count, uint64_t *in);
/* Decodes lane l of the output words into model outputs (ref format). */
void compiled_unpack_outputs(const Compiled *cm, const Model *m, const uint64_t *out, int l, int *dst);

/* ------------------------------------------------------------------------
 * verify.c: circuit against reference on many inputs
 * ---------------------------------------------------------------------- */

typedef struct {
    long random; /* random strings when not exhaustive */
    uint64_t seed;
    bool exhaustive_ok;      /* enumerate all |V|^n strings when <= exhaustive_max */
    uint64_t exhaustive_max; /* 0: 2^20 */
} VerifyOpts;

/* Returns the number of strings checked, or -1 after printing the first
 * mismatch (both outputs) to stderr. */
long verify_circuit(const Model *m, const Compiled *cm, const VerifyOpts *o, bool *exhaustive);
/* The outputs as `tc0c run` prints them, without a newline: accept/reject,
 * or the labels separated by spaces. */
void model_print_outputs(const Model *m, const int *out, int n, FILE *f);
/* A string of n tokens as text (for messages). */
void tokens_to_string(const Model *m, const int *tokens, int n, char *buf);
/* Fills tokens with the k-th string of length n in base-|V| order. */
void tokens_from_index(const Model *m, uint64_t k, int n, int *tokens);
/* The xorshift64* generator all seeded tools use. */
uint64_t rng_next(uint64_t *state);

/* ------------------------------------------------------------------------
 * stats.c: circuit statistics as text and JSON
 * ---------------------------------------------------------------------- */

/* Builds the stats object ("gates", "depth", ..., per layer and op). */
struct cJSON;
struct cJSON *stats_json(const Model *m, const Compiled *cm);
void stats_print(const Model *m, const Compiled *cm, FILE *f);
/* Fills cm->lut once, for a caller that prints and writes the statistics
 * both (each computes them otherwise: not every command needs them). */
void stats_lut_costs(Compiled *cm);
/* Writes text to path; prints the error and returns false on failure. */
bool write_text_file(const char *path, const char *text);

/* ------------------------------------------------------------------------
 * verilog.c: the circuit as Verilog-2005 (docs/verilog.md)
 * ---------------------------------------------------------------------- */

typedef enum { GATES_THR, GATES_MAJ, GATES_CELLS } GateStyle;

typedef struct {
    GateStyle style;
    int pipeline;          /* register stage every K levels; 0: combinational */
    int64_t maj_max_fanin; /* GATES_MAJ: refuse gates needing more inputs */
} VerilogOpts;

/* Writes module `module`; *latency receives the latency in cycles (0 when
 * combinational).  Returns false after printing why (e.g. a gate too wide
 * for --gates maj). */
bool verilog_write(const Model *m, const Compiled *cm, const VerilogOpts *o, const char *module, FILE *f, int *latency);

/* ------------------------------------------------------------------------
 * eval.c: the fast gate-level evaluator, 64 input vectors per call
 * (bit-sliced: bit l of a word belongs to vector l)
 * ---------------------------------------------------------------------- */

typedef struct Evaluator Evaluator;
Evaluator *eval_new(const Circuit *c); /* precomputes; c must outlive it */
void eval_free(Evaluator *e);
/* in[i]: input i of the 64 vectors; out[k]: output k of the 64 vectors. */
void eval_run(Evaluator *e, const uint64_t *in, uint64_t *out);

#endif
