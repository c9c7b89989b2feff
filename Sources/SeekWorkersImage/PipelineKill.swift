import CVips
import Synchronization

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
