import Logging

/// Writes an outcome the store must not lose (a job's end, a webhook attempt), retrying a failing store with a
/// growing pause for up to `patience`: a database restart of a few seconds loses nothing and redoes nothing. If
/// it never succeeds the lease or claim runs out and the work is done again, so nothing is lost either; the
/// caller learns of the failure as nil. A cancelled caller (a shutdown past its grace) stops at once.
func retryingStoreWrite<T: Sendable>(
    _ what: String,
    metadata: Logger.Metadata,
    logger: Logger,
    patience: Duration = .seconds(20),
    _ write: () async throws -> T
) async -> T? {
    let clock = ContinuousClock()
    let giveUp = clock.now + patience
    var pause = Duration.milliseconds(100)
    var attempt = 0
    while true {
        attempt += 1
        do {
            return try await write()
        } catch {
            let last = Task.isCancelled || clock.now + pause > giveUp
            // The first failure and the last are worth a line each; the ones between only say it goes on.
            var details = metadata
            details["attempt"] = "\(attempt)"
            // Reflected: PostgresNIO's errors describe themselves only there.
            details["error"] = "\(String(reflecting: error))"
            if attempt == 1 || last {
                logger.error(last ? "\(what) failed; giving up" : "\(what) failed; retrying", metadata: details)
            } else {
                logger.debug("\(what) failed again", metadata: details)
            }
            if last { return nil }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
