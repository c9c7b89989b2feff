import Foundation

/// When a failed delivery is tried again: one delay per retry, after which the delivery is `failed`.
/// Seed 000's promise is 5 s, 30 s and 5 min.
public struct RetrySchedule: Sendable, Equatable, CustomStringConvertible {
    public static let standard = RetrySchedule(delays: [5, 30, 300])

    /// Seconds to wait after the first, second, … failed attempt.
    public let delays: [TimeInterval]

    public init(delays: [TimeInterval]) {
        self.delays = delays
    }

    /// Parses `5,30,300`: comma-separated non-negative seconds; an empty text means no retries.
    public init(parsing text: String) throws(SeekError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            self.init(delays: [])
            return
        }
        var delays: [TimeInterval] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            guard let seconds = Double(part.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0, seconds <= 7 * 86_400
            else {
                throw SeekError(.badRequest, "The webhook retry schedule must be comma-separated seconds between 0 and 604800, like 5,30,300.")
            }
            delays.append(seconds)
        }
        self.init(delays: delays)
    }

    /// The wait before the next attempt once `attemptsMade` attempts have failed; nil when none is left.
    public func delay(afterFailedAttempts attemptsMade: Int) -> TimeInterval? {
        guard attemptsMade >= 1, attemptsMade <= delays.count else { return nil }
        return delays[attemptsMade - 1]
    }

    public var description: String {
        delays.map { $0.rounded() == $0 ? String(Int($0)) : String($0) }.joined(separator: ",")
    }
}
