import Synchronization

/// Wakes one waiting loop. Rings coalesce, and a ring while nobody waits is kept for the next wait,
/// so a loop that checks its work and then waits never misses news that arrived in between.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let (waiter, timer) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Task<Void, Never>?) in
            guard let waiter = state.waiter else {
                state.rung = true
                return (nil, nil)
            }
            defer { (state.waiter, state.timer) = (nil, nil) }
            return (waiter, state.timer)
        }
        timer?.cancel()
        waiter?.resume()
    }

    /// Returns at the next ring (at once if one came since the last wait), once `timeout` passes, or when the
    /// waiting task is cancelled.
    public func wait(timeout: Duration) async {
        await withTaskCancellationHandler {
            await waitForRing(timeout: timeout)
        } onCancel: {
            ring()
        }
    }

    private func waitForRing(timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyRung = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if alreadyRung {
                continuation.resume()
                return
            }
            let timer = Task { [self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                let waiter = state.withLock { state in
                    defer { (state.waiter, state.timer) = (nil, nil) }
                    return state.waiter
                }
                waiter?.resume()
            }
            // A ring may have come before the timer existed; then nobody needs it.
            let keep = state.withLock { state -> Bool in
                guard state.waiter != nil else { return false }
                state.timer = timer
                return true
            }
            if !keep { timer.cancel() }
        }
    }
}
