import Foundation
import SeekCore
import SeekWorkers

/// `image-format-converter` (seed 001): converts an image between formats, optionally resized, on libvips.
/// The image comes as `image_base64` or `image_url`: a file uploaded with `POST /v1/files` (or an earlier
/// job's result), read straight from the file store, or any public http(s) URL, fetched through the server's
/// SSRF guard. Billed per run, 5 credits.
public struct ImageFormatConverterWorker: Worker {
    public struct Configuration: Sendable {
        /// Conversions at once, each on its own thread.
        public var conversions = ProcessInfo.processInfo.activeProcessorCount
        /// libvips' threads within one conversion (0: libvips' default).
        public var threadsPerImage = 1
        public var limits = ImageLimits()
        public var defaultQuality = 80

        public init() {}
    }

    public let manifest: WorkerManifest
    private let configuration: Configuration
    private let threads: BlockingThreads
    /// The formats this libvips writes, probed at start (AVIF and HEIF need libheif's encoders).
    public let targets: [ImageFormat]

    public init(configuration: Configuration = Configuration()) throws(WorkerFailure) {
        try Vips.start(threadsPerImage: configuration.threadsPerImage)
        self.configuration = configuration
        threads = BlockingThreads(count: configuration.conversions, name: "seek-image")
        targets = ImageFormat.allCases.filter(Vips.canSave)
        manifest = Self.manifest(targets: targets, limits: configuration.limits)
    }

    static func manifest(targets: [ImageFormat], limits: ImageLimits) -> WorkerManifest {
        let dimension: JSONValue = ["type": "integer", "minimum": 1, "maximum": 16_384]
        return WorkerManifest(
            id: "image-format-converter",
            name: "Image format converter",
            description:
                "Converts an image to JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF (as this server's libvips writes them), optionally resized. The image comes as image_base64 or as image_url: a public http(s) URL, or a file uploaded with POST /v1/files.",
            version: "1.0.0",
            categories: ["images"],
            inputSchema: [
                "type": "object",
                "required": ["target_format"],
                "properties": [
                    "image_url": ["type": "string", "minLength": 1, "maxLength": 4096],
                    "image_base64": ["type": "string", "minLength": 1, "maxLength": .integer(Int64(limits.maxInputBytes / 3 * 4 + 4))],
                    "target_format": ["enum": .array(targets.map { .string($0.rawValue) } + (targets.contains(.jpeg) ? ["jpg"] : []))],
                    "quality": ["type": "integer", "minimum": 1, "maximum": 100],
                    "width": dimension,
                    "height": dimension,
                    "fit": ["enum": ["contain", "cover", "fill"]],
                    "strip_metadata": ["type": "boolean"],
                ],
                "oneOf": [["required": ["image_url"]], ["required": ["image_base64"]]],
                "additionalProperties": false,
            ],
            outputKind: .object,
            pricing: .perRun(5),
            maxDurationSeconds: 120
        )
    }

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        let request = try Self.request(input, defaultQuality: configuration.defaultQuality)
        let bytes = try await image(input, context: context)
        let limits = configuration.limits
        // A deadline cancels the task; the kill switch then stops the pipeline on its thread.
        let kill = PipelineKill()
        let converted = try await withTaskCancellationHandler {
            try await threads.run { try ImageConversion.convert(bytes, request, limits: limits, kill: kill) }
        } onCancel: {
            kill.fire()
        }
        for warning in converted.warnings { context.warn(warning) }
        let name = "converted.\(request.target.fileExtension)"
        try await context.save(name: name, contentType: request.target.mimeType, bytes: converted.bytes)
        return .object(
            [
                "source_format": .string(converted.source.rawValue), "target_format": .string(request.target.rawValue),
                "width": .integer(Int64(converted.width)), "height": .integer(Int64(converted.height)),
                "mime_type": .string(request.target.mimeType), "output_filename": .string(name),
            ],
            meta: ["ok": true, "warnings": []]
        )
    }

    static func request(_ input: JSONValue, defaultQuality: Int) throws(WorkerFailure) -> ConversionRequest {
        let name = input["target_format"]?.stringValue == "jpg" ? "jpeg" : input["target_format"]?.stringValue ?? ""
        guard let target = ImageFormat(rawValue: name) else {
            throw WorkerFailure(code: "bad_input", message: "target_format \(name) is not one this server writes.")
        }
        return ConversionRequest(
            target: target,
            quality: input["quality"]?.integerValue.map(Int.init) ?? defaultQuality,
            width: input["width"]?.integerValue.map(Int.init),
            height: input["height"]?.integerValue.map(Int.init),
            fit: input["fit"]?.stringValue.flatMap(ImageFit.init(rawValue:)) ?? .contain,
            stripMetadata: input["strip_metadata"]?.boolValue ?? true
        )
    }

    /// The input image's bytes.
    private func image(_ input: JSONValue, context: WorkerContext) async throws -> [UInt8] {
        if let encoded = input["image_base64"]?.stringValue {
            // A data: URL's prefix is taken off; whitespace (line-wrapped base64) is allowed.
            let payload = encoded.hasPrefix("data:") ? String(encoded.drop(while: { $0 != "," }).dropFirst()) : encoded
            guard let data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw WorkerFailure(code: "bad_input", message: "image_base64 is not valid base64.")
            }
            return Array(data)
        }
        let url = input["image_url"]?.stringValue ?? ""
        let file = try await context.file(at: url, maxBytes: configuration.limits.maxInputBytes)
        return file.bytes
    }
}
