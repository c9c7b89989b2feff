import CVips
import Foundation
import Synchronization

/// The threads conversions run on: libvips blocks while it decodes and encodes, so its calls stay off
/// Swift's cooperative pool, which must never block. As many conversions run at once as there are threads;
/// the rest wait their turn.
final class ImageThreads: Sendable {
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    init(count: Int) {
        for index in 0..<max(1, count) {
            let thread = Thread { [self] in loop() }
            thread.name = "seek-image-\(index)"
            thread.start()
        }
    }

    /// Runs `work` on an image thread; a cancelled caller fires `kill`, which stops a running pipeline.
    func run<T: Sendable>(_ work: @escaping @Sendable (PipelineKill) throws -> T) async throws -> T {
        let kill = PipelineKill()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pending.withLock { $0.append { continuation.resume(with: Result { try work(kill) }) } }
                ready.signal()
            }
        } onCancel: {
            kill.fire()
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

/// Stops a libvips pipeline from another thread: the image being encoded is marked killed, and the
/// encoder gives up at its next region.
final class PipelineKill: @unchecked Sendable {
    // The pointer is only touched under the lock; libvips' kill flag is itself safe to set from any thread.
    private let state = Mutex<(image: UnsafeMutablePointer<VipsImage>?, fired: Bool)>((nil, false))

    var fired: Bool { state.withLock { $0.fired } }

    func arm(_ image: UnsafeMutablePointer<VipsImage>) {
        state.withLock { state in
            state.image = image
            if state.fired { vips_image_set_kill(image, 1) }
        }
    }

    func disarm() { state.withLock { $0.image = nil } }

    func fire() {
        state.withLock { state in
            state.fired = true
            if let image = state.image { vips_image_set_kill(image, 1) }
        }
    }
}
