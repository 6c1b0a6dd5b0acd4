// The native split search (split.c): findSplit and subtract, module-level functions (they keep nothing between calls).
#ifndef HEARTH_GBDT_SPLIT_H
#define HEARTH_GBDT_SPLIT_H
#include <node_api.h>

/** Sets findSplit and subtract on the addon's exports. */
void add_split_functions(napi_env env, napi_value exports);

#endif
