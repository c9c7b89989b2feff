/// Wakes a loop that sleeps between rounds of work. Rings coalesce, and a ring while the loop is busy
/// is kept for its next wait, so a loop that checks its work and then waits never misses news that
/// arrived in between.
public struct Doorbell: Sendable {
    private let list = WaitList<Int>(keepUnheard: true)

    public init() {}

    public func ring() { list.notify(0) }

    /// Returns at the next ring (at once if one came since the last wait), once `timeout` passes, or when
    /// the waiting task is cancelled.
    public func wait(timeout: Duration) async {
        await list.wait(list.ticket(for: 0), timeout: timeout)
    }
}
