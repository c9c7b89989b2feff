// libvips (Debian's libvips-dev 8.14) for Swift. Swift cannot call C's variadic functions, so each call
// Seek makes with optional arguments gets a small wrapper here with those arguments spelled out.
#ifndef SEEK_CVIPS_SHIM_H
#define SEEK_CVIPS_SHIM_H

#include <vips/vips.h>

static inline int seek_vips_init(void) { return VIPS_INIT("seek"); }

/// The header of an encoded image, decoded lazily: pixels are read only when something needs them.
static inline VipsImage *seek_vips_header(const void *buf, size_t len) {
    return vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}

/// Decodes (shrinking on load where the format allows) and resizes in one pipeline. `size` is a VipsSize,
/// `crop` a VipsInteresting (NONE for no crop).
static inline int seek_vips_thumbnail(const void *buf, size_t len, VipsImage **out, int width, int height, int size, int crop) {
    return vips_thumbnail_buffer((void *)buf, len, out, width, "height", height, "size", size, "crop", crop,
        "option_string", "fail_on=error", NULL);
}

/// Reads every pixel (the mean of all of them): an image that decodes to its end.
static inline int seek_vips_average(VipsImage *in, double *out) { return vips_avg(in, out, NULL); }

static inline int seek_vips_copy(VipsImage *in, VipsImage **out) { return vips_copy(in, out, NULL); }

static inline int seek_vips_autorot(VipsImage *in, VipsImage **out) { return vips_autorot(in, out, NULL); }

static inline int seek_vips_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space) {
    return vips_colourspace(in, out, space, NULL);
}

static inline int seek_vips_cast(VipsImage *in, VipsImage **out, VipsBandFormat format) {
    return vips_cast(in, out, format, NULL);
}

static inline int seek_vips_jpegsave(VipsImage *in, void **buf, size_t *len, int quality, int strip) {
    return vips_jpegsave_buffer(in, buf, len, "Q", quality, "strip", strip, "optimize_coding", TRUE, NULL);
}

static inline int seek_vips_pngsave(VipsImage *in, void **buf, size_t *len, int strip) {
    return vips_pngsave_buffer(in, buf, len, "strip", strip, NULL);
}

static inline int seek_vips_webpsave(VipsImage *in, void **buf, size_t *len, int quality, int strip) {
    return vips_webpsave_buffer(in, buf, len, "Q", quality, "strip", strip, NULL);
}

static inline int seek_vips_gifsave(VipsImage *in, void **buf, size_t *len, int strip) {
    return vips_gifsave_buffer(in, buf, len, "strip", strip, NULL);
}

static inline int seek_vips_tiffsave(VipsImage *in, void **buf, size_t *len, int quality, int strip) {
    return vips_tiffsave_buffer(in, buf, len, "Q", quality, "strip", strip, NULL);
}

/// HEIF with HEVC, or AVIF (`av1` true) with AV1.
static inline int seek_vips_heifsave(VipsImage *in, void **buf, size_t *len, int quality, int strip, int av1) {
    return vips_heifsave_buffer(in, buf, len, "Q", quality, "strip", strip, "compression",
        av1 ? VIPS_FOREIGN_HEIF_COMPRESSION_AV1 : VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, NULL);
}

static inline const char *seek_vips_loader(VipsImage *image) {
    const char *loader = NULL;
    if (vips_image_get_typeof(image, VIPS_META_LOADER) == 0 || vips_image_get_string(image, VIPS_META_LOADER, &loader) != 0) return NULL;
    return loader;
}

static inline int seek_vips_pages(VipsImage *image) {
    int pages = 1;
    if (vips_image_get_typeof(image, VIPS_META_N_PAGES) != 0) vips_image_get_int(image, VIPS_META_N_PAGES, &pages);
    return pages;
}

static inline const char *seek_vips_heif_compression(VipsImage *image) {
    const char *compression = NULL;
    if (vips_image_get_typeof(image, "heif-compression") == 0 || vips_image_get_string(image, "heif-compression", &compression) != 0) return NULL;
    return compression;
}

static inline void seek_unref(VipsImage *image) { if (image) g_object_unref(image); }

#endif
