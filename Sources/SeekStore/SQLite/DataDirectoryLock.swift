import Foundation

/// An exclusive lock on a data directory for one serving process: two servers on one SQLite file would
/// share a node id, and with it each other's leases.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("serve.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LockError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LockError(message: "another `seek serve` is using \(directory); stop it or choose another --data-dir")
        }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    public struct LockError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
