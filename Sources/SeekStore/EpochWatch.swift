import SeekCore
import Synchronization

/// Tells a cache when another process sharing the storage changed what it caches: it reads a store
/// counter (an epoch) at most once per interval and says whether it moved since the last read.
public final class EpochWatch: Sendable {
    private struct State {
        var known: Int64?
        var lastCheck: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let read: @Sendable () async throws -> Int64

    public init(
        interval: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        read: @escaping @Sendable () async throws -> Int64
    ) {
        self.interval = interval
        self.now = now
        self.read = read
    }

    /// True if the epoch moved since it was last read; false when it did not, or when it is not due for a
    /// read yet. The first read only learns the epoch.
    public func moved() async throws -> Bool {
        let now = now()
        let due = state.withLock { state -> Bool in
            if let last = state.lastCheck, now - last < interval { return false }
            state.lastCheck = now
            return true
        }
        guard due else { return false }
        let epoch = try await read()
        return state.withLock { state in
            defer { state.known = epoch }
            return state.known != nil && state.known != epoch
        }
    }
}
