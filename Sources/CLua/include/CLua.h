#ifndef TALLY_CLUA_H
#define TALLY_CLUA_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#endif
