/*
 * json.c - the strict pre-scan of a model file: the exact RFC 8259 grammar
 * (white space, numbers, literals, strings with valid UTF-8 and no raw
 * control characters), a nesting limit, and no NUL (\u0000) in any string
 * or key.  cJSON parses the text afterwards; it is more lenient than the
 * RFC, so every model passes through here first (docs/model-format.md,
 * "JSON grammar").  An unpaired surrogate escape, which the RFC grammar
 * allows, is rewritten in place to \ufffd (same length) so that cJSON,
 * which refuses it, decodes it as U+FFFD.
 */
#include "tc0c.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *s;
    size_t i, len;
    int depth;
    JsonError *err;
} Scan;

static bool scan_fail(Scan *j, size_t at, const char *why) {
    j->err->offset = at;
    j->err->why = why;
    j->err->path[0] = '\0'; /* a path is reported only for a NUL */
    return false;
}

static bool at_end(const Scan *j) { return j->i >= j->len; }
static unsigned char cur(const Scan *j) { return (unsigned char)j->s[j->i]; }

static void skip_ws(Scan *j) {
    while (!at_end(j) && (cur(j) == ' ' || cur(j) == '\t' || cur(j) == '\n' || cur(j) == '\r')) j->i++;
}

/* JSON path of the error, built only when a NUL is found. */
static void path_append(Scan *j, const char *fmt, const char *raw, size_t raw_len, int index) {
    char *p = j->err->path;
    size_t used = strlen(p), cap = sizeof j->err->path;
    if (used + 1 >= cap) return;
    if (raw) {
        if (used) p[used++] = '.';
        size_t k = raw_len < cap - used - 1 ? raw_len : cap - used - 1;
        memcpy(p + used, raw, k);
        p[used + k] = '\0';
    } else {
        snprintf(p + used, cap - used, fmt, index);
    }
}

static int hex4(const Scan *j, size_t at) {
    if (at + 4 > j->len) return -1;
    int v = 0;
    for (size_t k = at; k < at + 4; k++) {
        unsigned char c = (unsigned char)j->s[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Length of the valid UTF-8 sequence at i (RFC 3629: no overlong forms, no
 * encoded surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const Scan *j) {
    const unsigned char *u = (const unsigned char *)j->s + j->i;
    size_t left = j->len - j->i;
    unsigned char c = u[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (left < n || u[1] < lo || u[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if (u[k] < 0x80 || u[k] > 0xBF) return 0;
    return n;
}

/* A string at j->i (a '"'); sets *has_nul when it decodes to a NUL. */
static bool scan_string(Scan *j, bool *has_nul) {
    size_t open = j->i++;
    *has_nul = false;
    for (;;) {
        if (at_end(j)) return scan_fail(j, open, "unterminated string");
        unsigned char c = cur(j);
        if (c == '"') {
            j->i++;
            return true;
        }
        if (c == '\n' || c == '\r') return scan_fail(j, open, "unterminated string (a line break inside a string)");
        if (c < 0x20) return scan_fail(j, j->i, "control character in a string (write it as a \\u escape)");
        if (c >= 0x80) {
            size_t n = utf8_len(j);
            if (!n) return scan_fail(j, j->i, "invalid UTF-8 in a string");
            j->i += n;
            continue;
        }
        if (c != '\\') {
            j->i++;
            continue;
        }
        size_t esc = j->i;
        if (esc + 1 >= j->len) return scan_fail(j, esc, "invalid escape sequence");
        char e = j->s[esc + 1];
        if (strchr("\"\\/bfnrt", e) && e) {
            j->i += 2;
            continue;
        }
        if (e != 'u') return scan_fail(j, esc, "invalid escape sequence");
        int v = hex4(j, esc + 2);
        if (v < 0) return scan_fail(j, esc, "invalid escape sequence (\\u needs four hex digits)");
        j->i = esc + 6;
        if (v == 0) *has_nul = true;
        if (v >= 0xD800 && v <= 0xDBFF && j->i + 1 < j->len && j->s[j->i] == '\\' && j->s[j->i + 1] == 'u') {
            int w = hex4(j, j->i + 2);
            if (w >= 0xDC00 && w <= 0xDFFF) {
                j->i += 6; /* a surrogate pair */
                continue;
            }
        }
        if (v >= 0xD800 && v <= 0xDFFF) memcpy(j->s + esc + 2, "fffd", 4); /* unpaired: U+FFFD */
    }
}

static bool digits(Scan *j) {
    size_t start = j->i;
    while (!at_end(j) && cur(j) >= '0' && cur(j) <= '9') j->i++;
    return j->i > start;
}

/* number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["+"/"-"] 1*DIGIT ] */
static bool scan_number(Scan *j) {
    size_t start = j->i;
    if (cur(j) == '-') j->i++;
    if (at_end(j) || !(cur(j) >= '0' && cur(j) <= '9')) return scan_fail(j, start, "invalid number");
    if (cur(j) == '0') {
        j->i++;
        if (!at_end(j) && cur(j) >= '0' && cur(j) <= '9')
            return scan_fail(j, start, "a number may not have a leading zero");
    } else {
        digits(j);
    }
    if (!at_end(j) && cur(j) == '.') {
        j->i++;
        if (!digits(j)) return scan_fail(j, start, "invalid number (a digit must follow '.')");
    }
    if (!at_end(j) && (cur(j) == 'e' || cur(j) == 'E')) {
        j->i++;
        if (!at_end(j) && (cur(j) == '+' || cur(j) == '-')) j->i++;
        if (!digits(j)) return scan_fail(j, start, "invalid number (a digit must follow the exponent)");
    }
    if (j->i - start > JSON_MAX_NUMBER) return scan_fail(j, start, "a number written with more than 63 characters");
    return true;
}

static bool scan_value(Scan *j);

static bool nul_error(Scan *j, size_t at, bool key) {
    j->err->offset = at;
    j->err->why = key ? "a key may not contain NUL (\\u0000)" : "a string may not contain NUL (\\u0000)";
    if (!j->err->path[0]) memcpy(j->err->path, "(top level)", 12);
    return false;
}

static bool enter(Scan *j) {
    if (++j->depth > JSON_MAX_DEPTH) return scan_fail(j, j->i, "nested too deeply (more than 256 levels)");
    j->i++;
    skip_ws(j);
    return true;
}

static bool scan_object(Scan *j) {
    if (!enter(j)) return false;
    if (!at_end(j) && cur(j) == '}') {
        j->i++;
        j->depth--;
        return true;
    }
    for (;;) {
        if (at_end(j)) return scan_fail(j, j->i, "unexpected end of file");
        if (cur(j) != '"') return scan_fail(j, j->i, "expected a key in double quotes");
        size_t key = j->i, mark = strlen(j->err->path);
        bool nul;
        if (!scan_string(j, &nul)) return false;
        path_append(j, NULL, j->s + key + 1, j->i - key - 2, 0);
        if (nul) return nul_error(j, key, true);
        skip_ws(j);
        if (at_end(j)) return scan_fail(j, j->i, "unexpected end of file");
        if (cur(j) != ':') return scan_fail(j, j->i, "expected ':' after the key");
        j->i++;
        skip_ws(j);
        if (!scan_value(j)) return false;
        j->err->path[mark] = '\0';
        skip_ws(j);
        if (at_end(j)) return scan_fail(j, j->i, "unexpected end of file");
        if (cur(j) == '}') break;
        if (cur(j) != ',') return scan_fail(j, j->i, "expected ',' or '}'");
        j->i++;
        skip_ws(j);
    }
    j->i++;
    j->depth--;
    return true;
}

static bool scan_array(Scan *j) {
    if (!enter(j)) return false;
    if (!at_end(j) && cur(j) == ']') {
        j->i++;
        j->depth--;
        return true;
    }
    for (int index = 0;; index++) {
        size_t mark = strlen(j->err->path);
        path_append(j, "[%d]", NULL, 0, index);
        if (!scan_value(j)) return false;
        j->err->path[mark] = '\0';
        skip_ws(j);
        if (at_end(j)) return scan_fail(j, j->i, "unexpected end of file");
        if (cur(j) == ']') break;
        if (cur(j) != ',') return scan_fail(j, j->i, "expected ',' or ']'");
        j->i++;
        skip_ws(j);
    }
    j->i++;
    j->depth--;
    return true;
}

static bool scan_literal(Scan *j, const char *word) {
    size_t n = strlen(word);
    if (j->len - j->i < n || memcmp(j->s + j->i, word, n) != 0) return scan_fail(j, j->i, "expected a value");
    j->i += n;
    return true;
}

static bool scan_value(Scan *j) {
    if (at_end(j)) return scan_fail(j, j->i, "unexpected end of file");
    unsigned char c = cur(j);
    if (c == '{') return scan_object(j);
    if (c == '[') return scan_array(j);
    if (c == '"') {
        size_t at = j->i;
        bool nul;
        if (!scan_string(j, &nul)) return false;
        return nul ? nul_error(j, at, false) : true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return scan_number(j);
    if (c == 't') return scan_literal(j, "true");
    if (c == 'f') return scan_literal(j, "false");
    if (c == 'n') return scan_literal(j, "null");
    return scan_fail(j, j->i, "expected a value");
}

bool json_strict_scan(char *text, size_t len, JsonError *err) {
    memset(err, 0, sizeof *err);
    Scan j = {.s = text, .len = len, .err = err};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        return scan_fail(&j, 0, "a byte order mark is not allowed (RFC 8259 section 8.1)");
    skip_ws(&j);
    if (at_end(&j)) return scan_fail(&j, j.i, "the file is empty");
    if (!scan_value(&j)) return false;
    skip_ws(&j);
    if (!at_end(&j)) return scan_fail(&j, j.i, "unexpected text after the JSON value");
    err->path[0] = '\0';
    return true;
}
