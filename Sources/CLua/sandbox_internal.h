// Helpers shared by the sandbox's C files; not part of the module's public header.
#ifndef TALLY_SANDBOX_INTERNAL_H
#define TALLY_SANDBOX_INTERNAL_H
#include "CLua.h"

TallySandbox *tally_sandbox_of(lua_State *L);
/// Arms the count hook to fire after `count` instructions.
void tally_sandbox_arm(lua_State *L, TallySandbox *sb, int count);
/// Marks the budget exhausted and raises the budget error (does not return).
void tally_sandbox_out_of_fuel(lua_State *L, TallySandbox *sb);
/// Charges library work done in C (which the count hook cannot see) against the fuel.
void tally_sandbox_charge(lua_State *L, int64_t cost);
/// Replaces each named field of the table at `lib` with a closure that charges `model`.
void tally_sandbox_wrap(lua_State *L, int lib, const char *const names[], int model);
/// Pushes a closure for the deterministic `pairs` (sorted keys); needs the sort function on top.
void tally_sandbox_push_sorted_pairs(lua_State *L);
/// table.sort replacement: a stable merge sort (Lua's pivot is randomized by the clock).
int tally_sandbox_stable_sort(lua_State *L);
/// Installs address-free tostring and string.format, and a setmetatable refusing
/// __gc and __mode, into the sandbox globals at `base` and the string library.
void tally_sandbox_stabilize(lua_State *L, int base, int stringLib);

enum {
    TALLY_COST_LINEAR = 0,   // sum of the lengths of string and table arguments
    TALLY_COST_PATTERN = 1,  // worst case of Lua's backtracking matcher
    TALLY_COST_GMATCH = 2,   // same, '^' never anchors
    TALLY_COST_FIND = 3,     // a pattern unless the 4th argument asks for a plain search
    TALLY_COST_MOVE = 4,     // table.move: the number of elements moved
    TALLY_COST_SORT = 5,     // n log n
};
#endif
