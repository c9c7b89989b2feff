import Foundation
import SeekCore

/// A node's name as a claimant of leases. It outlives the process, so that a node that restarts (even
/// after kill -9) releases at once exactly the jobs and deliveries it held, and no other node's.
public enum NodeIdentity {
    /// The id kept in `node-id` in the data directory, made on first use.
    public static func load(directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("node-id")
        if let stored = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            isValid(stored)
        {
            return stored
        }
        let made = "node_\(ULID.make())"
        try Data((made + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return made
    }

    /// 1 to 64 letters, digits, `_`, `-` or `.`: an id that is safe in logs and in a lease column.
    public static func isValid(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
                    || byte == 0x2E
            }
    }
}
