import Foundation
import Logging
import SeekStore
import ServiceLifecycle

/// Deletes files past their retention, at start and then every `interval`.
public struct FileCleaner: Service {
    let files: any FileStore
    let interval: Duration
    let logger: Logger

    public init(files: any FileStore, interval: Duration = .seconds(3600), logger: Logger) {
        self.files = files
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await files.removeExpired(before: Date())
                    if removed > 0 { logger.info("Removed expired files", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.error("Removing expired files failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
