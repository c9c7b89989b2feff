import Crypto
import Foundation

/// Signs the temporary URLs files are downloaded from (`/v1/files/{id}?expires=…&signature=…`), like an
/// object store's presigned URLs: whoever has the URL may fetch the file until it expires, and a URL
/// changed in any character is refused. The key is the server's, shared by every node.
public struct FileURLSigner: Sendable {
    /// How long a signed URL lasts by default.
    public static let lifetime: TimeInterval = 3600
    private let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// A key for a process whose URLs need not outlive it (tests).
    public static func ephemeral() -> FileURLSigner {
        FileURLSigner(key: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The path and query of a URL for `fileID` of `workspaceID` that works until `expires` (whole seconds).
    public func path(fileID: String, workspaceID: String, expires: Date) -> String {
        let seconds = Int64(expires.timeIntervalSince1970.rounded(.down))
        return "/v1/files/\(fileID)?expires=\(seconds)&signature=\(signature(fileID: fileID, workspaceID: workspaceID, expires: seconds))"
    }

    /// Whether a URL's `expires` and `signature` are this server's for the file and still good at `now`.
    public func verify(fileID: String, workspaceID: String, expires: String?, signature: String?, now: Date) -> Bool {
        guard let expires, let seconds = Int64(expires), let signature, signature.utf8.count == 64,
            let given = Hex.decode(signature), Double(seconds) >= now.timeIntervalSince1970
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Self.message(fileID, workspaceID, seconds), using: key)
    }

    private func signature(fileID: String, workspaceID: String, expires: Int64) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Self.message(fileID, workspaceID, expires), using: key))
    }

    private static func message(_ fileID: String, _ workspaceID: String, _ expires: Int64) -> [UInt8] {
        Array("\(fileID).\(workspaceID).\(expires)".utf8)
    }
}
