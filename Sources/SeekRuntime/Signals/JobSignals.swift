/// The news the front door sends as jobs move: the runner's and the webhook sender's doorbells, and the
/// waits of requests holding a `Prefer: wait` until their job ends. Today only this process sends it;
/// with remote runners or many nodes the database will too, through the same three channels.
public struct JobSignals: Sendable {
    /// Rings whenever jobs may be ready to claim.
    public let work = Doorbell()
    /// Rings when a webhook enters the outbox or a delivery slot frees up.
    public let webhooks = Doorbell()
    /// Notified by job id when a job reaches its terminal state.
    public let endings = WaitList<String>()
    /// Notified by worker id when jobs of that worker enter the queue (every key when jobs go back to it):
    /// remote runners' long polls wait here.
    public let queued = WaitList<String>()
    /// Each job's recent events, for event streams.
    public let events = JobEventJournal()

    public init() {}
}
