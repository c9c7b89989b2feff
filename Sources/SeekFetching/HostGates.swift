/// Politeness per host: at most `concurrency` requests to one host at once, and `delay` between the end of one
/// and the start of the next (and between two starts), whichever job asks. Waiters go in arrival order; a
/// cancelled waiter leaves the line.
public actor HostGates {
    private struct Gate {
        var inFlight = 0
        var nextStart = ContinuousClock.Instant.now
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let concurrency: Int
    private let delay: Duration
    private var gates: [String: Gate] = [:]
    private var nextWaiter: UInt64 = 0

    public init(concurrency: Int, delay: Duration) {
        self.concurrency = max(1, concurrency)
        self.delay = max(.zero, delay)
    }

    /// Runs `work` once the host's gate lets it through.
    public func run<T: Sendable>(host: String, _ work: @Sendable () async throws -> T) async throws -> T {
        try await enter(host)
        defer { leave(host) }
        return try await work()
    }

    private func enter(_ host: String) async throws {
        if gates[host, default: Gate()].inFlight >= concurrency {
            nextWaiter += 1
            let id = nextWaiter
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    gates[host, default: Gate()].waiters.append((id, continuation))
                }
            } onCancel: {
                Task { await self.drop(id, host: host) }
            }
        } else {
            gates[host, default: Gate()].inFlight += 1
        }
        // The slot is ours (a leaving request handed it over, or it was free); now keep the spacing.
        let now = ContinuousClock.now
        let start = max(now, gates[host]?.nextStart ?? now)
        gates[host]?.nextStart = start + delay
        if start > now {
            do {
                try await Task.sleep(until: start)
            } catch {
                leave(host)
                throw error
            }
        }
    }

    private func leave(_ host: String) {
        guard var gate = gates[host] else { return }
        gate.nextStart = max(gate.nextStart, .now + delay)
        if gate.waiters.isEmpty {
            gate.inFlight -= 1
        } else {
            // The slot passes straight to the next in line.
            gate.waiters.removeFirst().continuation.resume()
        }
        if gate.inFlight == 0, gate.nextStart <= .now {
            gates[host] = nil
        } else {
            gates[host] = gate
        }
        prune()
    }

    private func drop(_ id: UInt64, host: String) {
        guard let index = gates[host]?.waiters.firstIndex(where: { $0.id == id }) else { return }
        gates[host]?.waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Forgets idle hosts whose spacing has passed, so the table holds only hosts in use.
    private func prune() {
        guard gates.count > 1024 else { return }
        let now = ContinuousClock.now
        gates = gates.filter { $0.value.inFlight > 0 || $0.value.nextStart > now }
    }
}
