/// How one claim shares the runner's free slots among the workspaces that have jobs waiting: round robin,
/// one job at a time, starting after the workspace served last, skipping any workspace already running its
/// plan's concurrency. Priority orders jobs within a workspace only: one tenant's `high` cannot starve another.
public enum FairShare {
    /// A workspace with queued jobs, as the claim sees it.
    public struct Candidate: Sendable, Equatable {
        public var workspaceID: String
        /// Its jobs running now.
        public var running: Int
        /// Its plan's concurrency (`Workspace.concurrency`).
        public var concurrency: Int
        /// Its queued jobs the claim may take, when known (nil: as many as it asks for).
        public var queued: Int?

        public init(workspaceID: String, running: Int, concurrency: Int, queued: Int? = nil) {
            self.workspaceID = workspaceID
            self.running = running
            self.concurrency = concurrency
            self.queued = queued
        }

        var free: Int { max(0, concurrency - running) }
    }

    /// How many jobs each workspace gets from `limit` slots, in serving order, and the workspace to start after
    /// next time (the last one served). Workspaces come in any order; they are served in id order, from the
    /// one after `cursor`, wrapping around.
    public static func shares(
        _ candidates: [Candidate],
        limit: Int,
        after cursor: String?
    ) -> (shares: [(workspaceID: String, jobs: Int)], cursor: String?) {
        let sorted = candidates.sorted { $0.workspaceID < $1.workspaceID }
        let start = cursor.flatMap { cursor in sorted.firstIndex { $0.workspaceID > cursor } } ?? 0
        let rotation = Array(sorted[start...] + sorted[..<start])
        var given = Array(repeating: 0, count: rotation.count)
        var left = max(0, limit)
        var last: Int?
        var progressed = true
        while left > 0, progressed {
            progressed = false
            for (index, candidate) in rotation.enumerated() where left > 0 {
                let room = min(candidate.free, candidate.queued ?? Int.max)
                guard given[index] < room else { continue }
                given[index] += 1
                left -= 1
                last = index
                progressed = true
            }
        }
        let shares = rotation.indices.filter { given[$0] > 0 }.map { (rotation[$0].workspaceID, given[$0]) }
        return (shares, last.map { rotation[$0].workspaceID } ?? cursor)
    }
}
