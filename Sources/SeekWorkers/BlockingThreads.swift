import Foundation
import Synchronization

/// Threads for work that blocks (a C library decoding an image, a resolver waiting on its sockets): such
/// calls must stay off Swift's cooperative pool, which must never block. As many run at once as there are
/// threads; the rest wait their turn.
public final class BlockingThreads: Sendable {
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    public init(count: Int, name: String) {
        for index in 0..<max(1, count) {
            let thread = Thread { [self] in loop() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Runs `work` on one of the threads and returns what it returns.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0.append { continuation.resume(with: Result { try work() }) } }
            ready.signal()
        }
    }

    private func loop() {
        while true {
            ready.wait()
            guard let work = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            work()
        }
    }
}
