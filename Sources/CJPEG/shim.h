// libjpeg-turbo (Debian libjpeg62-turbo-dev); jpeglib.h needs stdio.h's FILE first.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

// libjpeg reports fatal errors by calling error_exit, which by default exits the process. Swift
// cannot unwind through C, so decoding happens here, in C, with setjmp/longjmp back to this
// function: a damaged file returns an error code and message instead of ending the program.
struct swift_tflite_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void swift_tflite_jpeg_error_exit(j_common_ptr info) {
    struct swift_tflite_jpeg_error *error = (struct swift_tflite_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

static void swift_tflite_jpeg_silence(j_common_ptr info, int level) { (void)info; (void)level; }

/// Decodes a JPEG held in memory to 8-bit gray (1 channel) or RGB (3 channels). On success
/// returns 0 and a malloc'd buffer in *pixels (free with free()); otherwise non-zero with a
/// message in `message`. Images over `max_pixels` are refused before their pixels are allocated.
static inline int swift_tflite_jpeg_decode(const unsigned char *data, unsigned long size, unsigned long max_pixels,
                                           unsigned char **pixels, int *width, int *height, int *channels,
                                           char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct swift_tflite_jpeg_error error;
    unsigned char *volatile buffer = NULL;
    *pixels = NULL;
    memset(&info, 0, sizeof info);
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = swift_tflite_jpeg_error_exit;
    error.manager.emit_message = swift_tflite_jpeg_silence;
    error.message[0] = 0;
    if (setjmp(error.jump)) {
        snprintf(message, message_size, "%s", error.message);
        jpeg_destroy_decompress(&info);
        free(buffer);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, size);
    jpeg_read_header(&info, TRUE);
    if (info.num_components == 1) {
        info.out_color_space = JCS_GRAYSCALE;
    } else {
        info.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&info);
    unsigned long w = info.output_width, h = info.output_height, c = (unsigned long)info.output_components;
    if (w == 0 || h == 0 || (c != 1 && c != 3) || w > 65535 || h > 65535 || w * h > max_pixels) {
        snprintf(message, message_size, "unsupported JPEG dimensions %lux%lu with %lu components", w, h, c);
        jpeg_destroy_decompress(&info);
        return 2;
    }
    buffer = (unsigned char *)malloc(w * h * c);
    if (buffer == NULL) {
        snprintf(message, message_size, "out of memory for %lux%lu pixels", w, h);
        jpeg_destroy_decompress(&info);
        return 3;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = buffer + (unsigned long)info.output_scanline * w * c;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    *pixels = buffer;
    *width = (int)w;
    *height = (int)h;
    *channels = (int)c;
    return 0;
}
