import Foundation
import Logging
import PostgresNIO

/// A finish done in a batch, whose next jobs are still to claim: the batch claims for all of its finishes at
/// once, at its end (`PostgresBatcher`), and hands the jobs out in the finishes' order.
struct FinishStep: Sendable {
    var claimant: String
    var next: ClaimRequest?
    var recorded = false

    init(claimant: String, next: ClaimRequest?) {
        self.claimant = claimant
        self.next = next.flatMap { $0.isEmpty ? nil : $0 }
    }

    func recording(_ recorded: Bool) -> FinishStep {
        var step = self
        step.recorded = recorded
        return step
    }

    /// Finishes that may share a claim: one claimant's, asking for the same workers on the same lease.
    var lane: String {
        guard let next else { return claimant }
        return ([claimant, "\(next.leaseSeconds)"] + next.workers).joined(separator: "\u{0}")
    }

    /// Claims the next jobs of a lane's finishes in one claim, last in their transaction (so that the
    /// workspaces' claim locks are held only until it commits), and hands each finish its share.
    static func claimNext(for steps: [FinishStep], cursor: ClaimCursor, on db: PostgresConnection, logger: Logger) async throws -> [FinishResult] {
        let wanted = steps.reduce(0) { $0 + ($1.next?.limit ?? 0) }
        var jobs: ArraySlice<ClaimedJob> = []
        // One lane's steps share their claimant and request (`lane`), all but the limit.
        if let first = steps.first, var request = first.next, wanted > 0 {
            request.limit = wanted
            jobs = try await PostgresStore.claim(request, claimant: first.claimant, at: Date.storeNow(), cursor: cursor, on: db, logger: logger)[...]
        }
        return steps.map { step in
            let share = jobs.prefix(step.next?.limit ?? 0)
            jobs.removeFirst(share.count)
            return FinishResult(recorded: step.recorded, next: Array(share))
        }
    }
}
