// Runs flatbuffers::Verifier over a model with the tables flatc generates from schema.fbs.
#include "CTFLiteVerifier.h"

#include "flatbuffers/flatbuffers.h"
#include "schema_generated.h"

tflite_verify_status tflite_verify_model(const uint8_t *data, size_t size) {
  // A flatbuffer needs a root offset and a file identifier; flatbuffers addresses < 2 GiB.
  if (data == nullptr || size < 8 || size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return TFLITE_VERIFY_BAD_SIZE;
  }
  if (!flatbuffers::BufferHasIdentifier(data, tflite::ModelIdentifier())) {
    return TFLITE_VERIFY_BAD_IDENTIFIER;
  }
  // Depth and table limits as flatbuffers' defaults: a hostile file cannot make this loop
  // for long or recurse deeply.
  flatbuffers::Verifier verifier(data, size, /*max_depth=*/64, /*max_tables=*/1000000);
  return tflite::VerifyModelBuffer(verifier) ? TFLITE_VERIFY_OK : TFLITE_VERIFY_CORRUPT;
}
