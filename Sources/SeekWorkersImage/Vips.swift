import CVips
import Foundation
import SeekWorkers

/// libvips, started once per process. Its operation cache is off: every job reads different bytes, and a
/// cache would only hold memory.
enum Vips {
    private static let started: Result<Void, WorkerFailure> = {
        guard seek_vips_init() == 0 else {
            return .failure(WorkerFailure(code: "worker_unavailable", message: "libvips could not start: \(takeError())"))
        }
        vips_cache_set_max(0)
        vips_cache_set_max_mem(0)
        return .success(())
    }()

    /// Starts libvips with `threads` worker threads per pipeline (0 leaves libvips' own default).
    static func start(threadsPerImage threads: Int) throws(WorkerFailure) {
        try started.get()
        if threads > 0 { vips_concurrency_set(Int32(threads)) }
    }

    /// libvips' error buffer, emptied: what went wrong in the calls since the last read.
    static func takeError() -> String {
        let message = String(cString: vips_error_buffer()).trimmingCharacters(in: .whitespacesAndNewlines)
        vips_error_clear()
        return message.isEmpty ? "no detail" : String(message.prefix(500))
    }

    /// Whether this libvips can write `format` (AVIF and HEIF depend on libheif's encoders).
    static func canSave(_ format: ImageFormat) -> Bool {
        // One 8×8 grey image through the saver: the type existing does not mean its encoder does.
        let pixels = [UInt8](repeating: 128, count: 64 * 3)
        guard let image = pixels.withUnsafeBytes({ vips_image_new_from_memory_copy($0.baseAddress, 64 * 3, 8, 8, 3, VIPS_FORMAT_UCHAR) })
        else { return false }
        defer { seek_unref(image) }
        let saved = try? ImageEncoder.save(image, as: format, quality: 50, strip: true)
        vips_error_clear()
        return saved != nil
    }
}

/// The formats image-format-converter reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif, tiff, avif, heif

    var mimeType: String { "image/\(rawValue)" }
    var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    /// Formats that hold only 8 bits per channel in RGB or grey, as Seek writes them.
    var needsEightBitRGB: Bool { self != .png && self != .tiff }

    /// The source format from the loader libvips picked (`vips-loader`), or nil for one Seek does not take
    /// (SVG, PDF and the like: documents, not images, with their own risks).
    static func source(loader: String, heifCompression: String?) -> ImageFormat? {
        switch loader {
        case let name where name.hasPrefix("jpegload"): return .jpeg
        case let name where name.hasPrefix("pngload"): return .png
        case let name where name.hasPrefix("webpload"): return .webp
        case let name where name.hasPrefix("gifload"): return .gif
        case let name where name.hasPrefix("tiffload"): return .tiff
        case let name where name.hasPrefix("heifload"): return heifCompression == "av1" ? .avif : .heif
        default: return nil
        }
    }
}

/// Writes an image into an encoded buffer.
enum ImageEncoder {
    static func save(_ image: UnsafeMutablePointer<VipsImage>, as format: ImageFormat, quality: Int, strip: Bool) throws(WorkerFailure) -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let q = Int32(quality)
        let s: Int32 = strip ? 1 : 0
        let status: Int32
        switch format {
        case .jpeg: status = seek_vips_jpegsave(image, &buffer, &length, q, s)
        case .png: status = seek_vips_pngsave(image, &buffer, &length, s)
        case .webp: status = seek_vips_webpsave(image, &buffer, &length, q, s)
        case .gif: status = seek_vips_gifsave(image, &buffer, &length, s)
        case .tiff: status = seek_vips_tiffsave(image, &buffer, &length, q, s)
        case .avif: status = seek_vips_heifsave(image, &buffer, &length, q, s, 1)
        case .heif: status = seek_vips_heifsave(image, &buffer, &length, q, s, 0)
        }
        defer { g_free(buffer) }
        guard status == 0, let buffer else {
            throw WorkerFailure(
                code: "conversion_failed",
                message: "The image could not be decoded or written as \(format.rawValue): \(Vips.takeError())"
            )
        }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}
