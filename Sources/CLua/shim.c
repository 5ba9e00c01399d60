// Function-like macros of the Lua headers, wrapped so Swift can call them.
#include "CLua.h"

void tally_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
void tally_lua_newtable(lua_State *L) { lua_newtable(L); }
const char *tally_lua_tostring(lua_State *L, int idx) { return lua_tostring(L, idx); }
int tally_lua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
void tally_lua_call(lua_State *L, int nargs, int nresults) { lua_call(L, nargs, nresults); }
lua_Number tally_lua_tonumber(lua_State *L, int idx) { return lua_tonumber(L, idx); }
lua_Integer tally_lua_tointeger(lua_State *L, int idx) { return lua_tointeger(L, idx); }
int tally_lua_isnil(lua_State *L, int idx) { return lua_isnil(L, idx); }
int tally_lua_isfunction(lua_State *L, int idx) { return lua_isfunction(L, idx); }
void tally_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
int tally_luaL_dostring(lua_State *L, const char *s) { return luaL_dostring(L, s); }
int tally_lua_upvalueindex(int i) { return lua_upvalueindex(i); }
int tally_lua_registryindex(void) { return LUA_REGISTRYINDEX; }
/// A full collection (lua_gc is variadic, which Swift cannot call).
void tally_lua_collect(lua_State *L) { lua_gc(L, LUA_GCCOLLECT); }
/// Switches the collector to generational mode, which suits many short-lived windows.
void tally_lua_generational(lua_State *L) { lua_gc(L, LUA_GCGEN, 0, 0); }
