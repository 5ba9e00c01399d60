// Memory cap, instruction budget ("fuel") and error-line capture for sandboxed states.
//
// Everything a callback needs lives in the TallySandbox reached through the allocator's
// ud pointer, so Swift never hands a closure context to Lua. Errors are raised only from
// C frames: a longjmp never crosses Swift code.
#include <stdlib.h>
#include "CLua.h"
#include "sandbox_internal.h"

// Allocation growth is charged against the fuel too, so one VM instruction that copies
// megabytes (a concatenation, string.rep) costs what the copying costs.
enum { BYTES_PER_FUEL = 64 };

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    TallySandbox *sb = (TallySandbox *)ud;
    size_t old = ptr ? osize : 0; // with ptr == NULL, osize encodes an object type
    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (sb->enforcing && nsize > old) {
        int refuse = sb->used + (nsize - old) > sb->cap;
        // Lua answers most refusals with a full collection and asks again for the same
        // block. A refusal is final when the next request is not that retry or is refused
        // too; final refusals are recorded because a script's pcall may swallow them.
        if (sb->pendingRefusal != 0) {
            if (refuse || nsize != sb->pendingRefusal) sb->memoryRefused = 1;
            sb->pendingRefusal = 0;
        }
        if (refuse) {
            sb->pendingRefusal = nsize;
            return NULL;
        }
    }
    void *block = realloc(ptr, nsize);
    if (block == NULL) return NULL;
    sb->used = sb->used - old + nsize;
    if (sb->enforcing && nsize > old) {
        sb->fuel -= (int64_t)((nsize - old) / BYTES_PER_FUEL);
        // Make the very next instruction notice an exhausted budget.
        if (sb->fuel < 0 && sb->L != NULL) tally_sandbox_arm(sb->L, sb, 1);
    }
    return block;
}

lua_State *tally_sandbox_newstate(TallySandbox *sb) {
    sb->used = 0;
    sb->enforcing = 0;
    sb->L = NULL;
    lua_State *L = lua_newstate(sandbox_alloc, sb);
    sb->L = L;
    return L;
}

TallySandbox *tally_sandbox_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (TallySandbox *)ud;
}

static void fuel_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    TallySandbox *sb = tally_sandbox_of(L);
    sb->fuel -= sb->hookCount;
    if (sb->fuel < 0) tally_sandbox_out_of_fuel(L, sb);
    int64_t next = sb->fuel + 1 < sb->hookSlice ? sb->fuel + 1 : sb->hookSlice;
    tally_sandbox_arm(L, sb, (int)next);
}

void tally_sandbox_arm(lua_State *L, TallySandbox *sb, int count) {
    sb->hookCount = count;
    lua_sethook(L, fuel_hook, LUA_MASKCOUNT, count);
}

void tally_sandbox_out_of_fuel(lua_State *L, TallySandbox *sb) {
    sb->budgetExceeded = 1;
    // Every further instruction fails as well, so a script's pcall cannot swallow it.
    tally_sandbox_arm(L, sb, 1);
    sb->fuel = -1;
    lua_pushliteral(L, "instruction budget exceeded");
    lua_error(L);
}

void tally_sandbox_charge(lua_State *L, int64_t cost) {
    TallySandbox *sb = tally_sandbox_of(L);
    if (!sb->enforcing) return;
    if (cost > sb->fuel) tally_sandbox_out_of_fuel(L, sb);
    sb->fuel -= cost;
}

void tally_sandbox_begin(lua_State *L, TallySandbox *sb, int64_t budget) {
    sb->fuel = budget;
    sb->budgetExceeded = 0;
    sb->memoryRefused = 0;
    sb->pendingRefusal = 0;
    sb->errorLine = -1;
    sb->enforcing = 1;
    int64_t first = budget + 1 < sb->hookSlice ? budget + 1 : sb->hookSlice;
    tally_sandbox_arm(L, sb, (int)first);
}

void tally_sandbox_end(lua_State *L, TallySandbox *sb) {
    lua_sethook(L, NULL, 0, 0);
    sb->enforcing = 0;
}

int tally_sandbox_msgh(lua_State *L) {
    TallySandbox *sb = tally_sandbox_of(L);
    lua_Debug ar;
    // Level 0 is this handler; find the innermost frame that runs script code.
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            sb->errorLine = ar.currentline;
            break;
        }
    }
    return 1; // the error object, unchanged
}

int tally_sandbox_load(lua_State *L, const char *text, size_t len, const char *name) {
    lua_pushfstring(L, "=%s", name);
    const char *chunkname = lua_tostring(L, -1);
    int status = luaL_loadbufferx(L, text, len, chunkname, "t");
    lua_remove(L, -2);
    return status;
}
