// Library work charged against the fuel. The count hook sees only VM instructions; a
// single call into the string or table library can do millions of steps in C without
// allocating (a backtracking pattern, table.remove on a long array), so those calls are
// wrapped and charged a conservative estimate before they run.
#include <string.h>
#include "CLua.h"
#include "sandbox_internal.h"

static const int64_t COST_CEILING = (int64_t)1 << 60;

static int64_t saturating_mul(int64_t a, int64_t b) {
    if (a == 0 || b == 0) return 0;
    if (a > COST_CEILING / b) return COST_CEILING;
    return a * b;
}

static int64_t length_of(lua_State *L, int idx) {
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING || t == LUA_TTABLE) return (int64_t)lua_rawlen(L, idx);
    return 0;
}

/// Counts pattern items that can match a variable length (and %b), each a nesting
/// level of backtracking. Over-counts ('-' in a set), which only makes the charge safer.
static int64_t quantifiers(const char *p, size_t len) {
    int64_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '%' && i + 1 < len) {
            if (p[i + 1] == 'b') k++;
            i++;
        } else if (p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?') {
            k++;
        }
    }
    return k;
}

/// Worst case of the matcher: for each start position, every way to split the subject
/// among k variable-length items, C(n + k, k).
static int64_t pattern_cost(lua_State *L, int gmatch, int plainAllowed) {
    size_t n = 0, m = 0;
    const char *s = lua_tolstring(L, 1, &n);
    const char *p = lua_tolstring(L, 2, &m);
    if (s == NULL || p == NULL) return 1; // the library reports the bad argument
    if (plainAllowed && lua_toboolean(L, 4)) return saturating_mul((int64_t)n + 1, (int64_t)m + 1);
    int anchored = !gmatch && m > 0 && p[0] == '^';
    int64_t starts = anchored ? 1 : (int64_t)n + 1;
    int64_t k = quantifiers(p, m);
    int64_t splits = 1;
    for (int64_t i = 1; i <= k && splits < COST_CEILING; i++) {
        splits = saturating_mul(splits, (int64_t)n + i) / i;
    }
    int64_t perStart = splits > (int64_t)m ? splits : (int64_t)m + 1;
    return saturating_mul(starts, perStart);
}

static int64_t sort_cost(int64_t n) {
    int64_t log2n = 1;
    while (((int64_t)1 << log2n) < n && log2n < 62) log2n++;
    return saturating_mul(n, log2n);
}

static int64_t cost_of(lua_State *L, int model) {
    switch (model) {
    case TALLY_COST_PATTERN: return pattern_cost(L, 0, 0);
    case TALLY_COST_GMATCH: return pattern_cost(L, 1, 0);
    case TALLY_COST_FIND: return pattern_cost(L, 0, 1);
    case TALLY_COST_MOVE: {
        lua_Integer f = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;
        lua_Integer e = lua_isinteger(L, 3) ? lua_tointeger(L, 3) : 0;
        if (e < f) return 1;
        lua_Unsigned span = (lua_Unsigned)e - (lua_Unsigned)f;
        return span >= (lua_Unsigned)COST_CEILING ? COST_CEILING : (int64_t)span + 1;
    }
    case TALLY_COST_SORT: return sort_cost(length_of(L, 1));
    default: {
        int64_t total = 1;
        for (int i = 1, top = lua_gettop(L); i <= top; i++) total += length_of(L, i);
        return total;
    }
    }
}

static int charged_call(lua_State *L) {
    int model = (int)lua_tointeger(L, lua_upvalueindex(2));
    tally_sandbox_charge(L, cost_of(L, model));
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

void tally_sandbox_wrap(lua_State *L, int lib, const char *const names[], int model) {
    lib = lua_absindex(L, lib);
    for (int i = 0; names[i] != NULL; i++) {
        lua_getfield(L, lib, names[i]);
        lua_pushinteger(L, model);
        lua_pushcclosure(L, charged_call, 2);
        lua_setfield(L, lib, names[i]);
    }
}

// ---- Deterministic pairs ----
// Lua seeds its string hash from the clock and addresses, so `next` visits keys in an
// order that changes between runs. Scripts get a `pairs` that visits keys sorted:
// numbers ascending, then strings in byte order.

static int key_less(lua_State *L) {
    int ta = lua_type(L, 1), tb = lua_type(L, 2);
    if (ta != tb) lua_pushboolean(L, ta == LUA_TNUMBER);
    else lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

static int sorted_next(lua_State *L) {
    // upvalues: 1 table, 2 sorted keys, 3 position
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    for (;;) {
        i++;
        if (lua_rawgeti(L, lua_upvalueindex(2), i) == LUA_TNIL) return 1;
        lua_pushinteger(L, i);
        lua_replace(L, lua_upvalueindex(3));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 2;
        lua_pop(L, 2); // removed during iteration: skip it
    }
}

static int sorted_pairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); // keys, at 2
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        int t = lua_type(L, -1);
        if (t != LUA_TNUMBER && t != LUA_TSTRING) {
            return luaL_error(L, "pairs: keys must be numbers or strings (a %s key has no stable order)",
                              luaL_typename(L, -1));
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, 2, ++n);
    }
    tally_sandbox_charge(L, sort_cost(n) + n);
    lua_pushvalue(L, lua_upvalueindex(1)); // the stable sort
    lua_pushvalue(L, 2);
    lua_pushcfunction(L, key_less);
    lua_call(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sorted_next, 3);
    return 1; // a stateless-looking iterator: for k, v in pairs(t)
}

void tally_sandbox_push_sorted_pairs(lua_State *L) {
    lua_pushcclosure(L, sorted_pairs, 1);
}
