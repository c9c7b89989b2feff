// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "seek",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "seek", targets: ["seek"]),
        // The JSON parser and schema validator, for the fuzz harnesses in fuzz/ (and any Swift program).
        .library(name: "SeekCore", targets: ["SeekCore"]),
        // The Swift SDK: `.product(name: "SeekClient", package: "seek")`.
        .library(name: "SeekClient", targets: ["SeekClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "SeekCore",
            dependencies: [
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Resources/metaschemas/LICENSE", "Resources/metaschemas/SOURCE"],
            // The JSON Schema 2020-12 meta-schemas, compiled in: schemas are never fetched.
            resources: [
                .embedInCode("Resources/metaschemas/schema.json"), .embedInCode("Resources/metaschemas/meta-core.json"),
                .embedInCode("Resources/metaschemas/meta-applicator.json"), .embedInCode("Resources/metaschemas/meta-unevaluated.json"),
                .embedInCode("Resources/metaschemas/meta-validation.json"), .embedInCode("Resources/metaschemas/meta-meta-data.json"),
                .embedInCode("Resources/metaschemas/meta-format-annotation.json"),
                .embedInCode("Resources/metaschemas/meta-format-assertion.json"), .embedInCode("Resources/metaschemas/meta-content.json"),
            ]
        ),
        .target(
            name: "SeekStore",
            dependencies: [
                "SeekCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SeekWorkers",
            dependencies: ["SeekCore", .product(name: "Logging", package: "swift-log")]
        ),
        // libvips from Debian's libvips-dev; only SeekWorkersImage links it.
        .systemLibrary(name: "CVips", path: "Sources/CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        // image-format-converter, on libvips.
        .target(
            name: "SeekWorkersImage",
            dependencies: ["SeekCore", "SeekWorkers", "CVips", .product(name: "Logging", package: "swift-log")]
        ),
        // c-ares from Debian's libc-ares-dev; only SeekWorkersEmail links it.
        .systemLibrary(name: "CAres", path: "Sources/CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        // email-validator: syntax, DNS through c-ares, and its lists (compiled in).
        .target(
            name: "SeekWorkersEmail",
            dependencies: [
                "SeekCore", "SeekWorkers", "CAres",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Resources/SOURCES.md", "Resources/disposable-domains.LICENSE"],
            resources: [
                .embedInCode("Resources/disposable-domains.txt"), .embedInCode("Resources/role-accounts.txt"),
                .embedInCode("Resources/free-providers.txt"),
            ]
        ),
        // The fetching layer: the SSRF guard (webhooks use it too), robots.txt, politeness per host, retries, charsets.
        .target(
            name: "SeekFetching",
            dependencies: [
                "CAres",
                "SeekCore", "SeekWorkers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // libxml2 from Debian's libxml2-dev: its HTML parser, for the workers that read web pages.
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // HTML pages and what they publish about themselves: JSON-LD, microdata, OpenGraph, hCard.
        .target(
            name: "SeekHTML",
            dependencies: ["SeekCore", "CLibXML2", .product(name: "OrderedCollections", package: "swift-collections")]
        ),
        // real-estate-listings, linkedin-profile and places-search: workers that read the web through the fetching layer.
        .target(
            name: "SeekWorkersWeb",
            dependencies: ["SeekCore", "SeekWorkers", "SeekHTML", .product(name: "OrderedCollections", package: "swift-collections")]
        ),
        .target(
            name: "SeekRuntime",
            dependencies: [
                "SeekCore", "SeekStore", "SeekWorkers", "SeekFetching",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "SeekHTTP",
            dependencies: [
                "SeekCore", "SeekStore", "SeekRuntime", "SeekWorkers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // Compiled into the binary: `seek` needs no resource bundle beside it.
            resources: [.embedInCode("Resources/openapi.json")] + dashboardResources
        ),
        // The SDK: code generated from Resources/openapi.json by scripts/generate-sdk (committed, so that users do not
        // build the generator), and the hand-written layer over it.
        .target(
            name: "SeekClient",
            dependencies: [
                "SeekCore",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            exclude: ["openapi-generator-config.yaml", "Generated/openapi.sha256"]
        ),
        // `seek runner`: runs a published worker's jobs on the publisher's machine, over the runner API.
        .target(
            name: "SeekRunner",
            dependencies: [
                "SeekCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "seek",
            dependencies: [
                "SeekCore", "SeekStore", "SeekRuntime", "SeekHTTP", "SeekWorkers", "SeekWorkersImage", "SeekWorkersEmail", "SeekWorkersWeb",
                "SeekFetching", "SeekRunner", "SeekClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `swift run -c release schema-bench`: a benchmark of input validation, not a test.
        .executableTarget(name: "schema-bench", dependencies: ["SeekCore"], path: "bench/SchemaBench"),
        // `swift build -c release --product email-bench && bench/email_syntax.py`: email syntax checks per second.
        .executableTarget(name: "email-bench", dependencies: ["SeekWorkersEmail"], path: "bench/EmailBench"),
        // `swift build -c release --product listings-bench && bench/listings.py`: listing pages read per second, against lxml.
        .executableTarget(name: "listings-bench", dependencies: ["SeekFetching", "SeekWorkersWeb"], path: "bench/ListingsBench"),
        .target(
            name: "SeekTestSupport",
            dependencies: [
                "SeekCore", "SeekStore", "SeekRuntime", "SeekWorkers", "SeekFetching", "SeekHTTP", .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/SeekTestSupport"
        ),
        .testTarget(name: "SeekCoreTests", dependencies: ["SeekCore"]),
        .testTarget(
            name: "SeekStoreTests",
            dependencies: [
                "SeekCore", "SeekStore", "SeekTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SeekWorkersTests",
            dependencies: ["SeekCore", "SeekWorkers", "SeekTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "SeekWorkersImageTests",
            dependencies: ["SeekCore", "SeekWorkers", "SeekWorkersImage", "SeekTestSupport", "CVips"]
        ),
        .testTarget(name: "SeekWorkersEmailTests", dependencies: ["SeekCore", "SeekWorkers", "SeekWorkersEmail", "SeekTestSupport"]),
        .testTarget(name: "SeekFetchingTests", dependencies: ["SeekCore", "SeekWorkers", "SeekFetching", "SeekTestSupport"]),
        .testTarget(
            name: "SeekWorkersWebTests",
            dependencies: ["SeekCore", "SeekWorkers", "SeekHTML", "SeekWorkersWeb", "SeekTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SeekRuntimeTests",
            dependencies: [
                "SeekCore", "SeekStore", "SeekRuntime", "SeekWorkers", "SeekFetching", "SeekTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SeekRunnerTests",
            dependencies: ["SeekCore", "SeekRunner", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "SeekClientTests",
            dependencies: [
                "SeekClient", "SeekCore", "SeekHTTP", "SeekTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "SeekHTTPTests",
            dependencies: [
                "SeekHTTP", "SeekCore", "SeekStore", "SeekRuntime", "SeekWorkers", "SeekFetching", "SeekTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

// The dashboard's templates and stylesheet, compiled into the binary like the OpenAPI document.
var dashboardResources: [Resource] {
    [
        "layout", "login", "signup", "welcome", "overview", "keys", "key-created", "key-revoke", "webhooks", "jobs", "job", "marketplace", "worker",
        "my-workers", "billing", "chart", "message",
    ]
    .map { .embedInCode("Resources/dashboard/\($0).mustache") } + [
        .embedInCode("Resources/dashboard/seek.css"), .embedInCode("Resources/dashboard/seek.js"),
    ]
}
