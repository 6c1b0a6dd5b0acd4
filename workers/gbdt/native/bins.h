// Binning's matrix fill (bins.c): fillNumeric and fillCodes, module-level functions (they keep nothing between calls).
#ifndef HEARTH_GBDT_BINS_H
#define HEARTH_GBDT_BINS_H
#include <node_api.h>

/** Sets fillNumeric and fillCodes on the addon's exports. */
void add_bin_functions(napi_env env, napi_value exports);

#endif
