import Synchronization

/// One timer for the deadlines of every running job, in place of a sleeping task per job: it sleeps
/// until the earliest deadline and calls what was scheduled for it. Scheduling an earlier deadline than
/// any wakes it; a later one does not.
final class DeadlineTimer: Sendable {
    struct Entry {
        let at: ContinuousClock.Instant
        let fire: @Sendable () -> Void
    }

    private struct State {
        var next: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var earliest: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let bell = Doorbell()
    /// How long the timer sleeps when nothing is scheduled; a new entry wakes it anyway.
    private let idle: Duration

    init(idle: Duration = .seconds(60)) {
        self.idle = idle
    }

    /// Calls `fire` at `at` unless cancelled first; returns the token that cancels it.
    func schedule(at: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> UInt64 {
        let (token, wake) = state.withLock { state -> (UInt64, Bool) in
            state.next += 1
            state.entries[state.next] = Entry(at: at, fire: fire)
            let wake = state.earliest.map { at < $0 } ?? true
            if wake { state.earliest = at }
            return (state.next, wake)
        }
        if wake { bell.ring() }
        return token
    }

    func cancel(_ token: UInt64) {
        _ = state.withLock { $0.entries.removeValue(forKey: token) }
    }

    /// Fires due entries until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (due, earliest) = state.withLock { state -> ([Entry], ContinuousClock.Instant?) in
                let due = state.entries.filter { $0.value.at <= now }
                for token in due.keys { state.entries.removeValue(forKey: token) }
                state.earliest = state.entries.values.map(\.at).min()
                return (due.values.sorted { $0.at < $1.at }, state.earliest)
            }
            for entry in due { entry.fire() }
            await bell.wait(timeout: earliest.map { $0 - now } ?? idle)
        }
    }
}
