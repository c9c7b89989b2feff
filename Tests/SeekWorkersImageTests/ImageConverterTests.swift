import CVips
import Foundation
import SeekCore
import SeekTestSupport
import SeekWorkers
import Testing

@testable import SeekWorkersImage

/// Images the tests make with libvips itself: a gradient, encoded as each format asks.
enum Fixture {
    /// A width × height RGB gradient, with the libvips image handed to `edit` before it is encoded.
    static func image(
        _ width: Int,
        _ height: Int,
        as format: ImageFormat,
        edit: (UnsafeMutablePointer<VipsImage>) -> UnsafeMutablePointer<VipsImage> = { $0 }
    ) throws -> [UInt8] {
        try Vips.start(threadsPerImage: 1)
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 255 / width), UInt8(y * 255 / height), 128] }
        }
        let image = try #require(
            pixels.withUnsafeBytes { vips_image_new_from_memory_copy($0.baseAddress, $0.count, Int32(width), Int32(height), 3, VIPS_FORMAT_UCHAR) }
        )
        let edited = edit(image)
        defer {
            if edited != image { seek_unref(edited) }
            seek_unref(image)
        }
        return try ImageEncoder.save(edited, as: format, quality: 90, strip: false)
    }

    /// An edit that sets an integer metadata field (on a copy: libvips images are shared).
    static func setting(_ field: String, to value: Int32) -> (UnsafeMutablePointer<VipsImage>) -> UnsafeMutablePointer<VipsImage> {
        { image in
            var copy: UnsafeMutablePointer<VipsImage>?
            _ = seek_vips_copy(image, &copy)
            vips_image_set_int(copy, field, value)
            return copy!
        }
    }

    /// An edit that converts the image to another colour space.
    static func converting(to space: VipsInterpretation) -> (UnsafeMutablePointer<VipsImage>) -> UnsafeMutablePointer<VipsImage> {
        { image in
            var out: UnsafeMutablePointer<VipsImage>?
            _ = seek_vips_colourspace(image, &out, space)
            return out!
        }
    }

    /// What libvips reads back from encoded bytes: the loader's format and the size.
    static func decode(_ bytes: [UInt8]) throws -> (format: ImageFormat?, width: Int, height: Int, bands: Int) {
        let header = try #require(bytes.withUnsafeBytes { seek_vips_header($0.baseAddress, $0.count) })
        defer { seek_unref(header) }
        // Pixels too, not just the header: the whole file must decode.
        var average = 0.0
        #expect(seek_vips_average(header, &average) == 0, "the output decodes to its end")
        let loader = String(cString: try #require(seek_vips_loader(header)))
        let heif = seek_vips_heif_compression(header).map { String(cString: $0) }
        return (
            ImageFormat.source(loader: loader, heifCompression: heif), Int(vips_image_get_width(header)), Int(vips_image_get_height(header)),
            Int(vips_image_get_bands(header))
        )
    }

    /// A PNG whose header declares width × height pixels, with one tiny IDAT: a decompression bomb's shape.
    static func pngDeclaring(_ width: UInt32, _ height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
        }
        let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        // zlib: a stored block of a few zero bytes (far fewer than the header promises).
        let idat: [UInt8] = [0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

@Suite("image-format-converter")
struct ImageConverterTests {
    let worker: ImageFormatConverterWorker

    init() throws { worker = try ImageFormatConverterWorker() }

    /// Runs the worker on `image` with `options`; returns the result and the converted file's bytes.
    func convert(_ image: [UInt8], _ options: JSONValue) async throws -> (result: ResultEnvelope, bytes: [UInt8], report: WorkerReport.Totals) {
        guard case var .object(input) = options else { throw WorkerFailure(code: "test", message: "options are an object") }
        input["image_base64"] = .string(Data(image).base64EncodedString())
        let files = MemoryFiles()
        let report = WorkerReport()
        #expect(try JSONSchema(worker.manifest.inputSchema).isValid(.object(input)), "the input passes the worker's schema")
        let result = try await worker.run(.object(input), context: context(report: report, files: files))
        let file = try #require(report.current.files.first)
        return (result, try #require(files.bytes(file.id)), report.current)
    }

    func expectFailure(_ code: String, _ image: [UInt8], _ options: JSONValue = ["target_format": "jpeg"]) async {
        await #expect {
            _ = try await convert(image, options)
        } throws: { error in
            guard let failure = error as? WorkerFailure else { return false }
            #expect(failure.code == code, "\(failure.message)")
            return failure.code == code && !failure.message.isEmpty
        }
    }

    @Test("PNG → JPEG, resized to a width: seed 001's data, a JPEG of the asked size in files")
    func pngToJPEG() async throws {
        let (result, bytes, report) = try await convert(try Fixture.image(200, 100, as: .png), ["target_format": "jpeg", "width": 50])
        #expect(result.kind == .object && result.items.isEmpty)
        #expect(
            result.data == [
                "source_format": "png", "target_format": "jpeg", "width": 50, "height": 25, "mime_type": "image/jpeg",
                "output_filename": "converted.jpg",
            ]
        )
        #expect(result.meta == ["ok": true, "warnings": []])
        #expect(report.files.first?.name == "converted.jpg" && report.files.first?.contentType == "image/jpeg")
        let decoded = try Fixture.decode(bytes)
        #expect(decoded.format == .jpeg && decoded.width == 50 && decoded.height == 25)
    }

    @Test("JPEG → WebP into a box, GIF → PNG, and each fit")
    func otherPairs() async throws {
        let jpeg = try Fixture.image(300, 200, as: .jpeg)
        let webp = try await convert(jpeg, ["target_format": "webp", "width": 90, "height": 90])
        #expect(try Fixture.decode(webp.bytes) == (.webp, 90, 60, 3), "contain keeps the aspect ratio inside the box")
        let cover = try await convert(jpeg, ["target_format": "png", "width": 90, "height": 90, "fit": "cover"])
        #expect(try Fixture.decode(cover.bytes).width == 90 && Fixture.decode(cover.bytes).height == 90)
        let fill = try await convert(jpeg, ["target_format": "png", "width": 40, "height": 90, "fit": "fill"])
        #expect(try Fixture.decode(fill.bytes).width == 40 && Fixture.decode(fill.bytes).height == 90)
        let gif = try await convert(try Fixture.image(64, 48, as: .gif), ["target_format": "png"])
        #expect(gif.result.data["source_format"] == "gif")
        #expect(try Fixture.decode(gif.bytes).format == .png && Fixture.decode(gif.bytes).width == 64)
    }

    @Test("PNG → AVIF where this libvips writes AVIF; the schema offers exactly the formats it writes")
    func avif() async throws {
        let offered = worker.manifest.inputSchema["properties"]?["target_format"]?["enum"]?.arrayValue ?? []
        #expect(offered.contains("jpeg") && offered.contains("png") && offered.contains("webp"))
        #expect(offered.contains("avif") == worker.targets.contains(.avif))
        guard worker.targets.contains(.avif) else { return }
        let converted = try await convert(try Fixture.image(120, 80, as: .png), ["target_format": "avif", "width": 60, "quality": 50])
        #expect(try Fixture.decode(converted.bytes) == (.avif, 60, 40, 3))
        #expect(converted.result.data["mime_type"] == "image/avif")
    }

    @Test("EXIF orientation is applied, CMYK and 16-bit inputs come out as 8-bit sRGB")
    func colourAndOrientation() async throws {
        let rotated = try Fixture.image(200, 100, as: .jpeg, edit: Fixture.setting("orientation", to: 6))
        let upright = try await convert(rotated, ["target_format": "png"])
        #expect(upright.result.data["width"] == 100 && upright.result.data["height"] == 200, "orientation 6 turns it a quarter")

        let cmyk = try Fixture.image(80, 60, as: .jpeg, edit: Fixture.converting(to: VIPS_INTERPRETATION_CMYK))
        let fromCMYK = try await convert(cmyk, ["target_format": "webp"])
        #expect(fromCMYK.report.warnings == ["The CMYK input was converted to sRGB."])
        #expect(try Fixture.decode(fromCMYK.bytes).bands == 3)

        let deep = try Fixture.image(80, 60, as: .png, edit: Fixture.converting(to: VIPS_INTERPRETATION_RGB16))
        let fromDeep = try await convert(deep, ["target_format": "jpeg"])
        #expect(try Fixture.decode(fromDeep.bytes) == (.jpeg, 80, 60, 3))
    }

    @Test("a truncated file, a pixel bomb and a non-image fail with clear errors")
    func badInputs() async throws {
        let png = try Fixture.image(300, 300, as: .png)
        await expectFailure("conversion_failed", Array(png.prefix(png.count / 2)))
        let bomb = Fixture.pngDeclaring(50_000, 50_000)
        #expect(bomb.count < 100)
        await expectFailure("image_too_large", bomb)
        await expectFailure("invalid_image", Array("this is not an image".utf8))
    }

    @Test("an animated GIF converts its first frame and says so")
    func animated() async throws {
        // Three 64 × 64 frames stacked, as libvips holds an animation.
        let frames = try Fixture.image(64, 192, as: .gif, edit: Fixture.setting("page-height", to: 64))
        let converted = try await convert(frames, ["target_format": "png"])
        #expect(converted.report.warnings == ["The input has 3 frames or pages; only the first was converted."])
        #expect(try Fixture.decode(converted.bytes).height == 64)
    }

    @Test("a fired kill switch stops the pipeline: a deadline never waits on libvips")
    func killed() throws {
        let png = try Fixture.image(400, 400, as: .png)
        let kill = PipelineKill()
        kill.fire()
        let request = ConversionRequest(target: .webp, quality: 80, width: nil, height: nil, fit: .contain, stripMetadata: true)
        #expect(throws: WorkerFailure.self) { try ImageConversion.convert(png, request, limits: ImageLimits(), kill: kill) }
        #expect(kill.fired)
        let unkilled = try ImageConversion.convert(png, request, limits: ImageLimits(), kill: PipelineKill())
        #expect(unkilled.width == 400)
    }
}
