/// What other processes sharing the storage did that this one should hear at once rather than at its next
/// poll: jobs entered the queue (runners claim), jobs ended (waiters answer). Only a store that many processes
/// share has news; in one process the front door rings its own bells.
public enum StoreNews: Sendable, Equatable {
    /// Jobs of this worker entered the queue (nil: of workers not known, such as jobs put back by a reaper).
    case queued(workerID: String?)
    /// These jobs became terminal.
    case ended(jobIDs: [String])
}

public protocol StoreNewsSource: Sendable {
    /// News as it arrives, until the stream's consumer stops; a lost connection is reopened by itself.
    func news() -> AsyncStream<StoreNews>
}
