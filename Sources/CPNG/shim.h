// libpng 1.6 (Debian libpng-dev), simplified API (png_image).
#include <png.h>
