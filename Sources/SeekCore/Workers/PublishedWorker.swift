import Foundation

/// A worker a workspace publishes: its current version, its owner, and whether the marketplace lists it.
/// Its code runs on the publisher's runners; Seek routes, meters and pays.
public struct PublishedWorker: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Made, never listed: only its owner sees and calls it.
        case draft
        /// Listed in the marketplace: every workspace sees and calls it.
        case published
        /// Taken off the list again: only its owner sees and calls it; jobs already queued still run.
        case unpublished
    }

    public var ownerWorkspaceID: String
    public var state: State
    public var current: WorkerVersion
    public var createdAt: Date
    public var id: String { current.manifest.id }

    public init(ownerWorkspaceID: String, state: State, current: WorkerVersion, createdAt: Date) {
        self.ownerWorkspaceID = ownerWorkspaceID
        self.state = state
        self.current = current
        self.createdAt = createdAt
    }

    /// Anybody may see and call a listed worker; an unlisted one is its owner's alone (404 to the rest).
    public func isVisible(to workspaceID: String) -> Bool {
        state == .published || ownerWorkspaceID == workspaceID
    }
}

/// One version of a worker's manifest. A job keeps the version it was submitted with.
public struct WorkerVersion: Sendable, Equatable {
    /// 1 for the first version, counting up with every `PUT`.
    public var number: Int
    public var manifest: WorkerManifest
    public var createdAt: Date

    public init(number: Int, manifest: WorkerManifest, createdAt: Date) {
        self.number = number
        self.manifest = manifest
        self.createdAt = createdAt
    }
}

/// What a publisher is paid for a job of another workspace on its worker: the charge less the platform's fee.
public struct PlatformFee: Sendable, Equatable {
    /// The platform's share, in percent (a server setting, 20 by default).
    public var percent: Int

    /// 20 %, the default.
    public static let standard = PlatformFee(checked: 20)

    public init(percent: Int) throws(SeekError) {
        guard (0...100).contains(percent) else { throw SeekError(.badRequest, "The platform fee must be from 0 to 100 percent.") }
        self.init(checked: percent)
    }

    private init(checked percent: Int) { self.percent = percent }

    /// The publisher's part of `charged` credits. The fee rounds up, so that a publisher is never paid a
    /// fraction of a credit the platform did not collect.
    public func earning(of charged: Int) -> Int {
        guard charged > 0 else { return 0 }
        let fee = (charged * percent + 99) / 100
        return charged - fee
    }
}

/// Who is paid for a job on a published worker, and at what fee: fixed when the job is submitted.
public struct PublisherShare: Sendable, Equatable {
    public var workspaceID: String
    public var fee: PlatformFee

    public init(workspaceID: String, fee: PlatformFee) {
        self.workspaceID = workspaceID
        self.fee = fee
    }
}
