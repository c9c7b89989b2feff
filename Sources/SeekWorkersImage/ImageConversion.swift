import CVips
import SeekWorkers

/// Bounds on what one conversion may take in.
public struct ImageLimits: Sendable {
    /// Encoded input bytes.
    public var maxInputBytes = 50 << 20
    /// Pixels the input may declare (width × height × pages): a small file that declares a huge image is a
    /// decompression bomb, refused from its header before any pixel is decoded.
    public var maxInputPixels = 268_402_689
    /// Pixels the output may have.
    public var maxOutputPixels = 100_000_000

    public init() {}
}

/// How the image is resized when both a width and a height are given.
enum ImageFit: String, Sendable {
    /// Within the box, keeping the aspect ratio.
    case contain
    /// Fills the box, keeping the aspect ratio, cropped to it around the centre.
    case cover
    /// Stretched to the box.
    case fill
}

/// One conversion as the input asks for it.
struct ConversionRequest: Sendable {
    var target: ImageFormat
    var quality: Int
    var width: Int?
    var height: Int?
    var fit: ImageFit
    var stripMetadata: Bool
}

struct ConvertedImage: Sendable {
    var bytes: [UInt8]
    var source: ImageFormat
    var width: Int
    var height: Int
    var warnings: [String]
}

/// A conversion on libvips, run synchronously on one of the image threads: the header is read and checked
/// against the limits first; then one pipeline decodes (shrinking on load when resizing), turns the image
/// upright by its EXIF orientation, brings CMYK and 16-bit images to 8-bit sRGB where the target needs it, and
/// encodes. `kill` lets a deadline stop a pipeline that is running.
enum ImageConversion {
    static func convert(
        _ input: [UInt8],
        _ request: ConversionRequest,
        limits: ImageLimits,
        kill: PipelineKill
    ) throws(WorkerFailure) -> ConvertedImage {
        guard input.count <= limits.maxInputBytes else {
            throw WorkerFailure(code: "input_too_large", message: "The image is \(input.count) bytes; at most \(limits.maxInputBytes) are accepted.")
        }
        let result: Result<ConvertedImage, WorkerFailure> = input.withUnsafeBytes { bytes in
            do throws(WorkerFailure) {
                return .success(try convert(bytes, request, limits: limits, kill: kill))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func convert(
        _ input: UnsafeRawBufferPointer,
        _ request: ConversionRequest,
        limits: ImageLimits,
        kill: PipelineKill
    ) throws(WorkerFailure) -> ConvertedImage {
        guard let header = seek_vips_header(input.baseAddress, input.count) else {
            throw WorkerFailure(code: "invalid_image", message: "The input is not an image Seek can read (\(Vips.takeError())).")
        }
        var images: [UnsafeMutablePointer<VipsImage>] = [header]
        defer { images.forEach(seek_unref) }

        let loader = seek_vips_loader(header).map { String(cString: $0) } ?? ""
        let heif = seek_vips_heif_compression(header).map { String(cString: $0) }
        guard let source = ImageFormat.source(loader: loader, heifCompression: heif) else {
            throw WorkerFailure(
                code: "unsupported_format",
                message: "The input's format (\(loader)) is not one Seek converts: jpeg, png, webp, gif, tiff, heif or avif."
            )
        }
        let width = Int(vips_image_get_width(header))
        let height = Int(vips_image_get_height(header))
        let pages = max(1, Int(seek_vips_pages(header)))
        let (pixels, overflow) = (width * height).multipliedReportingOverflow(by: pages)
        guard !overflow, pixels <= limits.maxInputPixels else {
            throw WorkerFailure(
                code: "image_too_large",
                message:
                    "The image declares \(width) × \(height) pixels\(pages > 1 ? " in \(pages) pages" : ""); at most \(limits.maxInputPixels) pixels are accepted."
            )
        }
        var warnings: [String] = []
        if pages > 1 { warnings.append("The input has \(pages) frames or pages; only the first was converted.") }

        var image: UnsafeMutablePointer<VipsImage>
        if request.width != nil || request.height != nil {
            // Thumbnail decodes and shrinks in one pass (JPEG and WebP shrink while decoding) and turns the
            // image upright itself.
            let box = (request.width ?? Int(VIPS_MAX_COORD), request.height ?? Int(VIPS_MAX_COORD))
            let both = request.width != nil && request.height != nil
            let size = both && request.fit == .fill ? VIPS_SIZE_FORCE : VIPS_SIZE_BOTH
            let crop = both && request.fit == .cover ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE
            var resized: UnsafeMutablePointer<VipsImage>?
            guard
                seek_vips_thumbnail(input.baseAddress, input.count, &resized, Int32(box.0), Int32(box.1), Int32(size.rawValue), Int32(crop.rawValue))
                    == 0,
                let resized
            else { throw WorkerFailure(code: "invalid_image", message: "The image could not be resized (\(Vips.takeError())).") }
            images.append(resized)
            image = resized
        } else {
            var upright: UnsafeMutablePointer<VipsImage>?
            guard seek_vips_autorot(header, &upright) == 0, let upright else {
                throw WorkerFailure(code: "invalid_image", message: "The image could not be read (\(Vips.takeError())).")
            }
            images.append(upright)
            image = upright
        }
        guard Int(vips_image_get_width(image)) * Int(vips_image_get_height(image)) <= limits.maxOutputPixels else {
            throw WorkerFailure(
                code: "image_too_large",
                message: "The output would have more than \(limits.maxOutputPixels) pixels; ask for a smaller width or height."
            )
        }

        let interpretation = vips_image_get_interpretation(image)
        if interpretation == VIPS_INTERPRETATION_CMYK {
            warnings.append("The CMYK input was converted to sRGB.")
            image = try transform(image, &images) { seek_vips_colourspace($0, $1, VIPS_INTERPRETATION_sRGB) }
        } else if request.target.needsEightBitRGB, vips_image_get_format(image) != VIPS_FORMAT_UCHAR {
            // 16-bit and float images: through the colour system to 8 bits, so that values scale, not clip.
            let grey = interpretation == VIPS_INTERPRETATION_GREY16 || interpretation == VIPS_INTERPRETATION_B_W
            let space = grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB
            image = try transform(image, &images) { seek_vips_colourspace($0, $1, space) }
            if vips_image_get_format(image) != VIPS_FORMAT_UCHAR {
                image = try transform(image, &images) { seek_vips_cast($0, $1, VIPS_FORMAT_UCHAR) }
            }
        }

        kill.arm(image)
        defer { kill.disarm() }
        let bytes = try ImageEncoder.save(image, as: request.target, quality: request.quality, strip: request.stripMetadata)
        if kill.fired { throw WorkerFailure(code: "timeout", message: "The conversion was stopped at the job's deadline.") }
        return ConvertedImage(
            bytes: bytes,
            source: source,
            width: Int(vips_image_get_width(image)),
            height: Int(vips_image_get_height(image)),
            warnings: warnings
        )
    }

    private static func transform(
        _ image: UnsafeMutablePointer<VipsImage>,
        _ images: inout [UnsafeMutablePointer<VipsImage>],
        _ operation: (UnsafeMutablePointer<VipsImage>, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32
    ) throws(WorkerFailure) -> UnsafeMutablePointer<VipsImage> {
        var out: UnsafeMutablePointer<VipsImage>?
        guard operation(image, &out) == 0, let out else {
            throw WorkerFailure(code: "conversion_failed", message: "The image's colours could not be converted (\(Vips.takeError())).")
        }
        images.append(out)
        return out
    }
}
