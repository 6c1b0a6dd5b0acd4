// Argument checks the addon's functions share: split.c's search and bins.c's binning.
#include "args.h"

int typed_array_arg(napi_env env, napi_value value, napi_typedarray_type type, void **data, size_t *length,
                    const char *message) {
  bool isTyped = false;
  napi_typedarray_type actual;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &isTyped) != napi_ok || !isTyped ||
      napi_get_typedarray_info(env, value, &actual, length, data, &buffer, &offset) != napi_ok || actual != type ||
      (*data == NULL && *length > 0)) {
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}
