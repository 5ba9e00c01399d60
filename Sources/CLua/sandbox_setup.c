// Builds what a sandboxed script can reach: allowlisted pure functions only, library
// tables behind read-only proxies, metatables locked, so nothing a script does survives
// into the next evaluation (each gets a fresh environment; see tally_sandbox_push_env).
#include <string.h>
#include "CLua.h"
#include "sandbox_internal.h"

static const char *const BASE_NAMES[] = {
    "assert", "error", "ipairs", "pcall", "select", "tonumber", "tostring", "type",
    "getmetatable", "setmetatable", "rawequal", "rawget", "rawlen", "_VERSION", NULL};
static const char *const STRING_NAMES[] = {
    "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep",
    "reverse", "sub", "upper", NULL};
static const char *const TABLE_NAMES[] = {
    "concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL};
static const char *const MATH_NAMES[] = {
    "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge",
    "log", "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "sin", "sqrt",
    "tan", "tointeger", "type", "ult", NULL};
static const char *const UTF8_NAMES[] = {
    "char", "charpattern", "codepoint", "codes", "len", "offset", NULL};

static const char *const STRING_PATTERN[] = {"match", "gsub", NULL};
static const char *const STRING_GMATCH[] = {"gmatch", NULL};
static const char *const STRING_FIND[] = {"find", NULL};
static const char *const TABLE_LINEAR[] = {"concat", "insert", "remove", NULL};
static const char *const TABLE_MOVE[] = {"move", NULL};
static const char *const TABLE_SORT[] = {"sort", NULL};
static const char *const UTF8_LINEAR[] = {"codepoint", "len", "offset", NULL};

static int in_list(const char *const names[], const char *name) {
    for (int i = 0; names[i] != NULL; i++) if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

/// Removes every field of the table at `lib` whose name is not allowlisted.
static void keep_only(lua_State *L, int lib, const char *const names[]) {
    lib = lua_absindex(L, lib);
    lua_pushnil(L);
    while (lua_next(L, lib)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || !in_list(names, lua_tostring(L, -1))) {
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, lib); // clearing a field during traversal is allowed
        }
    }
}

/// Pushes a copy of the named fields of the table at `from`.
static void push_copy(lua_State *L, int from, const char *const names[]) {
    from = lua_absindex(L, from);
    lua_newtable(L);
    for (int i = 0; names[i] != NULL; i++) {
        lua_getfield(L, from, names[i]);
        lua_setfield(L, -2, names[i]);
    }
}

static int refuse_write(lua_State *L) {
    return luaL_error(L, "the sandbox's libraries are read-only");
}

/// Replaces the table on top with an empty proxy that reads from it and refuses writes.
/// `rawset` is not offered, so a script cannot bypass __newindex.
static void make_read_only(lua_State *L) {
    lua_newtable(L);          // proxy
    lua_createtable(L, 0, 3); // its metatable
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, refuse_write);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

static int setup(lua_State *L) {
    luaL_requiref(L, "_G", luaopen_base, 0);
    int realG = lua_gettop(L);
    lua_newtable(L); // the sandbox globals
    int base = lua_gettop(L);
    push_copy(L, realG, BASE_NAMES);
    lua_replace(L, base);

    // string is modified in place: strings reach it through their metatable.
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    keep_only(L, -1, STRING_NAMES);
    tally_sandbox_stabilize(L, base, -1);
    tally_sandbox_wrap(L, -1, STRING_PATTERN, TALLY_COST_PATTERN);
    tally_sandbox_wrap(L, -1, STRING_GMATCH, TALLY_COST_GMATCH);
    tally_sandbox_wrap(L, -1, STRING_FIND, TALLY_COST_FIND);
    make_read_only(L);
    lua_setfield(L, base, "string");
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
    push_copy(L, -1, TABLE_NAMES);
    lua_pushcfunction(L, tally_sandbox_stable_sort);
    lua_setfield(L, -2, "sort");
    lua_pushcfunction(L, tally_sandbox_stable_sort); // unwrapped, for pairs
    tally_sandbox_push_sorted_pairs(L);
    lua_setfield(L, base, "pairs");
    tally_sandbox_wrap(L, -1, TABLE_LINEAR, TALLY_COST_LINEAR);
    tally_sandbox_wrap(L, -1, TABLE_MOVE, TALLY_COST_MOVE);
    tally_sandbox_wrap(L, -1, TABLE_SORT, TALLY_COST_SORT);
    make_read_only(L);
    lua_setfield(L, base, "table");
    lua_pop(L, 1);

    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
    push_copy(L, -1, MATH_NAMES); // no random, no randomseed
    make_read_only(L);
    lua_setfield(L, base, "math");
    lua_pop(L, 1);

    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
    push_copy(L, -1, UTF8_NAMES);
    tally_sandbox_wrap(L, -1, UTF8_LINEAR, TALLY_COST_LINEAR);
    make_read_only(L);
    lua_setfield(L, base, "utf8");
    lua_pop(L, 1);

    lua_pushvalue(L, base);
    tally_dec_open(L);
    lua_pop(L, 1);

    // Reads of an environment fall back to the sandbox globals; the metatable is locked,
    // so the shared globals table itself is unreachable.
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, base);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setfield(L, LUA_REGISTRYINDEX, "tally.envmeta");
    return 0;
}

int tally_sandbox_setup(lua_State *L) {
    lua_pushcfunction(L, setup);
    int status = lua_pcall(L, 0, 0, 0);
    if (status != LUA_OK) lua_pop(L, 1);
    return status;
}

void tally_sandbox_push_env(lua_State *L) {
    lua_createtable(L, 0, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, "tally.envmeta");
    lua_setmetatable(L, -2);
}
