import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SeekCore
import SeekStore
import SeekTestSupport
import Synchronization
import Testing

/// A wall clock a test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

extension TestClientProtocol {
    /// Uploads raw bytes and returns status and JSON.
    func upload(_ path: String, bytes: [UInt8], contentType: String, headers extra: HTTPFields) async throws -> (status: Int, json: JSONValue) {
        var headers = extra
        headers[.contentType] = contentType
        return try await execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            (Int(response.status.code), (try? JSONParser.parse(Array(response.body.readableBytesView))) ?? .null)
        }
    }

    /// Fetches a URL (path and query) and returns status, headers and body.
    func fetch(_ url: String) async throws -> (status: Int, headers: HTTPFields, body: [UInt8]) {
        try await execute(uri: url, method: .get) { response in (Int(response.status.code), response.headers, Array(response.body.readableBytesView))
        }
    }
}

@Suite("Files")
struct FilesAPITests {
    @Test("an upload's signed URL serves it until it expires; one changed character or a late fetch is a 403")
    func signedURLs() async throws {
        let clock = ManualClock()
        let api = try await APIFixture { $0.now = { clock.now } }
        try await api.test { client in
            let bytes = Array("hello, file".utf8)
            let uploaded = try await client.upload(
                "/v1/files?name=../../etc/hello.txt",
                bytes: bytes,
                contentType: "text/plain",
                headers: [HTTPField.Name("X-Api-Key")!: api.key]
            )
            #expect(uploaded.status == 201 && uploaded.json["name"] == "hello.txt" && uploaded.json["size_bytes"] == 11)
            let url = try #require(uploaded.json["url"]?.stringValue)
            #expect(url.hasPrefix("/v1/files/file_") && url.contains("expires=") && url.contains("signature="))
            let fetched = try await client.fetch(url)
            #expect(fetched.status == 200 && fetched.body == bytes && fetched.headers[.contentType] == "text/plain")
            #expect(fetched.headers[.contentDisposition] == "attachment; filename=\"hello.txt\"")

            let last = url.last == "0" ? "1" : "0"
            #expect(try await client.fetch(String(url.dropLast()) + last).status == 403, "one character of the signature changed")
            #expect(try await client.fetch(url.replacingOccurrences(of: "expires=", with: "expires=9")).status == 403, "a later expiry")
            #expect(try await client.fetch(String(url.prefix { $0 != "?" })).status == 403, "no signature")
            #expect(try await client.fetch("/v1/files/file_01ARZ3NDEKTSV4RRFFQ69G5FAV?expires=1&signature=00").status == 404)
            clock.advance(FileURLSigner.lifetime + 1)
            #expect(try await client.fetch(url).status == 403, "the URL expired")
            // A client that kept only the id asks again and gets a fresh URL; another workspace is told nothing.
            let id = try #require(uploaded.json["id"]?.stringValue)
            let again = try await client.call(.get, "/v1/me/files/\(id)", key: api.key)
            let fresh = try #require(again.json["url"]?.stringValue)
            #expect(again.status == 200 && again.json["name"] == "hello.txt" && fresh != url)
            #expect(try await client.fetch(fresh).body == bytes)
            let other = try await api.another(credits: 1)
            #expect(try await client.call(.get, "/v1/me/files/\(id)", key: other.key).status == 404)
            #expect(try await client.call(.get, "/v1/me/files/file_01ARZ3NDEKTSV4RRFFQ69G5FAV", key: api.key).status == 404)
            #expect(try await client.upload("/v1/files", bytes: bytes, contentType: "text/plain", headers: [:]).status == 401)
            #expect(
                try await client.upload("/v1/files", bytes: [], contentType: "text/plain", headers: [HTTPField.Name("X-Api-Key")!: api.key]).status
                    == 400
            )
        }
    }

    @Test("a runner uploads a job's files and its finish attaches them; a file of another job is refused")
    func runnerFiles() async throws {
        let api = try await APIFixture()
        let other = try await api.another(credits: 100)
        try await api.test { client in
            let token = try await client.publishedWorkerToken(key: api.key)
            for text in ["a", "b"] {
                _ = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: "{\"text\": \"\(text)\"}")
            }
            let jobs = try await client.runner("claim", token: token, body: #"{"runner_id": "r1", "limit": 2}"#).json["jobs"]?.arrayValue ?? []
            let ids = jobs.compactMap { $0["job_uuid"]?.stringValue }
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]
            let first = try await client.upload(
                "/v1/runner/jobs/\(ids[0])/files?runner_id=r1&name=out.txt",
                bytes: [1, 2, 3],
                contentType: "text/plain",
                headers: auth
            )
            let second = try await client.upload(
                "/v1/runner/jobs/\(ids[1])/files?runner_id=r1&name=b.txt",
                bytes: [4],
                contentType: "text/plain",
                headers: auth
            )
            #expect(first.status == 201 && second.status == 201)
            let wrongRunner = try await client.upload(
                "/v1/runner/jobs/\(ids[0])/files?runner_id=r2&name=x",
                bytes: [1],
                contentType: "text/plain",
                headers: auth
            )
            #expect(wrongRunner.status == 409, "a runner without the job's lease cannot add files to it")

            let result = #""result": {"kind": "object", "data": {}, "items": [], "meta": {}}"#
            let foreign =
                "{\"runner_id\": \"r1\", \"attempt\": 1, \"status\": \"completed\", \(result), \"files\": [\"\(second.json["id"]?.stringValue ?? "")\"]}"
            #expect(try await client.runner("jobs/\(ids[0])/finish", token: token, body: foreign).status == 400)
            let own =
                "{\"runner_id\": \"r1\", \"attempt\": 1, \"status\": \"completed\", \(result), \"files\": [\"\(first.json["id"]?.stringValue ?? "")\"]}"
            #expect(try await client.runner("jobs/\(ids[0])/finish", token: token, body: own).status == 200)
            let job = try await client.call(.get, "/v1/jobs/\(ids[0])", key: other.key).json
            let file = try #require(job["files"]?.arrayValue?.first)
            #expect(file["name"] == "out.txt" && file["size_bytes"] == 3 && file["expires_at"]?.stringValue != nil)
            #expect(try await client.fetch(file["url"]?.stringValue ?? "").body == [1, 2, 3])
            let again = try await client.call(.get, "/v1/jobs/\(ids[0])", key: other.key).json
            #expect(again["files"]?.arrayValue?.first?["url"] != nil, "every read signs a fresh URL")
        }
    }
}
