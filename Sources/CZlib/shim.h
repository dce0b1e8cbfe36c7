// zlib (Debian zlib1g-dev): inflate for deflated files in a model's metadata zip.
#include <zlib.h>
