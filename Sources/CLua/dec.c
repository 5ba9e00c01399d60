// The `dec` type of scripts: exact decimals as userdata whose arithmetic is done by
// Swift's ExactDecimal through an installed table of C-callable functions. All Lua stack
// work and every raised error happen here in C; the Swift functions are pure.
#include <string.h>
#include "CLua.h"

#define DEC_META "tally.dec"
enum { ERR_CAP = 160, TEXT_CAP = 192 };

static TallyDecOps installedOps;

void tally_dec_install(const TallyDecOps *ops) { installedOps = *ops; }

void tally_dec_push(lua_State *L, const TallyDec *d) {
    TallyDec *slot = (TallyDec *)lua_newuserdatauv(L, sizeof(TallyDec), 0);
    memcpy(slot, d, sizeof(TallyDec));
    luaL_setmetatable(L, DEC_META);
}

int tally_dec_get(lua_State *L, int idx, TallyDec *out) {
    TallyDec *d = (TallyDec *)luaL_testudata(L, idx, DEC_META);
    if (d == NULL) return 0;
    memcpy(out, d, sizeof(TallyDec));
    return 1;
}

static void from_integer(lua_Integer v, TallyDec *out) {
    out->lo = (uint64_t)v;
    out->hi = v < 0 ? -1 : 0;
    out->exponent = 0;
}

static int refuse_float(lua_State *L, int idx) {
    return luaL_error(L, "a float (%s) cannot be money: use dec('...') for money",
                      lua_tostring(L, idx));
}

/// An arithmetic operand: a dec or a Lua integer. Floats and strings are refused so no
/// binary rounding (or implicit string coercion) can slip into a price.
static void operand(lua_State *L, int idx, TallyDec *out) {
    if (tally_dec_get(L, idx, out)) return;
    if (lua_isinteger(L, idx)) { from_integer(lua_tointeger(L, idx), out); return; }
    if (lua_type(L, idx) == LUA_TNUMBER) refuse_float(L, idx);
    luaL_error(L, "dec arithmetic needs a dec or an integer, got a %s (use dec('...'))",
               luaL_typename(L, idx));
}

static int dec_new(lua_State *L) {
    TallyDec d;
    char err[ERR_CAP] = {0};
    if (tally_dec_get(L, 1, &d) || lua_isinteger(L, 1)) {
        operand(L, 1, &d);
    } else if (lua_type(L, 1) == LUA_TNUMBER) {
        return refuse_float(L, 1);
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        size_t len = 0;
        const char *text = lua_tolstring(L, 1, &len);
        if (installedOps.parse(text, len, &d, err, sizeof err) != 0) return luaL_error(L, "%s", err);
    } else {
        return luaL_error(L, "dec() takes a decimal string or an integer, got a %s",
                          luaL_typename(L, 1));
    }
    tally_dec_push(L, &d);
    return 1;
}

static int arith(lua_State *L, int op) {
    TallyDec a, b, result;
    char err[ERR_CAP] = {0};
    operand(L, 1, &a);
    if (op == TALLY_DEC_NEG) b = a; else operand(L, 2, &b);
    if (installedOps.arith(op, &a, &b, &result, err, sizeof err) != 0) return luaL_error(L, "%s", err);
    tally_dec_push(L, &result);
    return 1;
}

static int dec_add(lua_State *L) { return arith(L, TALLY_DEC_ADD); }
static int dec_sub(lua_State *L) { return arith(L, TALLY_DEC_SUB); }
static int dec_mul(lua_State *L) { return arith(L, TALLY_DEC_MUL); }
static int dec_div(lua_State *L) { return arith(L, TALLY_DEC_DIV); }
static int dec_unm(lua_State *L) { return arith(L, TALLY_DEC_NEG); }

static int compare(lua_State *L) {
    TallyDec a, b;
    operand(L, 1, &a);
    operand(L, 2, &b);
    return installedOps.compare(&a, &b);
}

static int dec_eq(lua_State *L) { lua_pushboolean(L, compare(L) == 0); return 1; }
static int dec_lt(lua_State *L) { lua_pushboolean(L, compare(L) < 0); return 1; }
static int dec_le(lua_State *L) { lua_pushboolean(L, compare(L) <= 0); return 1; }

static void push_text(lua_State *L, int idx) {
    TallyDec d;
    char text[TEXT_CAP];
    if (!tally_dec_get(L, idx, &d)) {
        int type = lua_type(L, idx);
        if (type != LUA_TSTRING && type != LUA_TNUMBER) {
            luaL_error(L, "cannot concatenate a %s with a dec", luaL_typename(L, idx));
        }
        luaL_tolstring(L, idx, NULL);
        return;
    }
    size_t len = installedOps.format(&d, text, sizeof text);
    lua_pushlstring(L, text, len);
}

static int dec_tostring(lua_State *L) { push_text(L, 1); return 1; }

static int dec_concat(lua_State *L) {
    push_text(L, 1);
    push_text(L, 2);
    lua_concat(L, 2);
    return 1;
}

static int refuse_index(lua_State *L) {
    return luaL_error(L, "a dec has no fields (use tostring(d) for its text)");
}

static const luaL_Reg DEC_METHODS[] = {
    {"__add", dec_add}, {"__sub", dec_sub}, {"__mul", dec_mul}, {"__div", dec_div},
    {"__unm", dec_unm}, {"__eq", dec_eq}, {"__lt", dec_lt}, {"__le", dec_le},
    {"__tostring", dec_tostring}, {"__concat", dec_concat}, {"__index", refuse_index},
    {NULL, NULL}};

void tally_dec_open(lua_State *L) {
    luaL_newmetatable(L, DEC_META);
    luaL_setfuncs(L, DEC_METHODS, 0);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    lua_pushcfunction(L, dec_new);
    lua_setfield(L, -2, "dec");
}
