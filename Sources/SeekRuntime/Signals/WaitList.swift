import Synchronization

/// Many tasks waiting for news about keys (a job id, or one key for a loop's doorbell). A waiter takes
/// a ticket first and waits on it later, so news that comes in between is never missed. A wait ends at
/// the news, at its timeout, or when its task is cancelled, and leaves nothing behind.
///
/// News only hints that something changed; the store stays the truth, so a waiter reads it again.
public final class WaitList<Key: Hashable & Sendable>: Sendable {
    /// Interest in one key, taken before the waiter checks the store.
    public struct Ticket: Sendable {
        fileprivate let key: Key
        fileprivate let token: UInt64
    }

    private enum Slot {
        case taken
        case waiting(CheckedContinuation<Void, Never>)
        case notified
    }

    private struct State {
        var nextToken: UInt64 = 0
        var slots: [UInt64: Slot] = [:]
        var tokensByKey: [Key: Set<UInt64>] = [:]
        /// Keys notified while nobody held a ticket, for lists that keep such news (`keepUnheard`).
        var unheard: Set<Key> = []
    }

    private let state = Mutex(State())
    /// Keeps news that nobody waited for, for the next ticket of that key (a doorbell); otherwise it is dropped.
    private let keepUnheard: Bool

    public init(keepUnheard: Bool = false) {
        self.keepUnheard = keepUnheard
    }

    public func ticket(for key: Key) -> Ticket {
        state.withLock { state in
            state.nextToken += 1
            let token = state.nextToken
            state.slots[token] = state.unheard.remove(key) == nil ? .taken : .notified
            state.tokensByKey[key, default: []].insert(token)
            return Ticket(key: key, token: token)
        }
    }

    /// Tells every ticket of `key`.
    public func notify(_ key: Key) {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let tokens = state.tokensByKey[key], !tokens.isEmpty else {
                if keepUnheard { state.unheard.insert(key) }
                return []
            }
            return Self.markNotified(tokens, in: &state)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Tells every ticket of every key (news that may concern any of them).
    public func notifyAll() {
        let waiting = state.withLock { state in Self.markNotified(Array(state.slots.keys), in: &state) }
        for continuation in waiting { continuation.resume() }
    }

    private static func markNotified(_ tokens: some Sequence<UInt64>, in state: inout State) -> [CheckedContinuation<Void, Never>] {
        var waiting: [CheckedContinuation<Void, Never>] = []
        for token in tokens {
            if case let .waiting(continuation) = state.slots[token] { waiting.append(continuation) }
            state.slots[token] = .notified
        }
        return waiting
    }

    /// Returns once the ticket's key is notified (at once if it was since the ticket was taken), `timeout`
    /// passes, or the task is cancelled. The ticket is used up.
    public func wait(_ ticket: Ticket, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForNews(ticket) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        state.withLock { state in Self.remove(ticket, from: &state) }
    }

    /// Gives a ticket back unused.
    public func discard(_ ticket: Ticket) {
        state.withLock { state in Self.remove(ticket, from: &state) }
    }

    private static func remove(_ ticket: Ticket, from state: inout State) {
        state.slots.removeValue(forKey: ticket.token)
        state.tokensByKey[ticket.key]?.remove(ticket.token)
        if state.tokensByKey[ticket.key]?.isEmpty == true { state.tokensByKey.removeValue(forKey: ticket.key) }
    }

    private func waitForNews(_ ticket: Ticket) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    guard case .taken = state.slots[ticket.token] else { return true }
                    state.slots[ticket.token] = .waiting(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let slot = state.slots[ticket.token] else { return nil }
                state.slots[ticket.token] = .notified
                if case let .waiting(continuation) = slot { return continuation }
                return nil
            }
            waiting?.resume()
        }
    }
}
