#ifndef TALLY_CLUA_H
#define TALLY_CLUA_H
#include <stddef.h>
#include <stdint.h>
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

// ---- Function-like macros of lua.h / lauxlib.h, as functions Swift can call (shim.c) ----
void tally_lua_pop(lua_State *L, int n);
void tally_lua_newtable(lua_State *L);
const char *tally_lua_tostring(lua_State *L, int idx);
int tally_lua_pcall(lua_State *L, int nargs, int nresults, int msgh);
void tally_lua_call(lua_State *L, int nargs, int nresults);
lua_Number tally_lua_tonumber(lua_State *L, int idx);
lua_Integer tally_lua_tointeger(lua_State *L, int idx);
int tally_lua_isnil(lua_State *L, int idx);
int tally_lua_isfunction(lua_State *L, int idx);
void tally_lua_pushcfunction(lua_State *L, lua_CFunction f);
int tally_luaL_dostring(lua_State *L, const char *s);
int tally_lua_upvalueindex(int i);
int tally_lua_registryindex(void);
void tally_lua_collect(lua_State *L);
void tally_lua_generational(lua_State *L);

// ---- Sandbox accounting (sandbox.c) ----

/// Per-state limits and accounting. Lives outside the Lua heap (owned by Swift) and is
/// reached from C callbacks through the allocator's `ud` pointer, so no callback needs
/// any Swift context.
typedef struct TallySandbox {
    size_t used;             // bytes currently allocated by the state
    size_t cap;              // most bytes the state may hold while `enforcing`
    int enforcing;           // 1 while a script runs; host-side setup is never refused
    int memoryRefused;       // set when an allocation was refused during this call
    size_t pendingRefusal;   // size of a block refused once, before Lua's emergency collection
    int64_t fuel;            // instructions (and charged library work) left in this call
    int hookCount;           // the count the hook is armed with (charged when it fires)
    int hookSlice;           // instructions between hook checks
    int budgetExceeded;      // set when fuel ran out during this call
    int errorLine;           // line of the innermost script frame at the last error, or -1
    lua_State *L;            // the state, so the allocator can re-arm the hook
} TallySandbox;

/// A new state whose allocator enforces `sb->cap` while `sb->enforcing` is set.
lua_State *tally_sandbox_newstate(TallySandbox *sb);
/// Opens the pure libraries, strips what scripts must not reach and stores the shared
/// environment metatable in the registry. Call once, unprotected callers get a status.
int tally_sandbox_setup(lua_State *L);
/// Starts a call: resets flags, sets `fuel` and arms the count hook.
void tally_sandbox_begin(lua_State *L, TallySandbox *sb, int64_t budget);
/// Ends a call: disarms the hook and stops enforcing the cap.
void tally_sandbox_end(lua_State *L, TallySandbox *sb);
/// Pushes a fresh environment table whose reads fall back to the sandbox globals.
void tally_sandbox_push_env(lua_State *L);
/// The message handler for lua_pcall: records the script line of the error.
int tally_sandbox_msgh(lua_State *L);
/// Loads a text chunk (binary chunks are refused) named `=name`.
int tally_sandbox_load(lua_State *L, const char *text, size_t len, const char *name);

// ---- Exact decimals for scripts (dec.c) ----

/// An `ExactDecimal` in a C-friendly layout: coefficient = hi * 2^64 + lo, times 10^exponent.
typedef struct TallyDec {
    uint64_t lo;
    int64_t hi;
    int32_t exponent;
} TallyDec;

enum { TALLY_DEC_ADD = 0, TALLY_DEC_SUB = 1, TALLY_DEC_MUL = 2, TALLY_DEC_DIV = 3, TALLY_DEC_NEG = 4 };

/// Decimal operations implemented in Swift with `ExactDecimal`, installed once.
/// Each returns 0 on success; on failure it writes a message into `err` (NUL-terminated).
typedef struct TallyDecOps {
    int (*parse)(const char *text, size_t len, TallyDec *out, char *err, size_t errCap);
    int (*arith)(int op, const TallyDec *a, const TallyDec *b, TallyDec *out, char *err, size_t errCap);
    int (*compare)(const TallyDec *a, const TallyDec *b); // -1, 0, 1
    size_t (*format)(const TallyDec *a, char *buf, size_t cap);
} TallyDecOps;

void tally_dec_install(const TallyDecOps *ops);
/// Registers the `tally.dec` metatable and the global `dec` in the table at the top.
void tally_dec_open(lua_State *L);
/// Pushes a new dec userdata (host side).
void tally_dec_push(lua_State *L, const TallyDec *d);
/// Copies the dec at `idx` into `out`; returns 0 when the value is not a dec.
int tally_dec_get(lua_State *L, int idx, TallyDec *out);

#endif
