import Logging

/// Writes an outcome the store must not lose (a job's end, a webhook attempt), retrying a failing store a
/// few times with a growing pause. If it never succeeds the lease or claim runs out and the work is done
/// again, so nothing is lost; the caller learns of the failure as nil.
func retryingStoreWrite<T: Sendable>(
    _ what: String,
    metadata: Logger.Metadata,
    logger: Logger,
    attempts: Int = 5,
    _ write: () async throws -> T
) async -> T? {
    for attempt in 1...attempts {
        do {
            return try await write()
        } catch {
            var details = metadata
            details["attempt"] = "\(attempt)"
            details["error"] = "\(error)"
            logger.error("\(what) failed", metadata: details)
            if attempt < attempts { try? await Task.sleep(for: .milliseconds(100 * attempt)) }
        }
    }
    return nil
}
