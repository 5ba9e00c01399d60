// Replacements for the few library functions whose results can differ between two runs
// of the same script on the same window, so a replay always gives the same price:
// addresses (tostring, %p), sort's randomized pivot, and the garbage collector's timing
// (finalizers, weak tables).
#include <string.h>
#include "CLua.h"
#include "sandbox_internal.h"

static int is_reference(int type) {
    return type == LUA_TTABLE || type == LUA_TFUNCTION || type == LUA_TUSERDATA || type == LUA_TTHREAD
        || type == LUA_TLIGHTUSERDATA;
}

/// Pushes the text of the value at `idx`; objects without __tostring give their type name
/// instead of "table: 0x55d0c3a4" (an address changes from run to run).
static void push_stable_text(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    if (is_reference(lua_type(L, idx))) {
        if (luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL) {
            lua_pushstring(L, luaL_typename(L, idx));
            return;
        }
        lua_pop(L, 1);
    }
    luaL_tolstring(L, idx, NULL);
}

static int stable_tostring(lua_State *L) {
    luaL_checkany(L, 1);
    push_stable_text(L, 1);
    return 1;
}

/// string.format without %p, and with objects rendered by push_stable_text.
static int stable_format(lua_State *L) {
    size_t len = 0;
    const char *fmt = luaL_checklstring(L, 1, &len);
    for (size_t i = 0; i + 1 < len; i++) {
        if (fmt[i] != '%') continue;
        i++;
        if (fmt[i] == '%') continue;
        while (i < len && strchr("-+ #0123456789.", fmt[i]) != NULL) i++;
        if (i < len && fmt[i] == 'p') return luaL_error(L, "string.format: '%%p' is not available in scripts");
    }
    for (int arg = 2, top = lua_gettop(L); arg <= top; arg++) {
        if (!is_reference(lua_type(L, arg))) continue;
        push_stable_text(L, arg);
        lua_replace(L, arg);
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 1);
    return 1;
}

/// setmetatable refusing __gc and __mode: finalizers would run at collection time
/// (outside any budget, possibly during another window) and weak entries vanish
/// whenever the collector happens to run. Lua marks an object for finalization only
/// when __gc is present at this call, so checking here is enough.
static int guarded_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pushliteral(L, "__mode");
        int mode = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 2);
        if (gc || mode) {
            return luaL_error(L, "setmetatable: %s is not available in scripts", gc ? "__gc" : "__mode");
        }
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 1);
    return 1;
}

// ---- A stable merge sort ----
// Lua's own sort picks pivots from the clock for arrays over 100 elements, so elements
// that compare equal can come out in a different order on every run.

static int sort_less(lua_State *L, int hasComparator, int a, int b) {
    if (!hasComparator) return lua_compare(L, a, b, LUA_OPLT);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, a);
    lua_pushvalue(L, b);
    lua_call(L, 2, 1);
    int less = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return less;
}

/// Merges runs [lo, mid) and [mid, hi) of the table at `from` into `to`; on ties the
/// left run goes first, which keeps the sort stable.
static void merge(lua_State *L, int hasComparator, int from, int to,
                  lua_Integer lo, lua_Integer mid, lua_Integer hi) {
    lua_Integer i = lo, j = mid, k = lo;
    while (i < mid && j < hi) {
        lua_rawgeti(L, from, i);
        lua_rawgeti(L, from, j);
        int top = lua_gettop(L);
        if (sort_less(L, hasComparator, top, top - 1)) {
            lua_rawseti(L, to, k++);
            lua_pop(L, 1);
            j++;
        } else {
            lua_pop(L, 1);
            lua_rawseti(L, to, k++);
            i++;
        }
    }
    for (; i < mid; i++) { lua_rawgeti(L, from, i); lua_rawseti(L, to, k++); }
    for (; j < hi; j++) { lua_rawgeti(L, from, j); lua_rawseti(L, to, k++); }
}

int tally_sandbox_stable_sort(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    int hasComparator = !lua_isnoneornil(L, 2);
    if (hasComparator) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    if (n < 2) return 0;
    if (n >= (lua_Integer)1 << 40) return luaL_error(L, "table.sort: array too big");
    lua_createtable(L, (int)(n < 1 << 30 ? n : 1 << 30), 0); // 3: current runs
    lua_createtable(L, (int)(n < 1 << 30 ? n : 1 << 30), 0); // 4: merged runs
    for (lua_Integer i = 1; i <= n; i++) { lua_geti(L, 1, i); lua_rawseti(L, 3, i); }
    for (lua_Integer width = 1; width < n; width *= 2) {
        for (lua_Integer lo = 1; lo <= n; lo += 2 * width) {
            lua_Integer mid = lo + width <= n + 1 ? lo + width : n + 1;
            lua_Integer hi = lo + 2 * width <= n + 1 ? lo + 2 * width : n + 1;
            merge(L, hasComparator, 3, 4, lo, mid, hi);
        }
        lua_rotate(L, 3, 1); // swap the roles of 3 and 4
    }
    for (lua_Integer i = 1; i <= n; i++) { lua_rawgeti(L, 3, i); lua_seti(L, 1, i); }
    return 0;
}

void tally_sandbox_stabilize(lua_State *L, int base, int stringLib) {
    base = lua_absindex(L, base);
    stringLib = lua_absindex(L, stringLib);
    lua_pushcfunction(L, stable_tostring);
    lua_setfield(L, base, "tostring");
    lua_getfield(L, base, "setmetatable");
    lua_pushcclosure(L, guarded_setmetatable, 1);
    lua_setfield(L, base, "setmetatable");
    lua_getfield(L, stringLib, "format");
    lua_pushcclosure(L, stable_format, 1);
    lua_setfield(L, stringLib, "format");
}
