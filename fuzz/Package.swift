// swift-tools-version: 6.0
// The fuzz harnesses, a package of their own: libFuzzer supplies their `main`, so they build only with
// `--sanitize=fuzzer` (scripts/fuzz), and the main package's plain `swift build` never sees them.
import PackageDescription

let package = Package(
    name: "seek-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "seek", path: "..")],
    targets: [
        .executableTarget(name: "FuzzJSON", dependencies: [.product(name: "SeekCore", package: "seek")]),
        .executableTarget(name: "FuzzSchema", dependencies: [.product(name: "SeekCore", package: "seek")]),
    ]
)
