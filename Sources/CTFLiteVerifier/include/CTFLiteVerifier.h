// The one C entry point of the verifier target: flatbuffers' own Verifier, run over a model
// buffer with the code flatc generates from schema/schema.fbs.
#ifndef CTFLITEVERIFIER_H
#define CTFLITEVERIFIER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of `tflite_verify_model`.
typedef enum {
  TFLITE_VERIFY_OK = 0,
  /// The buffer is shorter than a flatbuffer header or larger than flatbuffers can address.
  TFLITE_VERIFY_BAD_SIZE = 1,
  /// Bytes 4..8 are not the "TFL3" file identifier.
  TFLITE_VERIFY_BAD_IDENTIFIER = 2,
  /// An offset, vector, string or table in the buffer does not hold up.
  TFLITE_VERIFY_CORRUPT = 3,
} tflite_verify_status;

/// Verifies `size` bytes at `data` (which must be 16-byte aligned) as a TFLite model: the
/// file identifier, then every table, vector, string and union reachable from the root, as
/// TFLite checks a model before it trusts it.
tflite_verify_status tflite_verify_model(const uint8_t *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif
