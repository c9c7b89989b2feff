import Foundation
import Logging
import PostgresNIO
import SeekCore

/// A finish done in a batch, whose next jobs are still to claim: the batch claims for all of its finishes at
/// once, at its end (`PostgresBatcher`), and hands the jobs out in the finishes' order. In a bare batch the
/// finish itself waits for the end too, where the batch's finishes end their jobs in one statement.
struct FinishStep: Sendable {
    var claimant: String
    var next: ClaimRequest?
    var recorded = false
    /// In a bare batch: the finish, to record at the batch's end with the others.
    var waiting: Finishing?

    init(claimant: String, next: ClaimRequest?) {
        self.claimant = claimant
        self.next = next.flatMap { $0.isEmpty ? nil : $0 }
    }

    func recording(_ recorded: Bool) -> FinishStep {
        var step = self
        step.recorded = recorded
        return step
    }

    func waiting(for finish: Finishing) -> FinishStep {
        var step = self
        step.waiting = finish
        return step
    }

    /// Finishes that may share a claim: one claimant's, asking for the same workers on the same lease.
    var lane: String {
        guard let next else { return claimant }
        return ([claimant, "\(next.leaseSeconds)"] + next.workers).joined(separator: "\u{0}")
    }

    /// Records the finishes that waited for their batch's end: their jobs end in one statement, and each that
    /// ended has its webhook and money written. A second finish of the same run, later in the batch, records
    /// nothing, as it would one statement after the first.
    static func recordWaiting(_ steps: [FinishStep], on db: PostgresConnection, logger: Logger) async throws -> [FinishStep] {
        let waiting = steps.compactMap(\.waiting)
        guard !waiting.isEmpty else { return steps }
        let ended = try await Finishing.end(waiting, on: db, logger: logger)
        var settled = Set<String>()
        var recorded = steps
        for index in recorded.indices {
            guard let finish = recorded[index].waiting else { continue }
            recorded[index].waiting = nil
            guard let row = ended[finish.run], settled.insert(finish.run).inserted else { continue }
            try await finish.settle(row, on: db, logger: logger)
            recorded[index].recorded = true
        }
        return recorded
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

/// What a finish writes: the job's end, then its webhook, then its money.
struct Finishing: Sendable {
    let claimed: ClaimedJob
    let claimant: String
    let ending: JobEnding
    let finishedAt: Date
    let resultText: String?
    let filesText: String?
    let webhookPayload: String?

    init(_ claimed: ClaimedJob, claimant: String, ending: JobEnding) {
        self.claimed = claimed
        self.claimant = claimant
        self.ending = ending
        finishedAt = Date(storedMillis: ending.at.storedMillis)
        resultText = ending.result?.json.serializedString
        filesText = ending.files.isEmpty ? nil : StoredShapes.encode(ending.files).serializedString
        webhookPayload = claimed.webhookURL == nil ? nil : ending.webhookPayload.serializedString
    }

    /// The run this finish ends: one job's one attempt.
    var run: String { "\(claimed.id)#\(claimed.attempt)" }

    /// Ends the jobs whose runs are still running under their claimant, in one statement that locks the jobs in id
    /// order (`PostgresStore.inIDOrder`); returns the rows of the runs it ended, by `run`. A run that lost its
    /// lease was requeued (and maybe finished) elsewhere, and is not among them.
    static func end(_ finishes: [Finishing], on db: PostgresConnection, logger: Logger) async throws -> [String: PostgresStoredRow] {
        var binds = PostgresBindings()
        let values = try RowInsert.valuesList(finishes, width: 11, into: &binds) { finish, binds in
            try binds.append(finish.claimed.id)
            try binds.append(finish.ending.status.rawValue)
            try binds.append(finish.finishedAt.storedMillis)
            try binds.append(finish.resultText)
            try binds.append(finish.filesText)
            try binds.append(finish.ending.cost.runCredits)
            try binds.append(finish.ending.cost.infraCredits)
            try binds.append(finish.ending.error?.code)
            try binds.append(finish.ending.error?.message)
            try binds.append(finish.claimant)
            try binds.append(finish.claimed.attempt)
        }
        try binds.append(finishes.map(\.claimed.id))
        let rows = try await db.all(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE jobs SET status = v.status, completed_at = v.completed_at, result = v.result, files = v.files,
                                    cost_run = v.cost_run, cost_infra = v.cost_infra, error_code = v.error_code,
                                    error_message = v.error_message, lease_expires_at = NULL
                    FROM (VALUES \(values))
                         AS v(id, status, completed_at, result, files, cost_run, cost_infra, error_code, error_message, runner_id, attempts)
                    WHERE jobs.id = v.id AND jobs.status = 'running' AND jobs.runner_id = v.runner_id AND jobs.attempts = v.attempts
                    AND jobs.id IN (SELECT id FROM jobs WHERE id = ANY($\(binds.count)) \(PostgresStore.inIDOrder))
                    RETURNING jobs.id, v.attempts, jobs.publisher_id, jobs.platform_fee_percent
                    """,
                binds: binds
            ),
            logger: logger
        )
        var ended: [String: PostgresStoredRow] = [:]
        for row in rows { ended["\(try row.string("id"))#\(try row.int("attempts"))"] = row }
        return ended
    }

    /// The rest of an ended job's finish: its webhook, then its money (the workspaces' rows, which every job of
    /// theirs locks, are held briefly).
    func settle(_ ended: PostgresStoredRow, on db: PostgresConnection, logger: Logger) async throws {
        if let url = claimed.webhookURL, let webhookPayload {
            try await PostgresStore.enqueueWebhook(
                url: url,
                workspaceID: claimed.workspaceID,
                jobID: claimed.id,
                payload: webhookPayload,
                event: ending.event,
                at: finishedAt,
                on: db,
                logger: logger
            )
        }
        let charged = try await PostgresStore.settle(
            reserved: claimed.reservedCredits,
            charged: ending.cost.totalCredits,
            workspaceID: claimed.workspaceID,
            jobID: claimed.id,
            workerID: claimed.workerID,
            at: finishedAt,
            on: db,
            logger: logger
        )
        if let (publisher, earning) = try StoredShapes.publisherEarning(ended, charged: charged) {
            try await PostgresStore.post(
                .earning,
                earning,
                workspaceID: publisher,
                jobID: claimed.id,
                workerID: claimed.workerID,
                at: finishedAt,
                on: db,
                logger: logger
            )
        }
    }
}
