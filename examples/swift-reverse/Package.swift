// swift-tools-version: 6.0
import PackageDescription

// A Seek worker in Swift with no dependencies: the command protocol needs none.
let package = Package(
    name: "swift-reverse",
    targets: [.executableTarget(name: "SwiftReverse")]
)
