/// A job's place in its lifecycle: `queued → running → completed | failed | timeout`, and `queued → cancelled`.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    case queued, running, completed, failed, timeout, cancelled

    public var isTerminal: Bool {
        switch self {
        case .queued, .running: return false
        case .completed, .failed, .timeout, .cancelled: return true
        }
    }

    /// Seed 001's spelling, served under API version 2026-01-15.
    public var legacyName: String {
        switch self {
        case .queued: return "QUEUED"
        case .running: return "RUNNING"
        case .completed: return "SUCCEEDED"
        case .failed: return "FAILED"
        case .timeout: return "TIMED_OUT"
        case .cancelled: return "CANCELLED"
        }
    }

    /// Whether a job may move from this status to `next`.
    public func canMove(to next: JobStatus) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.queued, .cancelled): return true
        case (.running, .completed), (.running, .failed), (.running, .timeout): return true
        case (.running, .queued): return true  // the runner vanished: run again
        default: return false
        }
    }
}

/// Scheduling order: high before normal before low, FIFO within one.
public enum JobPriority: String, Sendable, CaseIterable, Codable {
    case low, normal, high

    /// Larger runs first.
    public var rank: Int {
        switch self {
        case .low: return 0
        case .normal: return 1
        case .high: return 2
        }
    }

    public init?(rank: Int) {
        guard let match = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = match
    }
}
