import Foundation
import OpenAPIRuntime
import SeekCore

extension SeekClient {
    /// The key's workspace, plan and balance.
    public func me() async throws -> Components.Schemas.Me {
        try await call { try await api.getMe().ok.body.json }
    }

    /// The balance and the newest ledger entries.
    public func credits() async throws -> Components.Schemas.Credits {
        try await call { try await api.getCredits().ok.body.json }
    }

    /// Every worker of the marketplace, page after page.
    public func workers() async throws -> [Components.Schemas.Worker] {
        var all: [Components.Schemas.Worker] = []
        var cursor: String?
        repeat {
            let page = try await call { try await api.listWorkers(query: .init(limit: 100, cursor: cursor)).ok.body.json }
            all += page.data
            cursor = page.hasMore ? page.nextCursor : nil
        } while cursor != nil
        return all
    }

    /// One worker with its schemas and pricing.
    public func worker(_ workerID: String) async throws -> Components.Schemas.WorkerDetail {
        try await call { try await api.getWorker(path: .init(workerId: workerID)).ok.body.json }
    }

    public func keys() async throws -> [Components.Schemas.Key] {
        try await call { try await api.listKeys().ok.body.json.data }
    }

    /// A new key; its secret (`key`) is in this answer only.
    public func createKey(name: String, scope: Components.Schemas.NewKey.ScopePayload? = nil) async throws -> Components.Schemas.KeyCreated {
        try await call { try await api.createKey(body: .json(.init(name: name, scope: scope))).created.body.json }
    }

    public func revokeKey(_ keyID: String) async throws -> Components.Schemas.Key {
        try await call { try await api.revokeKey(path: .init(keyId: keyID)).ok.body.json }
    }

    /// One of the workspace's files, its URL signed anew.
    public func file(_ fileID: String) async throws -> Components.Schemas.File {
        try await call { try await api.getFile(path: .init(fileId: fileID)).ok.body.json }
    }

    /// A file's bytes, through the signed URL that a job or `file(_:)` gives, written to `destination` as they come.
    /// Returns the bytes written.
    @discardableResult
    public func download(_ file: Components.Schemas.File, to destination: URL) async throws -> Int {
        guard let components = URLComponents(string: file.url),
            let expires = components.queryItems?.first(where: { $0.name == "expires" })?.value,
            let signature = components.queryItems?.first(where: { $0.name == "signature" })?.value
        else { throw SeekClientError.unexpectedResponse("a file URL without its signature: \(file.url)") }
        return try await call {
            let body = try await api.downloadFile(path: .init(fileId: file.id), query: .init(expires: expires, signature: signature)).ok.body.any
            guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: destination.path])
            }
            let handle = try FileHandle(forWritingTo: destination)
            defer { try? handle.close() }
            var written = 0
            for try await chunk in body {
                try handle.write(contentsOf: chunk)
                written += chunk.count
            }
            return written
        }
    }
}

/// Checks that a webhook delivery is Seek's: `X-SeekAPI-Signature` or the Standard Webhooks headers, over the
/// exact bytes received. Give it the `whsec_…` secret of `GET /v1/me/webhook-secret`.
public struct WebhookReceiver: Sendable {
    public let verifier: WebhookVerifier

    /// Nil when the secret is not a `whsec_…` secret.
    public init?(secret: String, tolerance: TimeInterval = WebhookVerifier.defaultTolerance) {
        guard let secret = WebhookSecret(encoded: secret) else { return nil }
        verifier = WebhookVerifier(secret: secret, tolerance: tolerance)
    }

    /// Verifies a delivery by its headers (names in any case), preferring Standard Webhooks' when present;
    /// the delivery once it verifies.
    public func verify(headers: [String: String], body: [UInt8], now: Date = Date()) throws -> JobWebhook {
        let lowered = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        if let id = lowered["webhook-id"], let timestamp = lowered["webhook-timestamp"], let signature = lowered["webhook-signature"] {
            try verifier.verifyStandard(id: id, timestamp: timestamp, signature: signature, body: body, now: now)
        } else if let header = lowered["x-seekapi-signature"] {
            try verifier.verifySeekSignature(header: header, body: body, now: now)
        } else {
            throw WebhookVerificationError.malformedHeader("webhook-signature")
        }
        return try JobWebhook(body: body)
    }
}

/// A webhook's body: `{"event", "job_uuid", "status", "result", "error", "cost_credits", "fired_at"}`.
public struct JobWebhook: Sendable {
    /// `job.completed`, `job.failed`, `job.timeout` or `job.cancelled`.
    public let event: String
    public let jobID: String
    public let status: String
    public let costCredits: Int?
    /// The whole body, `result` and `error` included.
    public let payload: JSONValue

    init(body: [UInt8]) throws {
        payload = try JSONParser.parse(body)
        guard let event = payload["event"]?.stringValue, let jobID = payload["job_uuid"]?.stringValue,
            let status = payload["status"]?.stringValue
        else { throw SeekClientError.unexpectedResponse("a webhook body without event, job_uuid and status") }
        self.event = event
        self.jobID = jobID
        self.status = status
        costCredits = payload["cost_credits"]?.integerValue.map(Int.init)
    }
}
