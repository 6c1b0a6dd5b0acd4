// Argument checks the addon's functions share (args.c).
#ifndef HEARTH_GBDT_ARGS_H
#define HEARTH_GBDT_ARGS_H
#include <node_api.h>

/**
 * `value`'s data and length when it is a typed array of `type` (its data pointer past any byte offset); otherwise
 * throws a TypeError saying `message` and returns 0.
 */
int typed_array_arg(napi_env env, napi_value value, napi_typedarray_type type, void **data, size_t *length,
                    const char *message);

#endif
